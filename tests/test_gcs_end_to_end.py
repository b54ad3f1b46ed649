"""The cloud path end to end through a local GCS emulator (started and stopped by the test session): media uploaded
to a bucket; `framesift curate gs://... -> gs://...` the way users run it; rethreshold, export and review read the
run from the bucket with no copy step. Every output must match the same run on local disk in content (rows
matched by their source path below the input root, since item ids and URIs carry the root)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pyarrow.parquet as pq
import pytest

from tests.curate_cli_fixtures import CONSOLE_NOISE, mixed_corpus, tiny_clip_dir
from tests.gcs_emulator import create_bucket, emulator_env, upload_tree
from tests.review_server import Server, free_port
from tests.scoring_fixtures import TINY_CLIP

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUCKET = "fs-e2e"
RAW, RUN, EXPORT = f"gs://{BUCKET}/raw", f"gs://{BUCKET}/runs/r1", f"gs://{BUCKET}/exports/approved.parquet"
RETHRESHOLD = ["--set", "filters.sharpness.min=0.5"]
PAGES = os.path.join(ROOT, "curation_ui", "app_pages")


def _cli(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "framesift.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    for noise in CONSOLE_NOISE + ("credentials", "DefaultCredentialsError"):
        assert noise not in done.stderr, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def runs(gcs_emulator, tmp_path_factory):
    """The same corpus curated from the bucket into the bucket (the command, with its default multi-process runner)
    and from local disk to local disk (in this process, for time), both rethresholded the same way; every process
    gets its own cache and state dirs."""
    from pipelines.curate.job import run_curate
    from pipelines.curate.rethreshold import rethreshold
    from tests.scoring_fixtures import fast_curate_config
    tmp = tmp_path_factory.mktemp("gcs_e2e")
    data = tmp / "data"
    mixed_corpus(str(data), photos=6, videos=1)
    env = {**os.environ, **gcs_emulator, "FRAMESIFT_CACHE_DIR": str(tmp / "cache"),
           "FRAMESIFT_STATE_DIR": str(tmp / "state")}
    create_bucket(env, BUCKET)
    upload_tree(env, str(data), RAW)
    config = ["--set", f"scoring.clip_model={TINY_CLIP}", "--set", f"scoring.model_config_dir={tiny_clip_dir(tmp)}"]
    _cli(env, "curate", "--input", RAW + "/", "--output", RUN, "--project", "test", *config)
    _cli(env, "rethreshold", RUN, *RETHRESHOLD)
    local = str(tmp / "local_run")
    run_curate(fast_curate_config(tmp / "clip_local"), [str(data)], local,
               beam_args=["--direct_running_mode=in_memory"])
    rethreshold(local, RETHRESHOLD[1::2])
    return {"env": env, "local": local, "data": str(data), "tmp": tmp}


def _by_source(table, root: str) -> dict:
    """Rows keyed by (source path below the input root, span), with ids mapped the same way."""
    rows = table.to_pylist()
    key_of = {r["item_id"]: (os.path.relpath(r["source_uri"].split("://")[-1], root.split("://")[-1]),
                             r["start_frame"], r["end_frame"]) for r in rows}
    out = {}
    for r in rows:
        out[key_of[r["item_id"]]] = {
            "keep": r["keep"], "media_type": r["media_type"], "width": r["width"], "height": r["height"],
            "scores": r["scores"], "reasons": sorted((x["stage"], x["name"], x["reason"]) for x in r["reject_reasons"]),
            "duplicate_of": key_of.get(r["duplicate_of"], r["duplicate_of"]),
            "in_group": r["duplicate_group"] is not None}
    return out


def test_curate_and_rethreshold_in_the_bucket_match_local_disk(runs):
    from framesift.manifest_reader import read_manifest
    with emulator_env(runs["env"]):
        remote = _by_source(read_manifest(RUN), RAW)
        from framesift import run_files
        report = json.loads(run_files.read_bytes(f"{RUN}/report.json"))
        log = run_files.read_bytes(f"{RUN}/rethreshold_log.jsonl").decode().splitlines()
        config = run_files.read_bytes(f"{RUN}/config.yaml").decode()
        thresholds = json.loads(run_files.read_bytes(f"{RUN}/thresholds.json"))
    local = _by_source(read_manifest(runs["local"]), runs["data"])
    assert len(remote) == len(local) >= 8 and remote == local
    with open(os.path.join(runs["local"], "report.json")) as f:
        local_report = json.load(f)
    for key in ("inputs", "items", "rejected_by_reason", "dead_letter", "models"):
        assert report[key] == local_report[key], key
    assert report["reconciled"] and report["run_dir"] == RUN
    assert report["rethreshold"]["rows_changed"] == local_report["rethreshold"]["rows_changed"]
    assert len(log) == 1 and "min: 0.5" in config.replace("'", "")
    assert any(t["filter"] == "sharpness" and t["value"] == 0.5 for t in thresholds["thresholds"])


def test_export_from_the_bucket_to_the_bucket_matches_local(runs):
    """No review store yet: the pipeline's decisions; then a decision in the gs:// run's default store (a local
    SQLite file named after the run) is honoured by export from gs://."""
    from curation_ui.export import export_approved
    from curation_ui.store import DecisionStore, default_db_path, default_db_url
    from framesift import run_files
    env = runs["env"]
    _cli(env, "export", "--run", RUN, "--output", EXPORT)
    local_out = str(runs["tmp"] / "approved.parquet")
    export_approved(runs["local"], DecisionStore("sqlite://"), local_out)
    with emulator_env(env):
        remote = pq.read_table(run_files.open_input(EXPORT))
    local = pq.read_table(local_out)
    rel = lambda t, root: sorted(os.path.relpath(u.split("://")[-1], root.split("://")[-1])  # noqa: E731
                                 for u in t.column("source_uri").to_pylist())
    assert rel(remote, RAW) == rel(local, runs["data"]) and remote.num_rows > 0

    rejected = local.column("source_uri")[0].as_py()
    with emulator_env(env):
        path = default_db_path(RUN)
        assert not run_files.is_remote(path) and path.startswith(env["FRAMESIFT_STATE_DIR"])
        assert "fs-e2e-runs-r1" in os.path.basename(path)
        remote_id = next(r["item_id"] for r in remote.to_pylist()
                         if r["source_uri"].endswith(os.path.relpath(rejected, runs["data"])))
        store = DecisionStore(default_db_url(RUN))
        store.decide(remote_id, "reject", "tester", reason="low_quality", expected_version=0)
        export_approved(RUN, store, EXPORT)
        after = pq.read_table(run_files.open_input(EXPORT))
    assert after.num_rows == remote.num_rows - 1 and remote_id not in after.column("item_id").to_pylist()


