"""Review queue at scale: one page of 48 filtered, sorted thumbnails from a 1M-row manifest (target <= 1 s).

Writes a synthetic run (valid ManifestRow schema, benchmarks/synthetic_manifest.py), then times
  1. the one-off manifest index build (once per change of the run),
  2. fetching a page: filter + sort through the index, the page's review states, its 48 thumbnails' bytes,
  3. rendering it: the Queue page run headless by Streamlit's AppTest (script, widgets, 48 st.image calls),
     turning to a new page each time, so nothing is served from a previous render;
  4. with --browser: the same in a real browser (Debian's Chromium via Selenium) against `framesift review`, from the
     click on "Page >" until the new page's 48 thumbnails are loaded.

    python benchmarks/review_queue_page.py [--rows 1000000] [--run DIR] [--repeat 5] [--browser]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.synthetic_manifest import write_synthetic_run  # noqa: E402
from framesift.schemas.columns import Col  # noqa: E402

QUEUE_PAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "curation_ui", "app_pages",
                          "queue.py")


def _fetch(query, store, media, q, offset):
    from curation_ui.actions import state_filter
    include, exclude = state_filter(store, ["undecided"])
    page = query.page(q, offset, 48, include, exclude)
    store.get_many(r[Col.ITEM_ID] for r in page.rows)
    thumbs = [media.run_file(r[Col.THUMBNAIL_PATH]) for r in page.rows]
    assert len(page.rows) == 48 and all(thumbs)
    return page.total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--run", help="run dir to (re)use; default: a temp dir, removed afterwards")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also time page turns in Chromium (selenium)")
    args = parser.parse_args(argv)

    from curation_ui.manifest_index import ensure_index
    from curation_ui.manifest_query import ManifestQuery, QueueQuery
    from curation_ui.media import MediaRoots
    from curation_ui.store import DecisionStore, default_db_url

    run = args.run or tempfile.mkdtemp(prefix="framesift-bench-")
    try:
        if not os.path.isdir(os.path.join(run, "manifest")):
            t = time.perf_counter()
            write_synthetic_run(run, args.rows)
            print(f"synthetic manifest: {args.rows:,} rows in {time.perf_counter() - t:.1f}s -> {run}")
        t = time.perf_counter()
        ensure_index(run)
        print(f"index build (once per run change): {time.perf_counter() - t:.2f}s")

        query, store = ManifestQuery(run), DecisionStore(default_db_url(run))
        first = query.page(QueueQuery(), 0, 1000).rows           # some decisions, so the state filter has work
        store.decide_many([(r[Col.ITEM_ID], 0) for r in first[:500]], "approve", "bench")
        q = QueueQuery(keep=True, score_ranges=(("luma_mean", 0.2, 0.8),), sort_by="sharpness", descending=True)
        fetch = []
        for i in range(args.repeat):
            t = time.perf_counter()
            total = _fetch(query, store, MediaRoots(run), q, 48 * (i + 3))
            fetch.append(time.perf_counter() - t)
        print(f"fetch one page (filter {total:,} of {query.total_rows:,} rows, sort, states, 48 thumbnails): "
              f"median {statistics.median(fetch) * 1000:.0f} ms, max {max(fetch) * 1000:.0f} ms")

        from streamlit.testing.v1 import AppTest
        os.environ["FRAMESIFT_RUN"] = run
        at = AppTest.from_file(QUEUE_PAGE, default_timeout=120)
        at.session_state["reviewer"] = "bench"
        for key, value in {"f_keep": "kept", "f_ranges": ["luma_mean"], "f_lo_luma_mean": 0.2,
                           "f_hi_luma_mean": 0.8, "f_sort": "sharpness", "f_desc": True}.items():
            at.session_state[key] = value
        t = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t
        assert not at.exception, at.exception
        render = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            at.button(key="page_next").click().run()
            render.append(time.perf_counter() - t)
            assert not at.exception and any(t.value.startswith("Current (1 of 48 ") for t in at.text), at.exception
        med = statistics.median(render)
        print(f"render one page (Queue page, AppTest, 48 thumbnails): first {cold * 1000:.0f} ms, "
              f"then median {med * 1000:.0f} ms, max {max(render) * 1000:.0f} ms")
        if args.browser:
            med = max(med, _browser(run, args.repeat))
        verdict = "OK" if max(statistics.median(fetch), med) <= 1.0 else "OVER TARGET"
        print(f"queue page of 48 at {query.total_rows:,} rows: {med:.2f} s (target <= 1 s): {verdict}")
        return 0 if verdict == "OK" else 1
    finally:
        if not args.run:
            shutil.rmtree(run, ignore_errors=True)


def _browser(run: str, repeat: int) -> float:
    """Median seconds from a click on "Page >" to 48 loaded thumbnails, in Chromium against `framesift review`."""
    import socket
    import subprocess
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "framesift.cli", "review", "--run", run, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="framesift-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1600,1200",
                 f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=opts)

    def pager(d):
        try:
            return next((e.text for e in d.find_elements(By.CSS_SELECTOR, "[data-testid='stText']")
                         if e.text.startswith("page ")), "")
        except StaleElementReferenceException:
            return ""
    loaded = ("const f = document.querySelector(\"iframe[src*='framesift_review_grid']\"); if (!f) return 0; "
              "return Array.from(f.contentDocument.querySelectorAll('[data-testid=framesift-card] img'))"
              ".filter(i => i.complete && i.naturalWidth > 0).length")
    try:
        time.sleep(3)
        driver.get(f"http://127.0.0.1:{port}/?reviewer=bench&keep=kept&range=luma_mean:0.2:0.8&sort=sharpness&desc=1")
        WebDriverWait(driver, 120, 0.05).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=stExpander]"))
        driver.find_element(By.CSS_SELECTOR, "[data-testid=stExpander] summary").click()    # the Controls
        WebDriverWait(driver, 120, 0.05).until(lambda d: pager(d).startswith("page 1 of"))
        turns = []
        for n in range(2, repeat + 2):
            start = time.perf_counter()
            driver.find_element(By.CSS_SELECTOR, ".st-key-page_next button").click()
            WebDriverWait(driver, 60, 0.01).until(lambda d: pager(d).startswith(f"page {n} of"))
            WebDriverWait(driver, 60, 0.01).until(lambda d: d.execute_script(loaded) >= 48)
            turns.append(time.perf_counter() - start)
        med = statistics.median(turns)
        print(f"browser page turn (Chromium, click to 48 thumbnails loaded; {pager(driver)}): "
              f"median {med * 1000:.0f} ms, max {max(turns) * 1000:.0f} ms")
        return med
    finally:
        driver.quit()
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
