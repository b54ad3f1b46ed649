"""Encode job throughput vs the autoencoder's standalone throughput on the same items (target >= 0.7).

  standalone: the autoencoder's jitted encode (BatchEncoder, the code the job's ModelHandler runs) over the items'
              pixels, already decoded and cropped, in batches of --batch-size: the model alone.
  job:        `run_encode` end to end on the same approved set, in a fresh process: Beam (DirectRunner in that
              process), decode from disk, resize/crop, RunInference, serialise, write ArrayRecord shards and metadata.
Both sides load the checkpoint once and pay their own jit compile (one program per shape). Items are scikit-image
photos written as JPEG/PNG.
The model is a model/autoencoder KL VAE with SD-VAE's layout (--channels scales its width; 128 is SD's own).

    python benchmarks/encode_throughput.py [--items 96] [--size 128] [--batch-size 8] [--channels 32]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow.parquet as pq
import skimage.data
from PIL import Image

from framesift.config import load_config
from framesift.schemas import ManifestRow, rows_to_table
from pipelines.encode.autoencoder_handler import BatchEncoder, resolve_loader
from pipelines.encode.pixels import prepare_item
from pipelines.encode.plan import read_approved

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "immunohistochemistry", "hubble_deep_field", "moon")


def write_items(root: str, n: int) -> str:
    rows = []
    for i in range(n):
        a = getattr(skimage.data, _PHOTOS[i % len(_PHOTOS)])()
        a = np.stack([a] * 3, -1) if a.ndim == 2 else a[..., :3]
        a = np.ascontiguousarray(np.roll(a, 7 * i, axis=1))         # distinct pixels per item
        path = os.path.join(root, f"item{i:04d}." + ("jpg" if i % 2 else "png"))
        Image.fromarray(a).save(path, quality=92) if i % 2 else Image.fromarray(a).save(path)
        rows.append(ManifestRow(item_id=f"item{i:04d}", source_uri=path, media_type="image", width=a.shape[1],
                                height=a.shape[0], config_hash="bench"))
    approved = os.path.join(root, "approved.parquet")
    pq.write_table(rows_to_table(rows), approved)
    return approved


def build_checkpoint(root: str, channels: int) -> tuple[str, str]:
    from model.autoencoder import KLArch, build_autoencoder, save_autoencoder
    arch = KLArch(block_out_channels=[channels, channels * 2, channels * 4, channels * 4], norm_num_groups=32)
    path = save_autoencoder(build_autoencoder(arch, seed=0), os.path.join(root, "ae"))
    return path, "model.autoencoder:load_autoencoder"


def standalone(approved: str, ckpt: str, loader: str, cfg) -> tuple[float, float]:
    """-> (seconds for the model alone, seconds preparing pixels, which the model side does not count)."""
    with open(approved, "rb") as f:
        rows = read_approved(f.read(), approved).to_pylist()
    t = time.perf_counter()
    pixels = np.stack([prepare_item(r, cfg).pixels for r in rows])
    prep = time.perf_counter() - t
    start = time.perf_counter()         # loading counts on both sides: the job loads the model once too
    encoder = BatchEncoder(resolve_loader(loader)(ckpt), cfg.batch_size)
    for i in range(0, len(pixels), cfg.batch_size):
        mean, _ = encoder(pixels[i:i + cfg.batch_size])
        assert np.isfinite(mean).all()
    return time.perf_counter() - start, prep


def job_in_fresh_process(approved: str, ckpt: str, loader: str, out: str, args) -> float:
    """The job in its own process, so neither side reuses the other's compiled programs; timed inside it."""
    script = (
        "import json, sys, time\n"
        "from framesift.config import load_config\n"
        "from pipelines.encode.job import run_encode\n"
        f"cfg = load_config('encode', overrides=['image_size={args.size}', 'batch_size={args.batch_size}',"
        " 'examples_per_shard=16'])\n"
        "start = time.perf_counter()\n"
        f"report = run_encode({approved!r}, {ckpt!r}, {out!r}, cfg, loader={loader!r},"
        " beam_args=['--direct_running_mode=in_memory'])\n"
        "print(json.dumps({'seconds': time.perf_counter() - start, 'examples': report['examples'],"
        " 'reconciled': report['reconciled']}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ROOT})
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["reconciled"] and result["examples"] == args.items, result
    return result["seconds"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=96)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--channels", type=int, default=32, help="first block width of the KL VAE (SD-VAE: 128)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as root:
        approved = write_items(root, args.items)
        ckpt, loader = build_checkpoint(root, args.channels)
        cfg = load_config("encode", overrides=[f"image_size={args.size}", f"batch_size={args.batch_size}",
                                               "examples_per_shard=16"])
        model_s, prep_s = standalone(approved, ckpt, loader, cfg)
        job_s = job_in_fresh_process(approved, ckpt, loader, os.path.join(root, "shards"), args)
    model_rate, job_rate = args.items / model_s, args.items / job_s
    print(f"{args.items} photos at {args.size}px, KL VAE width {args.channels}, batch {args.batch_size}")
    print(f"standalone autoencoder: {model_rate:.2f} items/s ({model_s:.1f}s; decoding + cropping the pixels "
          f"beforehand took another {prep_s:.1f}s, not counted)")
    print(f"encode job end to end:  {job_rate:.2f} items/s ({job_s:.1f}s, Beam + decode + model + shards)")
    print(f"ratio {job_rate / model_rate:.2f} (target >= 0.7; one run; other processes share this machine)")


if __name__ == "__main__":
    main()
