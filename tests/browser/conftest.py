"""A live server and a real headless Chromium (Debian's package; Playwright drives it, no downloads).

The server thread commits what the browser does on its own connection; the tests read it back
through theirs. They use fresh slugs, so they never collide with other tests.
"""
import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path():
    for path in [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser"]:
        if path and os.path.exists(path):
            return path
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def live_server_url(_session_tenants, django_db_blocker):
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        server = LiveServer("127.0.0.1:0")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _browser():
    path = _chromium_path()
    if not path:
        pytest.skip("!!! No Chromium found (install Debian's chromium package): browser tests SKIPPED !!!")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(_browser):
    context = _browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def url(server, host: str, path: str = "/") -> str:
    return f"http://{host}:{server.thread.port}{path}"
