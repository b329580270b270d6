"""
Shared browser fixtures: Debian's Chromium driven by Playwright's sync API against
pytest-django's live_server. `signed_in_page(user)` returns a page whose session is `user`'s.
"""

import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connections

# Playwright's sync API runs an event loop in the test's thread; the ORM calls made around it
# are ordinary synchronous ones against the same (transactional) test database.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
# The README's screenshots are refreshed only on request (OPTIFY_SCREENSHOTS=1 make test):
# an ordinary run leaves the working tree alone and shoots into a temporary directory.
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Signing in through the form, many times a test: MD5 instead of PBKDF2's 1M rounds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def first_of_april():
    """The day the browser tests' worked examples are read on (DESIGN.md's March/April)."""
    with time_machine.travel(dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)):
        yield


@pytest.fixture
def axe():
    """axe-core, run in the page by `assert_no_violations` (test_accessibility.py)."""
    return pytest.importorskip("axe_playwright_python.sync_playwright").Axe()


@pytest.fixture
def screenshot(tmp_path):
    directory = DOCS_SCREENSHOTS if os.environ.get("OPTIFY_SCREENSHOTS") else tmp_path

    def shoot(page, name):
        directory.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(directory / f"{name}.png"), full_page=True)

    return shoot


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
        finally:
            close_connections_opened_under_playwright()


def close_connections_opened_under_playwright():
    """
    Close the database connections the test's own thread opened while Playwright's loop ran.

    Django keeps connections in asgiref's thread-critical Local, which is a plain thread-local
    in a sync thread but a context-local store while an event loop is running in it, as it is
    inside `sync_playwright()`. So the ORM calls made there get a second connection, separate
    from the thread's own, and it is reachable only while that loop still runs: left open, it
    keeps a session on the test database and dropping the database at the end of the run fails
    ("being accessed by other users"). Call this inside the `sync_playwright()` block.
    """
    connections.close_all()


@pytest.fixture
def signed_in_page(browser, live_server, transactional_db):
    contexts = []

    def make(user, viewport=None):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        context = browser.new_context(base_url=live_server.url,
                                      viewport=viewport or {"width": 1440, "height": 900})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                              "value": session.session_key, "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()
