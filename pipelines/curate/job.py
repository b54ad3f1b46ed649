"""Launch the curate job: validate inputs and config up front, run the Beam pipeline, then write the report.

Runs the same on DirectRunner and Dataflow: everything here goes through FileSystems, and the launcher only
reads the job's outputs after it finishes.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Optional

import apache_beam as beam
from apache_beam.options.pipeline_options import (DirectOptions, PipelineOptions, WorkerOptions,
                                                  StandardOptions)

from framesift.checks import active_thresholds, thresholds_to_json
from framesift.config import CurateConfig, config_hash, config_to_yaml
from pipelines.curate import run_dir as rd
from pipelines.curate.outputs import read_dead_letters, read_input_list, read_manifest
from pipelines.curate.pipeline import build_curate_pipeline
from pipelines.curate.console import JobProgress, output_to_log, summarize_error
from pipelines.curate.report import build_report, format_summary
from pipelines.curate.report_html import render_report_html
from pipelines.filters import curate_filters
from pipelines.gcs_emulator_access import add_worker_plugin
from pipelines.curate.inputs import (InputError, broken_links, framesift_run_dirs, input_root, matched_uris,
                                     resolve_patterns)
from pipelines.curate.item_analyzer import ITEM_WORK_MODULE
from pipelines.media.helper_process import close_spares, start_spares


class JobFailed(RuntimeError):
    """The Beam job itself failed (not one input: those are dead letters). The message is one line; the full
    traceback is in RUN_DIR/job.log."""

    @classmethod
    def from_exception(cls, exc: BaseException, run_dir: str) -> "JobFailed":
        import traceback
        text = "".join(traceback.format_exception(exc))
        log = rd.join(run_dir, rd.JOB_LOG)
        try:
            if "://" in log:
                rd.write_atomic(log, text.encode(), "text/plain")
            else:
                with open(log, "a", encoding="utf-8") as f:   # after what the job's processes printed
                    f.write(text)
            where = f"; details in {log}"
        except Exception:       # the run directory itself may be what failed
            where = ""
        return cls(f"the curate job failed: {summarize_error(exc)}{where}")


def _is_local_runner(options: PipelineOptions) -> bool:
    runner = options.view_as(StandardOptions).runner
    return runner is None or str(runner).split(".")[-1] in ("DirectRunner", "PrismRunner", "BundleBasedDirectRunner",
                                                           "SwitchingDirectRunner", "FnApiRunner", "PortableRunner")


def _check_remote_paths(paths: dict[str, list[str]]) -> None:
    """Workers of a remote runner share no disk with the launcher: every path they touch must be a URL."""
    for flag, values in paths.items():
        local = [v for v in values if "://" not in v]
        if local:
            raise InputError(f"{flag} {local[0]}: a remote runner's workers cannot read or write local paths; "
                             f"use gs://...")


def _check_sidecars(paths: list[str]) -> None:
    from pipelines.curate.sidecar import read_sidecar
    for path in paths:
        try:
            for _ in read_sidecar(path, rd.read_bytes(path)):
                pass
        except Exception as e:  # a bad sidecar fails here, before the run directory exists, not inside the job
            raise InputError(f"sidecar {path}: {e}") from None


# Below this much work (images, plus VIDEO_WORK per video) the DirectRunner runs in this process when the per-item
# work runs in Beam's workers: starting a worker process per core costs more than 2 cores save on ~200 images.
SMALL_RUN_WORK = 200
VIDEO_WORK = 25


def run_work(uris, cfg: CurateConfig) -> int:
    videos = {e.lower().lstrip(".") for e in cfg.ingest.video_extensions}
    return sum(VIDEO_WORK if os.path.splitext(u)[1].lower().lstrip(".") in videos else 1 for u in uris)


def work_in_helpers(cfg: CurateConfig, n_inputs: Optional[int]) -> bool:
    """Whether the per-item CPU work of this run happens in decoder helper processes (pipelines/media/
    helper_process.py) rather than in Beam's workers: decoding isolated for images and videos, no model scoring (it
    runs in the worker), and dedupe on one worker (the many-key graph is Python-heavy)."""
    a = cfg.analysis
    return (a.isolate_image_decoding and a.isolate_video_decoding and not cfg.scoring.enabled
            and n_inputs is not None and n_inputs <= cfg.dedupe.one_worker_max_items)


def pipeline_options(beam_args: list[str], work: Optional[int] = None, in_helpers: bool = False) -> PipelineOptions:
    """`work`: the run's size (run_work), when known; a small run then stays in this process. `in_helpers`: the
    per-item work runs in helper processes (work_in_helpers); the workers are then threads of this process."""
    options = PipelineOptions(beam_args, save_main_session=False)
    given = " ".join(beam_args)
    if options.view_as(StandardOptions).runner is None and "--direct_running_mode" not in given:
        # default: DirectRunner on every core when the per-item work pays for the workers' start-up
        direct = options.view_as(DirectOptions)
        if in_helpers:
            # Worker threads, at any size: each waits on its helper's pipe (no GIL held) and only hands records on;
            # no worker process pays ~1.5 CPU-s of start-up (Beam's imports, gRPC), and the helpers start ahead
            # (run_curate), so a second core costs ~0.1 CPU-s even on 20 images.
            direct.direct_running_mode = "multi_threading"
        elif work is not None and work <= SMALL_RUN_WORK:
            direct.direct_running_mode = "in_memory"
        else:
            # worker processes: fresh interpreters (Beam's SubprocessSdkWorker: subprocess.Popen of
            # sdk_worker_main), never forked copies of this gRPC-threaded launcher. Prism, which the DirectRunner
            # would pick for some graphs, is never picked for this one (with_exception_handling DoFns), and its
            # workers are exec'd too. Decoding in a helper forks nothing either: pipelines/media/helper_process.py
            direct.direct_running_mode = "multi_processing"
        if direct.direct_running_mode != "in_memory" and "--direct_num_workers" not in given:
            direct.direct_num_workers = 0
    add_worker_plugin(options)     # against a GCS emulator, workers skip the ~26 s credential look-up
    if "--default_sdk_harness_log_level" not in given:
        # worker processes log every gRPC channel at INFO; keep the console for what matters
        options.view_as(WorkerOptions).default_sdk_harness_log_level = "WARNING"
    return options


def helpers_in_this_process(options: PipelineOptions, cfg: CurateConfig, uris: list[str]) -> int:
    """How many decoder helpers this process will run for the job: the in-process runners' worker threads call
    them from here (0 when Beam's workers are other processes, or decoding is not isolated)."""
    if not _is_local_runner(options):
        return 0
    direct = options.view_as(DirectOptions)
    if direct.direct_running_mode not in ("in_memory", "multi_threading"):
        return 0
    videos = {e.lower().lstrip(".") for e in cfg.ingest.video_extensions}
    images = {e.lower().lstrip(".") for e in cfg.ingest.image_extensions}
    isolated = 0
    for uri in uris:
        ext = os.path.splitext(uri)[1].lower().lstrip(".")
        isolated += (ext in images and cfg.analysis.isolate_image_decoding) or \
            (ext in videos and cfg.analysis.isolate_video_decoding)
    threads = 1 if direct.direct_running_mode == "in_memory" else (direct.direct_num_workers or os.cpu_count() or 1)
    return min(threads, isolated)


def run_curate(cfg: CurateConfig, inputs: list[str], output: str, input_lists: list[str] = (),
               beam_args: list[str] = (), overwrite: bool = False,
               pipeline: Optional[beam.Pipeline] = None, console: bool = False) -> dict:
    """`console`: run as the CLI does (pipelines/curate/console.py): on a local runner with a local run directory,
    a progress line on the terminal and the job's own output in RUN/job.log."""
    run_dir = output if "://" in output else os.path.abspath(output)
    if not overwrite:
        rd.refuse_existing_run(run_dir)           # a rerun refuses before any slow check
    filters = curate_filters(cfg)          # config errors surface before anything runs
    patterns = resolve_patterns(inputs)
    literal = []
    for path in input_lists:
        try:
            literal.extend(u if "://" in u else os.path.abspath(u) for u in read_input_list(path))
        except (OSError, ValueError, KeyError) as e:
            raise InputError(f"--input-list {path}: {e}") from None
    listed_dirs = [u for u in literal if "://" not in u and os.path.isdir(u)]
    if listed_dirs:     # a listed directory means its files, as with --input (not one input with no extension)
        patterns += resolve_patterns(listed_dirs)
        literal = [u for u in literal if u not in set(listed_dirs)]
    if not patterns and not literal:
        raise InputError("give at least one --input or --input-list")
    if cfg.scoring.enabled:
        from pipelines.scoring.scorer import check_weights
        from pipelines.scoring.weights import WeightsError
        try:
            check_weights(cfg.scoring)                # missing weights stop the job before any worker starts
        except WeightsError as e:
            raise InputError(str(e)) from None
    if not _is_local_runner(pipeline.options if pipeline is not None else PipelineOptions(list(beam_args))):
        _check_remote_paths({"--input": patterns, "--input-list": literal, "--output": [output],
                             "--sidecar": list(cfg.ingest.sidecars)})
    _check_sidecars(list(cfg.ingest.sidecars))
    # a run directory inside an input directory: its own outputs (config, previews) must never become inputs, nor
    # those of earlier runs there
    literal.extend(broken_links(patterns))
    uris = matched_uris(patterns, literal)     # listed once: on a bucket this is the expensive part
    exclude = tuple(sorted({run_dir.rstrip("/") + "/", *framesift_run_dirs(uris)}))
    inputs = [u for u in uris if not u.startswith(exclude)]
    expected = len(inputs)
    rd.prepare_run_dir(run_dir, overwrite)
    chash = config_hash(cfg)
    rd.write_atomic(rd.join(run_dir, rd.CONFIG_FILE), config_to_yaml(cfg).encode())
    thresholds = active_thresholds(filters)
    rd.write_atomic(rd.join(run_dir, rd.THRESHOLDS_FILE), thresholds_to_json(thresholds).encode(), "application/json")

    p = pipeline or beam.Pipeline(options=pipeline_options(list(beam_args), run_work(inputs, cfg),
                                                           work_in_helpers(cfg, expected)))
    # the decoder helpers this process will need start now: their start-up runs beside the graph's construction
    start_spares(helpers_in_this_process(p.options, cfg, inputs), (ITEM_WORK_MODULE,))
    try:
        build_curate_pipeline(p, cfg, run_dir, chash, patterns, literal, list(cfg.ingest.sidecars), exclude,
                              n_inputs=expected, input_root=input_root(patterns, literal))
        started = time.perf_counter()
        quiet = console and "://" not in run_dir and _is_local_runner(p.options)
        try:
            with (output_to_log(rd.join(run_dir, rd.JOB_LOG)) if quiet else contextlib.nullcontext(None)) as terminal:
                with (JobProgress(run_dir, expected, terminal) if quiet else contextlib.nullcontext()):
                    result = p.run()
                    result.wait_until_finish()
        except Exception as e:
            raise JobFailed.from_exception(e, run_dir) from e
    finally:
        close_spares()      # those no worker needed (e.g. every input unsupported)
    pipeline_s = time.perf_counter() - started

    manifest = read_manifest(run_dir)
    dead = read_dead_letters(run_dir)
    counters = _counters(result)
    report = build_report(manifest, dead, expected, chash, run_dir, ingested=counters.get("inputs"))
    report["metrics"] = counters
    report["timing_s"] = {"pipeline": round(pipeline_s, 3), "report": round(time.perf_counter() - started - pipeline_s, 3)}
    rd.write_atomic(rd.join(run_dir, rd.REPORT_HTML), render_report_html(report, manifest, thresholds).encode(),
                    "text/html")
    # report.json last: its presence marks a finished run
    rd.write_atomic(rd.join(run_dir, rd.REPORT_JSON), json.dumps(report, indent=2).encode(), "application/json")
    return report


def _counters(result) -> dict:
    try:
        counters = result.metrics().query()["counters"]
    except Exception:  # some runners cannot report metrics; the report has the same numbers from the outputs
        return {}
    out = {}
    for c in counters:
        value = c.committed if c.committed is not None else c.attempted
        out[c.key.metric.name] = out.get(c.key.metric.name, 0) + (value or 0)
    return dict(sorted(out.items()))


__all__ = ["InputError", "JobFailed", "run_curate", "format_summary"]