def test_review_app_reads_the_bucket_run(runs, monkeypatch):
    """AppTest on the gs:// run: the queue shows every item with its thumbnail (fetched once into the local
    cache), the Item page opens; then a real `framesift review --run gs://...` answers its health check."""
    from streamlit.testing.v1 import AppTest
    for k, v in runs["env"].items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("FRAMESIFT_RUN", RUN)
    monkeypatch.delenv("FRAMESIFT_DB", raising=False)
    monkeypatch.delenv("FRAMESIFT_REVIEW_CONFIG", raising=False)
    at = AppTest.from_file(os.path.join(PAGES, "queue.py"), default_timeout=60)
    at.session_state["reviewer"] = "alice"
    at.run()
    assert not at.exception, at.exception
    current = next(t.value for t in at.text if t.value.startswith("Current (1 of "))
    shown = int(current.split()[3])
    cached = [os.path.join(d, n) for d, _, names in os.walk(runs["env"]["FRAMESIFT_CACHE_DIR"]) for n in names
              if "previews" in d]
    assert shown >= 6 and len(cached) == shown, (current, cached)     # the page's thumbnails, fetched once
    item = AppTest.from_file(os.path.join(PAGES, "item.py"), default_timeout=60)
    item.session_state["reviewer"] = "alice"
    item.run()
    assert not item.exception, item.exception

    log = str(runs["tmp"] / "review.log")
    server = Server(RUN, free_port(), log, env=runs["env"], timeout_s=90)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/_stcore/health", timeout=5) as r:
            assert r.status == 200
    finally:
        server.stop()
    with open(log) as f:
        text = f.read()
    assert f"of {RUN} at http://127.0.0.1:{server.port}/" in text and "Traceback" not in text, text


def test_dedupe_against_a_run_in_the_bucket(runs, monkeypatch):
    """The same media curated again locally with --dedupe-against the bucket's run: every item the earlier run
    kept is now a duplicate of it, nothing new is kept."""
    from apache_beam.internal.gcp import auth as beam_auth
    from framesift.commands.gcs_credentials import check_gcs_credentials
    from framesift.manifest_reader import read_manifest
    from pipelines.curate.job import run_curate
    from tests.scoring_fixtures import fast_curate_config
    for k, v in runs["env"].items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(beam_auth._Credentials, "_credentials_init", beam_auth._Credentials._credentials_init)
    monkeypatch.setattr(beam_auth._Credentials, "_credentials", beam_auth._Credentials._credentials)
    check_gcs_credentials([RUN])                    # what the command does first: anonymous, no look-up
    cfg = fast_curate_config(runs["tmp"] / "clip_again")
    cfg.dedupe.against = [RUN]
    out = str(runs["tmp"] / "again")
    report = run_curate(cfg, [runs["data"]], out, beam_args=["--direct_running_mode=in_memory"])
    earlier = _by_source(read_manifest(runs["local"]), runs["data"])
    again = _by_source(read_manifest(out), runs["data"])
    kept_before = {k for k, r in earlier.items() if r["keep"]}
    assert kept_before and report["items"]["kept"] == 0
    assert all(any(stage == "dedupe" for stage, _, _ in again[k]["reasons"]) for k in kept_before), again
