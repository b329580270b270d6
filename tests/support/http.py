"""
A real HTTP server on loopback, in a thread, for what Optify sends out (webhooks) and fetches
(calendar feeds).

    with LocalServer() as server:
        server.answer("/hook", 500, 500, 200)      # three POSTs: two failures, then success
        server.serve("/feed.ics", ics_text)       # GET, with ETag / If-None-Match (304)
        ... server.url("/hook") ...
        server.requests                            # [Request(method, path, headers, body)]
"""

import dataclasses
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclasses.dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    server_version = "OptifyTest/1"

    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        request = Request(self.command, self.path, {k.lower(): v for k, v in
                                                    self.headers.items()}, body)
        with owner.lock:
            owner.requests.append(request)
            statuses = owner.statuses.get(self.path)
            status = statuses.pop(0) if statuses and len(statuses) > 1 else (
                statuses[0] if statuses else None)
            document = owner.documents.get(self.path)
        if document is not None:
            content = document.encode() if isinstance(document, str) else document
            etag = '"' + hashlib.sha256(content).hexdigest()[:16] + '"'
            if status is not None and status != 200:
                return self._send(status, b"failing")
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", {"ETag": etag})
            return self._send(200, content, {"ETag": etag, "Content-Type": "text/calendar"})
        return self._send(status or 404, b"ok" if status and status < 300 else b"no")

    def _send(self, status, content, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_HEAD = _handle


class LocalServer:
    def __init__(self):
        self.requests = []
        self.statuses = {}
        self.documents = {}
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def port(self):
        return self.httpd.server_address[1]

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path, *statuses):
        """The statuses the next requests to `path` get, in order; the last one stays."""
        with self.lock:
            self.statuses[path] = list(statuses)

    def serve(self, path, document):
        with self.lock:
            self.documents[path] = document

    def to(self, path):
        with self.lock:
            return [r for r in self.requests if r.path == path]
