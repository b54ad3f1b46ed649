"""The review UI in a real browser: Debian's Chromium driven by Selenium through chromedriver (both from apt; no
driver download). Starts `framesift review` on a free port, approves the first item with the keyboard, stops and
restarts the server, and finds the decision still there.

Skipped only when Chromium or chromedriver is truly absent (the CI script installs them), saying why.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.ui_fixtures import make_run

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser")
                             or "") if p and os.path.exists(p)), None)
CHROMEDRIVER = next((p for p in ("/usr/bin/chromedriver", shutil.which("chromedriver") or "")
                     if p and os.path.exists(p)), None)


def _skip_reason():
    if CHROMIUM is None:
        return "no Chromium at /usr/bin/chromium or on PATH (apt-get install -y chromium chromium-driver)"
    if CHROMEDRIVER is None:
        return "no chromedriver at /usr/bin/chromedriver or on PATH (apt-get install -y chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


REASON = _skip_reason()
if REASON:
    print(f"\ntests/test_ui_browser.py skipped: {REASON}", file=sys.stderr)
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`framesift review` in its own process group, so stopping it stops Streamlit and nothing else."""

    def __init__(self, run, port, log):
        self.port = port
        self.log = open(log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "framesift.cli", "review", "--run", run,
                                      "--port", str(port)], stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"framesift review did not come up; see {log}")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        opts.add_argument(flag)
    # an explicit driver path: Selenium Manager never runs, nothing is downloaded
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


def _wait_text(driver, predicate, timeout=30):
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(d):
        texts = [e.text for e in d.find_elements(By.CSS_SELECTOR, "[data-testid='stText']")]
        return next((t for t in texts if predicate(t)), False)
    # Streamlit re-renders while we read: a vanished element just means "look again"
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2,
                             ignored_exceptions=(StaleElementReferenceException,)).until(found)
    except TimeoutException:
        texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid='stText']")]
        raise AssertionError(f"page never showed the expected text; it shows: {texts[:12]}") from None


def test_keyboard_approve_survives_a_server_restart(tmp_path, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait
    run = make_run(tmp_path / "run", n_images=8)
    log = str(tmp_path / "review.log")
    server = Server(run, _free_port(), log)
    try:
        browser.get(f"http://127.0.0.1:{server.port}/?reviewer=browser-test")
        current = _wait_text(browser, lambda t: t.startswith("Current (1 of 9"))
        assert "astronaut_0.jpg" in current and "undecided" in current
        # the shortcut listener lives in a small iframe that loads after the page: wait until it is attached
        WebDriverWait(browser, 30, poll_frequency=0.1).until(
            lambda d: d.execute_script("return typeof document.__framesiftKeys === 'function'"))
        ActionChains(browser).send_keys("a").perform()
        _wait_text(browser, lambda t: "approve recorded for img000" in t)
        _wait_text(browser, lambda t: t.startswith("Current (1 of 8") and "coffee_1.jpg" in t)
        assert browser.execute_script("return window.__pwned || 0") == 0
    finally:
        server.stop()

    server = Server(run, _free_port(), log)              # a fresh process: nothing cached in memory
    try:
        browser.get(f"http://127.0.0.1:{server.port}/item?item=img000")
        status = _wait_text(browser, lambda t: t.startswith("pipeline:"))
        assert "approve by browser-test" in status
        browser.get(f"http://127.0.0.1:{server.port}/")
        _wait_text(browser, lambda t: t.startswith("Current (1 of 8") and "coffee_1.jpg" in t)
    finally:
        server.stop()
