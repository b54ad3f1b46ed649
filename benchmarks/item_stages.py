"""Where the per-item CPU goes: each stage of the curate job's image work (pipelines/curate/item_work.analyze_image)
in CPU-ms per picture, on 1 MP JPEGs and the same pictures as PNGs (benchmarks/megapixel_corpus.py), next to the
minimal loop of benchmarks/curate_throughput.py on the same files. The stages are timed one after another on the
same decoded picture, as analyze_image runs them; "whole item" is analyze_image itself (file read, every stage,
the row, the thumbnail written). One run; the machine may be shared, so read the ratios.

    python benchmarks/item_stages.py [--count 60]
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tempfile
import time
from collections import defaultdict

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.curate_throughput import _minimal_item
from benchmarks.megapixel_corpus import build_corpus
from framesift.config import load_config
from framesift.schemas.columns import Col
from pipelines.curate.item_work import analyze_image
from pipelines.filters import Sample, curate_filters
from pipelines.filters.spectral import sample_spectrum
from pipelines.media.image_decode import analysis_size, decode_image, pixel_digest
from pipelines.media.perceptual_hash import picture_hashes
from pipelines.media.previews import thumbnail_jpeg


def stage_costs(paths: list[str], cfg, filters, run_dir: str, passes: int = 2) -> dict[str, float]:
    """CPU-ms per picture of each stage, best of `passes`."""
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    for _ in range(passes):
        spent: dict[str, float] = defaultdict(float)

        def lap(name, start):
            now = time.process_time()
            spent[name] += now - start
            return now

        for path in paths:
            t = time.process_time()
            data = open(path, "rb").read()
            hashlib.sha256(data).hexdigest()
            t = lap("decode: read + file sha256", t)
            im = Image.open(io.BytesIO(data))
            im.load()
            t = lap("decode: full-size decode", t)
            pixel_digest(im.convert("RGB") if im.mode != "RGB" else im)
            t = lap("decode: pixel sha256", t)
            im.resize(analysis_size(im.width, im.height, cfg.analysis.image_max_side), Image.BILINEAR,
                      reducing_gap=1.0)
            t = lap("decode: resize to analysis size", t)
            decoded = decode_image(data, cfg.analysis.image_max_side, cfg.ingest.max_image_pixels)
            t = lap("decode_image (all of the above)", t)
            sample = Sample("image", decoded.probe[Col.WIDTH], decoded.probe[Col.HEIGHT], [decoded.rgb],
                            detail=decoded.detail)
            picture_hashes(decoded.rgb)
            t = lap("picture_hashes", t)
            sample_spectrum(sample)
            t = lap("spectral_profile (detail crop)", t)
            for f in filters:
                if f.applies_to(sample):
                    f.score(sample)
                    t = lap(f"filter {f.name}", t)
            thumbnail_jpeg(decoded.rgb, cfg.previews.thumbnail_side)
            t = lap("thumbnail_jpeg", t)
            analyze_image(path, cfg, filters, run_dir)
            t = lap("whole item (analyze_image)", t)
            _minimal_item((path, run_dir))
            lap("minimal loop item", t)
        for name, seconds in spent.items():
            best[name] = min(best[name], seconds / len(paths) * 1000)
    return dict(best)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=60)
    args = ap.parse_args(argv)
    cfg = load_config("curate", overrides=["scoring.enabled=false"])
    filters = curate_filters(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        jpegs = build_corpus(os.path.join(tmp, "jpeg"), args.count)
        pngs = build_corpus(os.path.join(tmp, "png"), args.count, fmt="PNG")
        for path in jpegs[:3] + pngs[:3]:           # warm: imports, caches, first-call costs
            analyze_image(path, cfg, filters, tmp)
        costs = {"1 MP JPEG": stage_costs(jpegs, cfg, filters, tmp), "1 MP PNG": stage_costs(pngs, cfg, filters, tmp)}
    names = list(costs["1 MP JPEG"])
    print(f"{'CPU-ms per picture':36s}" + "".join(f"{k:>12s}" for k in costs))
    for name in names:
        if not name.startswith(("filter ", "decode: ")) or any(c[name] >= 0.05 for c in costs.values()):
            print(f"{name:36s}" + "".join(f"{c[name]:12.2f}" for c in costs.values()))
    print(f"{'whole item / minimal loop item':36s}"
          + "".join(f"{c['whole item (analyze_image)'] / c['minimal loop item']:11.2f}x" for c in costs.values()))
    print("(CPU time, best of 2 passes; decode sub-stages re-do what decode_image does, to show its parts; "
          "the machine may be shared: compare ratios)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
