"""The review UI in a real browser: Debian's Chromium driven by Selenium through chromedriver (both from apt; no
driver download), at 1400×1000. Starts `framesift review` on a free port and
- reviews 50 items with the keyboard only (reasons by number, one undo, one item opened and decided on the Item
  page, focus left in a dropdown), checking after every key that the page shows what the reviewer expects, then
  checks the store and the export; counts the cards above the fold and takes a screenshot of the Queue; checks
  that no request left the machine;
- approves an item, stops and restarts the server, and finds the decision still there.

Skipped only when Chromium or chromedriver is truly absent (the CI script installs them), saying why.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.review_server import Server
from tests.review_server import free_port as _free_port
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


SCREENSHOT = os.environ.get("FRAMESIFT_UI_SCREENSHOT")    # also keep the Queue screenshot here, if set


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
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})      # every request, to check none left
    # an explicit driver path: Selenium Manager never runs, nothing is downloaded
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


_TEXTS = "return [...document.querySelectorAll(\"[data-testid='stText']\")].map(e => e.innerText)"


def _wait_text(driver, predicate, timeout=30):
    """The first stText the predicate accepts, polling the page in one script call (Streamlit re-renders while
    we look, so a single snapshot is the consistent way to read it)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    def found(d):
        return next((t for t in d.execute_script(_TEXTS) if predicate(t)), False)
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(found)
    except TimeoutException:
        raise AssertionError(f"page never showed the expected text; it shows: {driver.execute_script(_TEXTS)[:12]}") \
            from None


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
            lambda d: d.execute_script("return !!(window.__framesiftRouter && window.__framesiftRouter.target)"))
        ActionChains(browser).send_keys("a").perform()
        _wait_text(browser, lambda t: "approve recorded for astronaut_0.jpg" in t)
        _wait_text(browser, lambda t: t.startswith("Current (1 of 8") and "coffee_1.jpg" in t)
        assert browser.execute_script("return window.__pwned || 0") == 0
    finally:
        server.stop()

    server = Server(run, _free_port(), log)              # a fresh process: nothing cached in memory
    try:
        browser.get(f"http://127.0.0.1:{server.port}/item?item=img000")
        status = _wait_text(browser, lambda t: t.startswith("astronaut_0.jpg — pipeline:"))
        assert "approve by browser-test" in status
        browser.get(f"http://127.0.0.1:{server.port}/queue")                # the Queue by its own URL
        _wait_text(browser, lambda t: t.startswith("Current (1 of 8") and "coffee_1.jpg" in t)
    finally:
        server.stop()


REASONS = ["low_quality", "blurry", "bad_exposure", "duplicate", "off_topic", "watermark_or_text", "unsafe", "other"]
_GRID = "document.querySelector(\"iframe[src*='framesift_review_grid']\")"


def _grid_js(driver, body):
    """Run `body` with `f` = the grid's frame element, `w` = its window, `d` = its document (same origin)."""
    return driver.execute_script(f"const f = {_GRID}; if (!f) return null; const w = f.contentWindow, "
                                 f"d = f.contentDocument; {body}")


def _current(driver, timeout=30):
    return _wait_text(driver, lambda t: t.startswith("Current ("), timeout)


class QueueModel:
    """What the queue must show: the undecided items in manifest order, and the cursor."""

    def __init__(self, names):
        self.order = list(names)            # (item_id, file name) in manifest order
        self.undecided = list(names)
        self.cursor = 0
        self.decided = {}                   # item_id -> (decision, reason)
        self.reason = REASONS[0]            # what r rejects with: the last reason chosen

    @property
    def current(self):
        return self.undecided[self.cursor]

    def decide(self, decision, reason=None):
        if decision == "reject":
            self.reason = reason = reason or self.reason
        item = self.undecided.pop(self.cursor)
        self.decided[item[0]] = (decision, reason)
        self.cursor = min(self.cursor, len(self.undecided) - 1)
        return item

    def undo(self, item):
        del self.decided[item[0]]
        self.undecided = [x for x in self.order if x[0] not in self.decided]
        self.cursor = self.undecided.index(item)

    def expect(self):
        iid, name = self.current
        return lambda t: (t.startswith(f"Current ({self.cursor + 1} of ") and f"{len(self.undecided)} match):" in t
                          and f"): {name} — undecided" in t)


