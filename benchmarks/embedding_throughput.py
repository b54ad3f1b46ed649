"""Embedding throughput: EmbedAndScore (Beam RunInference, DirectRunner) vs direct batched calls of the same model
on the same images with the same batch size. Prints images/s of each and their ratio (target >= 0.8).

Both sides run ClipScorer.score_batch (model preprocessing, one encode_image per batch, encode_text for captioned
items, heads), on 224-px frames from scikit-image photos, a third of them captioned. Two ratios:
  * end to end: each side's wall clock includes loading the model (RunInference loads it inside the job), Beam's
    also includes building and starting the pipeline;
  * steady state: model load excluded on both sides (Beam: RunInference's own load_model_latency metric).
The default model is ViT-B-32 with `untrained` weights (the same architecture and FLOPs as the real checkpoints;
none can be downloaded here).

    python benchmarks/embedding_throughput.py [--images 128] [--batch-size 16] [--model ViT-B-32] [--device cpu]
        [--repeats 3] [--threads N]
"""
from __future__ import annotations

import argparse
import logging
import time

import apache_beam as beam
import numpy as np
import skimage.data
import torch
from apache_beam.metrics.metric import MetricsFilter

from framesift.config.jobs import ScoringConfig
from pipelines.scoring.scorer import build_scorer, score_batch, shrink_for_clip
from pipelines.scoring.transform import EmbedAndScore

_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "immunohistochemistry", "hubble_deep_field", "moon")
_FRAMES: dict[int, np.ndarray] = {}


def make_item(i: int) -> tuple[str, np.ndarray, str | None]:
    """Item i: one of the photos, shrunk to 224 px (cached, so neither side pays for it)."""
    k = i % len(_PHOTOS)
    if k not in _FRAMES:
        a = getattr(skimage.data, _PHOTOS[k])()
        _FRAMES[k] = shrink_for_clip(np.stack([a] * 3, -1) if a.ndim == 2 else a, 224)
    return f"item{i:05d}", _FRAMES[k], (f"a photo of a {_PHOTOS[k]}" if i % 3 == 0 else None)


def run_direct(cfg: ScoringConfig, n: int) -> tuple[float, float]:
    items = [make_item(i) for i in range(n)]
    start = time.perf_counter()
    scorer = build_scorer(cfg)
    loaded = time.perf_counter()
    out = score_batch(scorer, items, cfg.batch_size)
    end = time.perf_counter()
    assert len(out) == n
    return end - start, end - loaded


def run_beam(cfg: ScoringConfig, n: int, beam_args: list[str]) -> tuple[float, float]:
    from apache_beam.options.pipeline_options import PipelineOptions
    start = time.perf_counter()
    p = beam.Pipeline(options=PipelineOptions(beam_args))
    _ = (p | "Ids" >> beam.Create(range(n)) | "Items" >> beam.Map(make_item) | EmbedAndScore(cfg)
         | "Count" >> beam.combiners.Count.Globally() | "Check" >> beam.Map(_check_count, n))
    result = p.run()
    result.wait_until_finish()
    wall = time.perf_counter() - start
    loads = result.metrics().query(MetricsFilter().with_name("load_model_latency_milli_secs"))
    load_s = sum(d.committed.sum for d in loads["distributions"]) / 1000 if loads["distributions"] else 0.0
    return wall, wall - load_s


def _check_count(count: int, n: int) -> int:
    assert count == n, f"RunInference returned {count} results for {n} items"
    return count


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--model", default="ViT-B-32")
    ap.add_argument("--pretrained", default="untrained")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--beam-arg", action="append", default=[], help="Beam pipeline option, repeatable")
    args = ap.parse_args(argv)
    logging.getLogger().setLevel(logging.ERROR)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = ScoringConfig(enabled=True, clip_model=args.model, pretrained=args.pretrained, device=args.device,
                        batch_size=args.batch_size)
    n = args.images
    print(f"{args.model}/{args.pretrained} on {args.device} ({torch.get_num_threads()} torch threads), "
          f"{n} images at 224 px, batch size {args.batch_size}")
    run_direct(cfg, cfg.batch_size)     # warm-up: imports, first-call kernels, page cache for both sides
    direct, beam_ = [], []
    for r in range(args.repeats):       # interleaved, so a noisy neighbour slows both sides alike
        direct.append(run_direct(cfg, n))
        beam_.append(run_beam(cfg, n, args.beam_arg))
        (dt, ds), (bt, bs) = direct[-1], beam_[-1]
        print(f"  round {r + 1}: direct {n / dt:6.2f} / {n / ds:6.2f} images/s, Beam {n / bt:6.2f} / {n / bs:6.2f} "
              f"images/s (end to end / steady), ratio {dt / bt:.3f} / {ds / bs:.3f}")
    (d_total, d_steady), (b_total, b_steady) = np.median(direct, axis=0), np.median(beam_, axis=0)
    ratios = np.median([(d[0] / b[0], d[1] / b[1]) for d, b in zip(direct, beam_)], axis=0)
    print(f"direct batched calls : {n / d_total:7.2f} images/s end to end, {n / d_steady:7.2f} steady (median)")
    print(f"Beam RunInference    : {n / b_total:7.2f} images/s end to end, {n / b_steady:7.2f} steady (median)")
    print(f"ratio RunInference/direct (median of paired rounds): {ratios[0]:.3f} end to end, {ratios[1]:.3f} steady "
          f"(target >= 0.8)")


if __name__ == "__main__":
    main()
