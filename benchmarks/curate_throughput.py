"""Curate throughput: the Beam job on DirectRunner vs a bare multiprocessing loop doing the same per-item work
(pipelines/curate/item_work.py) on the same inputs. Prints items/s of each and their ratio (target >= 0.7 on a
2-core machine), plus the fixed cost of starting an empty Beam job, which is where the gap goes.

    python benchmarks/curate_throughput.py [--input DIR] [--workers N] [--beam-arg=--direct_running_mode=...]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import tempfile
import time

_STATE = {}


def _init_worker(cfg, run_dir):
    from pipelines.filters import build_filters
    _STATE.update(cfg=cfg, run_dir=run_dir, filters=build_filters(cfg.filters))


def _analyze(kind_and_arg):
    """One image (uri) or one clip (task) -> 1 item, or 0 when it fails (the Beam job dead-letters those)."""
    from pipelines.curate import item_work
    kind, arg = kind_and_arg
    analyze = item_work.analyze_image if kind == "image" else item_work.analyze_clip
    try:
        row, _ = analyze(arg, _STATE["cfg"], _STATE["filters"], _STATE["run_dir"])
        item_work.finish_row(row, _STATE["filters"], None, "bench")
        return 1
    except Exception:
        return 0


def _split(uri):
    from pipelines.curate import item_work
    try:
        return item_work.split_video(uri, _STATE["cfg"])
    except Exception:
        return []


def run_baseline(cfg, uris, run_dir, workers) -> tuple[int, float]:
    images = [u for u in uris if os.path.splitext(u)[1].lower().lstrip(".") in cfg.ingest.image_extensions]
    videos = [u for u in uris if os.path.splitext(u)[1].lower().lstrip(".") in cfg.ingest.video_extensions]
    start = time.perf_counter()
    with mp.get_context("spawn").Pool(workers, initializer=_init_worker, initargs=(cfg, run_dir)) as pool:
        tasks = [t for ts in pool.map(_split, videos, chunksize=1) for t in ts]
        items = (sum(pool.map(_analyze, [("image", u) for u in images], chunksize=4))
                 + sum(pool.map(_analyze, [("clip", t) for t in tasks], chunksize=1)))
    return items, time.perf_counter() - start


def run_beam(cfg, input_dir, run_dir, beam_args) -> tuple[int, float]:
    from pipelines.curate.job import run_curate
    start = time.perf_counter()
    report = run_curate(cfg, [input_dir], run_dir, beam_args=beam_args)
    return report["items"]["total"], time.perf_counter() - start, report["timing_s"]


def empty_beam_job(beam_args) -> float:
    import apache_beam as beam
    from pipelines.curate.job import pipeline_options
    start = time.perf_counter()
    with beam.Pipeline(options=pipeline_options(beam_args)) as p:
        p | beam.Create(range(10)) | beam.Reshuffle() | beam.Map(lambda x: x)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", help="media directory (default: build the demo corpus in a temp dir)")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--copies", type=int, default=3,
                        help="copies of the input tree side by side (default 3), so the run measures throughput "
                             "rather than start-up")
    parser.add_argument("--beam-arg", action="append", default=[], help="extra Beam option, e.g. --beam-arg=--direct_num_workers=2")
    args = parser.parse_args()

    from framesift.config import load_config
    from pipelines.curate.job import count_inputs, resolve_patterns
    from apache_beam.io.filesystems import FileSystems

    work = tempfile.mkdtemp(prefix="fs-bench-")
    try:
        input_dir = args.input
        if input_dir is None:
            from framesift.demo_data import build_demo_corpus
            build_demo_corpus(os.path.join(work, "data"))
            input_dir = os.path.join(work, "data", "media")
        # like for like: the per-item work of item_work.py on both sides; model scoring (its own benchmark:
        # embedding_throughput.py) and dedupe (dedupe_scale.py) are switched off
        if args.copies > 1:
            replicated = os.path.join(work, "replicated")
            for i in range(args.copies):
                shutil.copytree(input_dir, os.path.join(replicated, f"copy{i}"))
            input_dir = replicated
        # and decoding runs in-process, as in the baseline (isolation's cost is measured separately below)
        cfg = load_config("curate", overrides=["scoring.enabled=false", "dedupe.exact=false",
                                               "dedupe.near_max_distance=-1", "dedupe.semantic_epsilon=0",
                                               "analysis.isolate_video_decoding=false",
                                               "analysis.isolate_image_decoding=false"])
        patterns = resolve_patterns([input_dir])
        uris = sorted(m.path for m in FileSystems.match(patterns)[0].metadata_list)
        print(f"inputs: {count_inputs(patterns, [])} files in {input_dir}; {os.cpu_count()} cores")

        base_items, base_s = run_baseline(cfg, uris, os.path.join(work, "baseline"), args.workers)
        beam_items, beam_s, timing = run_beam(cfg, input_dir, os.path.join(work, "beam"), args.beam_arg)
        overhead = empty_beam_job(args.beam_arg)
        cfg.analysis.isolate_video_decoding = cfg.analysis.isolate_image_decoding = True
        isolated_items, isolated_s, _ = run_beam(cfg, input_dir, os.path.join(work, "beam_isolated"), args.beam_arg)
        base_rate, beam_rate = base_items / base_s, beam_items / beam_s
        print(f"baseline multiprocessing ({args.workers} workers): {base_items} items in {base_s:.2f}s = "
              f"{base_rate:.1f} items/s")
        print(f"beam DirectRunner {' '.join(args.beam_arg) or '(default: multi_processing, all cores)'}: "
              f"{beam_items} items in {beam_s:.2f}s = {beam_rate:.1f} items/s (incl. report)")
        print(f"ratio beam/baseline: {beam_rate / base_rate:.2f}  (target >= 0.7)")
        print(f"where the Beam run's time goes: pipeline {timing['pipeline']:.2f}s, report {timing['report']:.2f}s; "
              f"an empty Beam job on the same runner takes {overhead:.2f}s ({100 * overhead / beam_s:.0f}% of the run)")
        isolated_rate = isolated_items / isolated_s
        print(f"beam with decoding isolated in a helper process (the config default): "
              f"{isolated_rate:.1f} items/s, ratio to baseline {isolated_rate / base_rate:.2f}  (target >= 0.7)")
        print(f"cost of isolation: isolated/in-process items/s {isolated_rate / beam_rate:.2f} "
              f"(pipelines/media/helper_process.py)")
        if beam_items != base_items:
            print(f"WARNING: item counts differ ({beam_items} vs {base_items})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