def test_fifty_items_reviewed_with_the_keyboard_only(tmp_path, browser):
    import pyarrow.parquet as pq
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from curation_ui.export import export_approved
    from curation_ui.store import DecisionStore, default_db_url

    run = make_run(tmp_path / "run", n_images=60)
    names = [(f"img{i:03d}", f"{['astronaut', 'coffee', 'chelsea', 'rocket'][i % 4]}_{i}.jpg") for i in range(60)]
    names[3] = ("img003", "<img src=x onerror=alert(1)>.jpg")
    model = QueueModel(names + [("clip000", "pan.mp4 (clip)")])
    server = Server(run, _free_port(), str(tmp_path / "review.log"))

    def send(text):
        ActionChains(browser).send_keys(text).perform()

    def press(key, expect=None):
        send(key)
        if expect is not None:
            try:
                _wait_text(browser, expect)
            except AssertionError as e:
                raise AssertionError(f"after {key!r} expected {model.current[1]!r} at {model.cursor + 1} of "
                                     f"{len(model.undecided)}: {e}; grid says {grid_message()!r}") from None

    def grid_message():
        return _grid_js(browser, "return d.getElementById('msg').textContent") or ""

    try:
        browser.get(f"http://127.0.0.1:{server.port}/?reviewer=kbd")
        _wait_text(browser, model.expect())
        assert browser.current_url.split("?")[0].endswith("/queue")          # "/" forwards to /queue
        WebDriverWait(browser, 30, poll_frequency=0.1).until(
            lambda d: d.execute_script("return !!(window.__framesiftRouter && window.__framesiftRouter.target)")
            and _grid_js(d, "return d.querySelectorAll('[data-testid=framesift-card]').length") == 48)

        # a dense grid: count the cards wholly inside the window, and keep the picture
        # (in the frame's coordinates: the grid scrolls inside the frame, the frame sits in the window)
        above_fold = _grid_js(browser, """
            const top = f.getBoundingClientRect().top, g = d.getElementById('grid').getBoundingClientRect();
            const lo = Math.max(g.top, -top), hi = Math.min(g.bottom, window.innerHeight - top);
            return [...d.querySelectorAll('[data-testid=framesift-card]')].filter(c => {
              const r = c.getBoundingClientRect(); return r.top >= lo && r.bottom <= hi; }).length;""")
        shot = str(tmp_path / "queue_1400x1000.png")
        browser.save_screenshot(shot)
        if SCREENSHOT:
            shutil.copy(shot, SCREENSHOT)
        print(f"\nqueue at {browser.execute_script('return [innerWidth, innerHeight]')}: {above_fold} cards "
              f"wholly above the fold; screenshot {SCREENSHOT or shot}")
        assert above_fold >= 24

        # j pressed quickly 30 times: no press lost, and the current card is scrolled into view
        send("j" * 30)
        model.cursor = 30
        _wait_text(browser, model.expect())
        in_view = """
            const c = d.querySelector('.card.cur'), r = c.getBoundingClientRect(), top = f.getBoundingClientRect().top;
            const g = d.getElementById('grid').getBoundingClientRect();
            return [c.dataset.index, r.top >= Math.max(g.top, -top) && r.bottom <= Math.min(g.bottom,
                    window.innerHeight - top), r.top, r.bottom, g.top, g.bottom, top, window.innerHeight];"""
        try:
            WebDriverWait(browser, 10, poll_frequency=0.1).until(lambda d: _grid_js(d, in_view)[:2] == ["30", True])
        except Exception:
            raise AssertionError(f"the current card is not in view: {_grid_js(browser, in_view)}") from None
        send("k" * 30)
        model.cursor = 0
        _wait_text(browser, model.expect())

        # keys that cannot act say why, and change nothing
        press("9")
        WebDriverWait(browser, 10).until(lambda d: "only 8 reject reasons" in grid_message())
        press("x")
        assert "does nothing here" in grid_message()

        plan = ["a", "2", "f", "s", "r", "5", "a", "8", "1", "a"]
        undone, opened = None, False
        for n in range(50):
            key = plan[n % len(plan)]
            if n == 12:          # focus left in a dropdown (the sort box) must not swallow the next key
                browser.find_element(By.CSS_SELECTOR, ".st-key-f_sort [role=combobox], .st-key-f_sort input").click()
                send(Keys.ESCAPE)
            if n == 20 and not opened:     # open the current item (o), decide it there, come back (Esc)
                opened = True
                press("o", lambda t: t.startswith(f"{model.current[1]} — pipeline:"))
                assert browser.find_element(By.CSS_SELECTOR, ".st-key-reviewer input").get_attribute("value") == "kbd"
                WebDriverWait(browser, 30, poll_frequency=0.1).until(lambda d: d.execute_script(
                    "return !!(window.__framesiftRouter && window.__framesiftRouter.target)"))
                press("4", lambda t: "review: ⛔ reject: duplicate by kbd" in t)
                model.decide("reject", "duplicate")
                press(Keys.ESCAPE, model.expect())
                continue
            if key in "123456789":
                decision, reason = "reject", REASONS[int(key) - 1]
            elif key == "r":
                decision, reason = "reject", None                                 # the last reason chosen
            else:
                decision, reason = {"a": "approve", "f": "flag", "s": "skip"}[key], None
            item = model.decide(decision, reason)
            press(key, model.expect())
            if n == 25:          # one undo: the item comes back undecided, under the cursor
                model.undo(item)
                undone = item
                press("u", model.expect())
                WebDriverWait(browser, 10, poll_frequency=0.1).until(
                    lambda d: f"Undone: {item[1]} is undecided again." in grid_message())
                model.decide("flag")
                press("f", model.expect())
        assert browser.find_element(By.CSS_SELECTOR, ".st-key-reviewer input").get_attribute("value") == "kbd"
        assert browser.execute_script("return window.__pwned || 0") == 0
        requests = _request_urls(browser)
    finally:
        server.stop()

    # nothing left the machine: every network request went to this server (the browser's own chrome:// pages
    # are not network requests)
    web = [u for u in requests if u.startswith(("http:", "https:", "ws:", "wss:"))]
    foreign = sorted({u for u in web if not u.startswith(f"http://127.0.0.1:{server.port}/")})
    assert web and not foreign, foreign

    store = DecisionStore(default_db_url(run))
    table = store.decisions_table().to_pylist()
    got = {r["item_id"]: (r["decision"], r["reason"]) for r in table}
    assert got == model.decided and len(got) == 50
    assert {r["reviewer"] for r in table} == {"kbd"}
    audit = store.audit()
    assert [e.kind for e in audit].count("undo") == 1 and len(audit) == 52
    undo = next(e for e in audit if e.kind == "undo")
    assert (undo.subject, undo.value, undo.previous) == (undone[0], "undecided", "reject")
    assert store.get(undone[0]).version == 3

    out = str(tmp_path / "approved.parquet")
    stats = export_approved(run, store, out, "pipeline_then_human")
    exported = set(pq.read_table(out).column("item_id").to_pylist())
    kept = {r["item_id"] for r in pq.read_table(os.path.join(run, "manifest")).to_pylist() if r["keep"]}
    expected = (kept - {i for i, (d, _) in got.items() if d == "reject"}) | {i for i, (d, _) in got.items()
                                                                            if d == "approve"}
    assert exported == expected and stats["exported"] == len(expected)


