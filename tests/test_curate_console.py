"""What a user sees and keeps when `framesift curate` is killed or fails: kill -9 of the whole process group leaves
no unreadable manifest and a rerun refuses with one line; a failed job prints one `error:` line (the traceback goes
to the run directory); the progress line."""
import io
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq

from pipelines.curate.console import JobProgress, summarize_error
from tests.curate_cli_fixtures import cli_env, curate_argv, mixed_corpus, run_cli, tiny_clip_dir


def _wait_for(predicate, timeout_s: float, proc=None) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_kill_9_of_the_process_group_leaves_no_unreadable_manifest_and_a_rerun_refuses(tmp_path):
    data, out = tmp_path / "data", tmp_path / "run"
    mixed_corpus(data, photos=16, videos=2)
    # the multi-process runner named: the job would run a corpus this small in one process
    argv = curate_argv(data, out, tiny_clip_dir(tmp_path), "--direct_running_mode=multi_processing")
    with open(tmp_path / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=cli_env(), start_new_session=True)
        try:
            # mid-job: items are being analysed (decoder helpers, Beam workers and the launcher all alive)
            started = _wait_for(lambda: any(f.endswith(".jpg") for _, _, fs in os.walk(out / "previews") for f in fs),
                                1500, proc)
            assert started, f"the job ended before it could be killed: {(tmp_path / 'stderr.txt').read_text()[-800:]}"
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert _wait_for(lambda: _group_gone(proc.pid), 30), "a process of the killed job survived"
    assert not (out / "report.json").exists()
    for path in (out / "manifest").glob("*.parquet") if (out / "manifest").exists() else []:
        pq.read_table(path)     # anything under a final manifest name must be a whole Parquet file
    rerun = run_cli(argv, 600)
    lines = rerun.stderr.strip().splitlines()
    assert rerun.returncode == 2 and len(lines) == 1, rerun.stderr
    assert lines[0].startswith("error:") and "--overwrite" in lines[0] and "unfinished run" in lines[0]


FAIL_JOB = """
import sys
from pipelines.curate import pipeline
def broken(record):
    raise RuntimeError("disk quota exceeded while counting")
pipeline.count_decision = broken
from framesift.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_failed_job_prints_one_error_line_and_keeps_the_traceback(tmp_path):
    data, out = tmp_path / "data", tmp_path / "run"
    mixed_corpus(data, photos=2, videos=0)
    argv = curate_argv(data, out, tiny_clip_dir(tmp_path), "--set", "scoring.enabled=false",
                       "--direct_running_mode=in_memory")
    proc = run_cli([sys.executable, "-c", FAIL_JOB, *argv[3:]], 1800)
    lines = [line for line in proc.stderr.strip().splitlines() if not line.startswith("curate: ")]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: the curate job failed: RuntimeError: disk quota exceeded"), lines[0]
    assert "Traceback" in (out / "job.log").read_text() and "details in" in lines[0]


def test_summarize_error_picks_the_last_error_line_of_a_worker_traceback():
    exc = RuntimeError("Traceback (most recent call last):\n  File \"x.py\", line 1\n"
                       "ValueError: bad pixels [while running 'CurateImages/Analyze']\n")
    assert summarize_error(exc) == "ValueError: bad pixels [while running 'CurateImages/Analyze']"
    assert summarize_error(OSError("no space left")) == "OSError: no space left"


def test_progress_line_counts_analysed_items_after_a_delay(tmp_path):
    thumbs = tmp_path / "previews" / "ab"
    thumbs.mkdir(parents=True)
    for name in ("a.jpg", "b.jpg", "b.webp"):
        (thumbs / name).write_bytes(b"x")
    stream = io.StringIO()
    with JobProgress(str(tmp_path), input_files=5, stream=stream, delay_s=0.2, log_interval_s=0.1):
        time.sleep(0.6)
    assert stream.getvalue().splitlines()[0].startswith("curate: 2 items analysed from 5 input files, 0:00 elapsed")
    quiet = io.StringIO()
    with JobProgress(str(tmp_path), input_files=5, stream=quiet, delay_s=5):
        pass
    assert quiet.getvalue() == "", "a job shorter than the delay shows no progress line"
