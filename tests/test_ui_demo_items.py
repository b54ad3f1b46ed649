"""The Item page opens every item of the demo run (images, and clips from MP4/H.264, MOV, MKV/HEVC, WebM/VP9 and
AVI/mpeg4) without an exception, and every clip gets a player source a browser can play — the original, or the
browser-safe copy the curate job made — or, failing both, a sentence saying why."""
import json
import os

import yaml
from streamlit.testing.v1 import AppTest

from curation_ui.manifest_query import ManifestQuery, QueueQuery
from framesift.browser_video import browser_playable
from framesift.run_layout import browser_preview_relpath

ITEM_PAGE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "curation_ui", "app_pages", "item.py")


def _player_args(at):
    """The clip player's arguments, as the page sent them to the browser."""
    for el in at.get("component_instance"):
        args = json.loads(el.proto.json_args)
        if "first_frame" in args:
            return args
    return None


def test_item_page_opens_every_demo_item(demo_corpus, demo_run, monkeypatch):
    run_dir, _ = demo_run
    monkeypatch.setenv("FRAMESIFT_RUN", str(run_dir))
    monkeypatch.delenv("FRAMESIFT_DB", raising=False)
    monkeypatch.setenv("FRAMESIFT_REVIEW_CONFIG", yaml.safe_dump({"media_roots": [str(demo_corpus / "media")]}))
    query = ManifestQuery(str(run_dir))
    rows = query.take_rows(list(range(query.total_rows)))
    clips = [r for r in rows if r["media_type"] == "clip"]
    assert len(rows) > 50 and len({os.path.splitext(r["source_uri"])[1] for r in clips}) >= 5
    at = AppTest.from_file(ITEM_PAGE, default_timeout=60)
    at.session_state["reviewer"] = "every-item"
    sources = {}
    for r in rows:
        at.query_params["item"] = r["item_id"]
        at.run()
        assert not at.exception, (r["item_id"], r["source_uri"], at.exception)
        assert any(t.value.startswith(f"{os.path.basename(r['source_uri'])}") for t in at.text), r["item_id"]
        if r["media_type"] == "clip":
            args = _player_args(at)
            assert args is not None and args["frames"] > 0 and args["end"] > args["start"], r["item_id"]
            sources[r["item_id"]] = args
    for r in clips:
        args, ext = sources[r["item_id"]], os.path.splitext(r["source_uri"])[1]
        made = os.path.exists(os.path.join(run_dir, browser_preview_relpath(r["preview_path"])))
        row = query.manifest_row(r["item_id"])
        # a copy exactly when browsers cannot play the original; every clip plays, one way or the other
        assert made == (not browser_playable(r["source_uri"], row.codec)), (ext, row.codec)
        assert args["src"], (ext, row.codec, args["why"])
        if made:
            assert args["start"] == 0 and args["note"].startswith("Browser-safe copy made at curate time")
        else:
            assert abs(args["start"] - row.start_s) < 1e-9 and abs(args["end"] - row.end_s) < 1e-9
    assert query.count(QueueQuery(media_type="clip")) == len(clips)