def _request_urls(driver) -> list[str]:
    import json
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
        elif msg.get("method") == "Network.webSocketCreated":
            urls.append(msg["params"]["url"].replace("ws://", "http://", 1))
    return urls


def test_clip_plays_exactly_its_span_and_loops(tmp_path, browser):
    """An H.264 clip whose span is frames 30–54 of a 100-frame video at 25 fps (1.2–2.2 s): the player starts on
    frame 30, never presents a frame outside the span (one frame of slack for a loaded machine), and loops."""
    import av
    import numpy as np
    import pyarrow.parquet as pq
    from selenium.webdriver.support.ui import WebDriverWait

    from framesift.schemas import rows_to_table, table_to_rows
    media = tmp_path / "media"
    run = make_run(tmp_path / "run", n_images=2, media_dir=str(media))
    video = str(media / "pan.mp4")
    with av.open(video, "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for i in range(100):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.full((96, 160, 3), i * 2, np.uint8), "rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    shard = os.path.join(run, "manifest", "part-00000-of-00001.parquet")
    rows = table_to_rows(pq.read_table(shard))
    clip = next(r for r in rows if r.item_id == "clip000")
    clip.source_uri, clip.codec, clip.fps = video, "h264", 25.0
    clip.start_frame, clip.end_frame, clip.start_s, clip.end_s = 30, 55, 1.2, 2.2
    pq.write_table(rows_to_table(rows), shard)
    port = _free_port()
    log = open(tmp_path / "review.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "framesift.cli", "review", "--run", run, "--port", str(port),
                             "--media-root", str(media)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    probe = ("const f = document.querySelector(\"iframe[src*='framesift_clip_player']\"); "
             "return f && f.contentWindow.__clip ? f.contentWindow.__clip : null")
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        browser.get(f"http://127.0.0.1:{port}/item?item=clip000&reviewer=player")
        # played through the span and back at least once
        clip_state = WebDriverWait(browser, 60, poll_frequency=0.2).until(
            lambda d: (c := d.execute_script(probe)) and (c["fallback"] or (c["loops"] >= 2 and len(c["times"]) > 10))
            and c)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    assert not clip_state["fallback"], clip_state["error"]
    times = clip_state["times"]
    seeks = clip_state["seeks"]
    assert 1.2 - 1e-3 <= seeks[0] < 1.24, seeks[:5]                    # the player lands on frame 30 ...
    assert all(1.2 - 1e-3 <= s < 1.24 for s in seeks), seeks            # ... and every loop goes back to it
    # the first presented frame reported is frame 30, or frame 31 when a loaded compositor coalesced the callback
    assert 1.2 - 1e-3 <= times[0] <= 1.24 + 1e-3, times[:5]
    assert min(times) >= 1.2 - 1e-3 and max(times) <= 2.16 + 0.04 + 1e-3, (min(times), max(times))
    assert any(b < a for a, b in zip(times, times[1:]))                 # it looped back to the start
