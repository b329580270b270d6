"""
Every HTTP request Optify makes to an address someone typed in — a webhook endpoint, a
calendar feed — goes through `fetch` here, which refuses to reach inside our own network
(server-side request forgery).

The guard resolves the host name itself, checks every address it resolves to, and then
connects to the checked address (the Host header and TLS's SNI and certificate check still use
the name), so a name that resolves to a public address when checked and to 127.0.0.1 when
connected (DNS rebinding) cannot slip through. Refused: private (10/8, 172.16/12, 192.168/16,
fc00::/7), loopback, link-local (169.254/16 — cloud metadata — and fe80::/10), shared
(100.64/10), multicast, reserved and unspecified addresses; IPv4 written inside IPv6 is
checked as IPv4. `OUTBOUND_ALLOW_LOOPBACK` lets loopback through, for the tests' local
servers and nothing else. Redirects are followed by hand, each hop checked the same way.
"""

import dataclasses
import functools
import ipaddress
import socket
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USER_AGENT = "Optify (+https://github.com/optify)"
MAX_REDIRECTS = 3
MAX_BYTES = 10 * 1024 * 1024  # a calendar of years of meetings is a few MB
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class OutboundRefused(Exception):
    """The address is not one Optify may reach (or is not an http(s) URL at all)."""


class OutboundError(Exception):
    """The request could not be made or completed (connection, timeout, too large)."""


@dataclasses.dataclass
class Response:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str

    @property
    def ok(self):
        return 200 <= self.status_code < 300


@functools.cache
def _tls():
    # One verifying context for every request: building one (the CA bundle) costs more than
    # a small request.
    return httpx.create_ssl_context()


def _allowed(address):
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return bool(settings.OUTBOUND_ALLOW_LOOPBACK)
    # is_global is False for private, link-local, shared, reserved and unspecified ranges.
    return ip.is_global and not ip.is_multicast


def check_url(url):
    """The (scheme, host, port, address) to connect to for `url`, or OutboundRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(_("Only http:// and https:// addresses can be used."))
    if parts.username or parts.password:
        raise OutboundRefused(_("Addresses with a user name or password are not accepted."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise OutboundRefused(_("The port is not valid.")) from error
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundRefused(_("The host name does not resolve.")) from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    # Every address must be allowed: a name with one public and one private address is a
    # way to reach the private one.
    if not addresses or not all(_allowed(a) for a in addresses):
        raise OutboundRefused(_("This address is inside a private network; Optify does not "
                                "connect to it."))
    return parts.scheme, parts.hostname, port, addresses[0]


def clean_url_field(url):
    """`url`, for a form's `clean_url`: refused with a ValidationError that says why."""
    try:
        check_url(url)
    except OutboundRefused as refused:
        raise ValidationError(str(refused)) from refused
    return url


def validate_url(url):
    """For forms: raise OutboundRefused with a message for the person who typed `url`."""
    check_url(url)


def fetch(method, url, *, headers=None, content=None, timeout=TIMEOUT, max_bytes=MAX_BYTES,
          follow_redirects=True):
    """
    One request through the guard: a Response (whatever its status), OutboundRefused for an
    address we do not reach, OutboundError when no answer came.
    """
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, address = check_url(url)
        parts = urlsplit(url)
        netloc = f"[{address}]" if ":" in address else address
        pinned = urlunsplit((scheme, f"{netloc}:{port}", parts.path or "/", parts.query, ""))
        default_port = port == (443 if scheme == "https" else 80)
        request_headers = {**headers, "Host": host if default_port else f"{host}:{port}"}
        try:
            with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False,
                              verify=_tls()) as client:
                request = client.build_request(
                    method, pinned, headers=request_headers, content=content,
                    extensions={"sni_hostname": host} if scheme == "https" else {})
                response = client.send(request, stream=True)
                try:
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise OutboundError(_("The answer is larger than %(size)s MB.")
                                                % {"size": max_bytes // (1024 * 1024)})
                finally:
                    response.close()
        except httpx.HTTPError as error:
            raise OutboundError(f"{type(error).__name__}: {error}") from error
        if follow_redirects and response.is_redirect and "location" in response.headers:
            url = urljoin(url, response.headers["location"])
            if response.status_code == 303:
                method, content = "GET", None
            continue
        return Response(response.status_code, response.headers, bytes(body), url)
    raise OutboundError(_("Too many redirects."))
