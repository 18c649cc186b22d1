"""Headless Chromium (Debian's package) driven by Playwright against the live server.

Playwright's sync API runs an event loop in this thread; the ORM calls in fixtures happen
in the same thread but never concurrently with it, so Django's async-safety guard is
relaxed for these tests only.
"""

import os
import shutil
import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class OneRequestAtATimeServer(ThreadedWSGIServer):
    """The live server, running the application for one request at a time.

    With the in-memory SQLite test database every server thread shares the test's single
    connection; a page firing parallel requests (htmx auto-save) would then read and write
    one table on one connection at once ("database table is locked"). Connections stay
    threaded (browsers keep several open); only the application call is serialised.
    """

    _app_lock = threading.Lock()

    def set_app(self, application):
        lock = self._app_lock

        def serialised(environ, start_response):
            with lock:
                result = application(environ, start_response)
                try:
                    body = b"".join(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
            return [body]

        super().set_app(serialised)


LiveServerThread.server_class = OneRequestAtATimeServer

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CIVICLOOP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}; browser tests are required here")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def external_requests(page, live_server):
    """Every request the page makes that does not go to the live server (must stay empty)."""
    outside: list[str] = []

    def check(request):
        if not request.url.startswith(live_server.url) and not request.url.startswith("data:"):
            outside.append(request.url)

    page.on("request", check)
    return outside


def login(page, live_server, username: str, password: str = "pass-1234-word") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
