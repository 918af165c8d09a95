"""A live rxloop for a real browser: werkzeug in a thread on a database file of its own, and headless
Chromium (Debian's chromium and chromium-driver) driven by Selenium.

The rollback-transaction fixture cannot serve here: the server's thread needs its own connections
(SQLite's transaction does not cross threads), so the live app migrates a fresh file and keeps it.
"""

import shutil
import tempfile
import threading
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from core.app import create_app
from core.config import PROJECT_ROOT
from core.db import unit_of_work
from tests.conftest import TEST_CONFIG
from tests.factories.consult import ensure_formulary

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"  # gitignored: a reviewer looks, nothing is committed
# Flags for a browser in a container with no display, no GPU and no network beyond loopback.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1024,1366")  # a tablet, upright


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return (f"{path} is missing: install Debian's chromium and chromium-driver "
                    "(`apt-get install -y chromium chromium-driver`; .ci/run does)")
    return None


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # the app's own access log says it already
        pass


class LiveServer:
    def __init__(self, database_file: Path):
        self.app = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{database_file}",
                               "LOGIN_RATE_LIMIT": "1000 per minute"})
        with self.app.app_context():
            upgrade()
            with unit_of_work(self.app) as session:
                ensure_formulary(session)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-rxloop", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.app.extensions["rxloop.db"].engine.dispose()

    def arrange(self):
        """A committed unit of work on the live database, for the test to set the scene."""
        return _Arranged(self.app)


class _Arranged:
    def __init__(self, app):
        self.app = app

    def __enter__(self):
        self.context = self.app.test_request_context()
        self.context.push()
        self.unit = unit_of_work(self.app)
        return self.unit.__enter__()

    def __exit__(self, *exc):
        try:
            return self.unit.__exit__(*exc)
        finally:
            self.context.pop()


def new_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="rxloop-chromium-")
    options.add_argument(f"--user-data-dir={profile}")  # a fresh profile: no state from any earlier run
    options.add_argument("--lang=en-US")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    return driver, profile
