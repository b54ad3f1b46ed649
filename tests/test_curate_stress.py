"""The curate job, run as users run big jobs (the CLI, every core), many times back to back on
images + videos + broken files with CPU hogs beside it. Any crash fails: a forked decoder helper under gRPC threads
used to kill about one run in three here (issue 9).

What races is a Beam worker (gRPC threads live) starting its decoder helper and feeding it images and videos
(SplitVideo). Each run is kept to that, so that 20 runs finish under load: a small corpus, the runner named
explicitly (the job would run such a corpus in one process), alternately worker processes and worker threads (the
default for big runs with scoring off: the launcher, gRPC threads live, starts the helpers), and without what
costs CPU-seconds but plays no part in the race: model scoring (torch, open_clip, onnxruntime imported in the launcher and every worker, ~15 CPU-s a
run) and the TransNetV2 shot detector (torch in every helper, ~11 CPU-s for two short clips; the content detector still decodes
and splits every clip in the helper). Runs with scoring on in the workers: test_curate_console's kill -9 test."""
import json
import os
import time

import pytest

from pipelines.curate.console import JobProgress
from tests.curate_cli_fixtures import (CONSOLE_NOISE, FORK_TRACES, cpu_hogs, curate_argv, mixed_corpus, run_cli,
                                       tiny_clip_dir)

STRESS_ARGS = ("--set", "scoring.enabled=false", "--set", "shots.detector=content")
WORKERS = ("--direct_running_mode=multi_processing", "--direct_running_mode=multi_threading")
PROGRESS_DELAY_S = JobProgress(".", 0).delay_s


def _curate_runs(tmp_path, runs: int, timeout_s: float) -> list[str]:
    """-> one line per failed run (empty: all passed)"""
    data = tmp_path / "data"
    counts = mixed_corpus(data, photos=8, videos=3, photo_width=192, clip_frames=24, clip_side=64)
    config_dir = tiny_clip_dir(tmp_path)
    failures = []
    with cpu_hogs(2):
        for i in range(runs):
            out = tmp_path / f"run{i}"
            started = time.monotonic()
            workers = WORKERS[i % len(WORKERS)]
            proc = run_cli(curate_argv(data, out, config_dir, workers, *STRESS_ARGS), timeout_s)
            # for the record (pytest -s): how long a run took and how loaded the machine was
            print(f"stress run {i} ({workers}): rc={proc.returncode} {time.monotonic() - started:.1f}s "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
            noise = [n for n in CONSOLE_NOISE if n in proc.stderr]
            if proc.returncode != 0 or noise:
                failures.append(f"run {i} ({workers}): rc={proc.returncode} noise={noise} "
                                f"stderr tail: {proc.stderr[-600:]!r}")
                continue
            report = json.loads((out / "report.json").read_text())
            # the progress line shows once the job has run for PROGRESS_DELAY_S (a fast run ends before)
            if report["timing_s"]["pipeline"] > PROGRESS_DELAY_S + 1 and "items analysed from" not in proc.stderr:
                failures.append(f"run {i}: no progress line: {proc.stderr[-300:]!r}")
            # the console is quiet by design (the job's own output goes to RUN/job.log): the log must show no fork
            # under gRPC threads either, or the quiet console would only hide the race
            forked = [n for n in FORK_TRACES if n in (out / "job.log").read_text(errors="replace")]
            if forked:
                failures.append(f"run {i}: job.log shows {forked}")
            expected = counts["photos"] + counts["videos"] + counts["bad"]
            if not report["reconciled"] or report["inputs"]["expected"] != expected:
                failures.append(f"run {i}: report does not add up: {report['inputs']}")
            clips = report["items"]["by_media_type"].get("clip", {}).get("total", 0)
            if clips < counts["videos"]:     # every clip went through the helper's decode and split
                failures.append(f"run {i}: {clips} clips from {counts['videos']} videos")
    return failures


def test_curate_survives_back_to_back_runs_under_load(tmp_path):
    failures = _curate_runs(tmp_path, runs=2, timeout_s=600)
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_curate_survives_twenty_runs_under_load(tmp_path):
    runs = int(os.environ.get("FRAMESIFT_STRESS_RUNS", "20"))
    failures = _curate_runs(tmp_path, runs=runs, timeout_s=600)
    assert not failures, f"{len(failures)} of {runs} runs failed:\n" + "\n".join(failures)
