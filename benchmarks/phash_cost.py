"""Perceptual-hash cost per picture: framesift's picture_hashes (every crop resized in batched matrix products,
pipelines/media/lanczos.py) against imagehash.phash run on each of the same crops, on 1 MP JPEGs from real photos
(benchmarks/megapixel_corpus.py) decoded to the analysis size as the curate job does: plain, letterboxed (the
trimmed views add crops), and cut to random aspect ratios (every picture a new size: the resize weights, cached
per size, are computed anew). Checks the hashes are the same, prints CPU-ms per picture and the ratio, one run.

    python benchmarks/phash_cost.py [--count 60]
"""
from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from benchmarks.megapixel_corpus import build_corpus
from pipelines.media.image_decode import decode_image
from pipelines.media.lanczos import lanczos_kernel
from pipelines.media.perceptual_hash import phash_hex, picture_crops, picture_hashes


def cpu_ms_per_item(fn, items, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for item in items:
            fn(item)
        best = min(best, (time.process_time() - start) / len(items) * 1000)
    return best


def all_values(hashes: dict) -> set[str]:
    return {h for v in hashes.values() for h in ([v] if isinstance(v, str) else v)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=60)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        pictures = [decode_image(open(p, "rb").read(), 512).rgb for p in build_corpus(tmp, args.count)]
    rng = np.random.default_rng(0)
    cropped = [p[:int(rng.integers(200, p.shape[0])), :int(rng.integers(200, p.shape[1]))] for p in pictures]
    sets = {"1 MP photos at 512 px": (pictures, False),
            "same, letterboxed": ([np.pad(p, ((40, 40), (0, 0), (0, 0))) for p in pictures], False),
            "random sizes, no cache": (cropped, True)}
    print(f"{'pictures':24s} {'crops':>6s} {'framesift ms':>13s} {'imagehash ms':>13s} {'ratio':>7s}")
    for name, (rgbs, cold) in sets.items():
        crops = [picture_crops(rgb) for rgb in rgbs]
        for rgb, cut in zip(rgbs, crops):           # the same hashes, or the comparison means nothing
            assert all_values(picture_hashes(rgb)) == {phash_hex(c) for c in cut}
        ours = cpu_ms_per_item((lambda rgb: lanczos_kernel.cache_clear() or picture_hashes(rgb)) if cold
                               else picture_hashes, rgbs)
        theirs = cpu_ms_per_item(lambda cut: [phash_hex(c) for c in cut], crops)
        print(f"{name:24s} {np.mean([len(c) for c in crops]):6.0f} {ours:13.2f} {theirs:13.2f} {theirs / ours:6.1f}x")
    print("(CPU time, best of 3 passes; the machine may be shared: compare the ratio)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
