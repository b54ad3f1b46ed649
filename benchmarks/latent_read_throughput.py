"""Latent shard read throughput: the Grain pipeline (model/data.latent_dataset: shuffled random access, decode,
posterior sample, normalise, batch) vs a raw sequential read of the same shard bytes (ArrayRecordReader.read_all,
no decoding). Prints records/s of each and their ratio (target >= 0.5), measured in one run on the same files.

The dataset is synthetic but shaped like a real one: SD-VAE latents of 256-px images (32x32x4 float16 mean and
logvar) with a 512-d picture embedding, written by the encode job's own shard writer and metadata code.

    python benchmarks/latent_read_throughput.py [--records 4096] [--batch-size 32] [--threads 4] [--repeats 3]
        [--side 32] [--workers 0] [--host-math]
"""
from __future__ import annotations

import argparse
import glob
import os
import tempfile
import time

import numpy as np

from framesift.schemas import LatentDatasetMetadata
from framesift.schemas.latent import DATASET_NAME, SPLIT, LatentCodec, latent_features, make_example
from pipelines.encode import dataset_files as files
from pipelines.encode.plan import shard_file_name
from pipelines.encode.shard_writer import write_array_record


def build_dataset(out: str, records: int, side: int, per_shard: int = 1024) -> None:
    rng = np.random.default_rng(0)
    codec = LatentCodec(latent_features(4, "float16", store_logvar=True))
    count = -(-records // per_shard)
    shards = []
    for s in range(count):
        data = []
        for i in range(s * per_shard, min(records, (s + 1) * per_shard)):
            data.append(codec.encode(make_example(
                item_id=f"item{i:07d}", source_uri=f"gs://bucket/raw/{i}.jpg", media_type="image",
                latent=rng.normal(size=(1, side, side, 4)), latent_logvar=rng.normal(-4, 0.5, size=(1, side, side, 4)),
                caption=f"a picture number {i}", label=i % 10, picture_embedding=rng.normal(size=512),
                aesthetic=5.0, original_size=(768, 1024), crop_coords=(0, 128), target_size=(side * 8, side * 8))))
        name = shard_file_name(s, count)
        size, sha = write_array_record(data, os.path.join(out, name))
        from framesift.schemas import ShardInfo
        shards.append(ShardInfo(name, len(data), len(data), 0, size, sha))
    meta = LatentDatasetMetadata(
        dataset_name=DATASET_NAME, split=SPLIT, examples_per_shard=per_shard, latent_channels=4,
        latent_dtype="float16", store_logvar=True, sampling="posterior_sample", autoencoder={}, sources=[],
        approved={"rows": records}, encode_config={}, encode_config_hash="", shards=shards,
        latent_channel_mean=[0.0] * 4, latent_channel_std=[1.0] * 4,
        counts={"approved": records, "examples": records, "dead_letters": 0, "reconciled": True},
        embedding_dims={"picture": 512, "caption": 0}, buckets={f"1x{side}x{side}": records})
    files.write_dead_letters(out, [])
    files.write_buckets(out, [f"1x{side}x{side}"], [0] * records)
    files.write_tfds_metadata(out, meta)


def raw_sequential(out: str) -> tuple[int, float, int]:
    from array_record.python.array_record_module import ArrayRecordReader
    start, n, nbytes = time.perf_counter(), 0, 0
    for path in sorted(glob.glob(os.path.join(out, "*.array_record-*"))):
        reader = ArrayRecordReader(path)
        for record in reader.read_all():
            n += 1
            nbytes += len(record)
        reader.close()
    return n, time.perf_counter() - start, nbytes


def file_bytes(out: str) -> tuple[int, float]:
    """Context only: the shard files read as plain bytes (what the disk and page cache give, no records)."""
    start, nbytes = time.perf_counter(), 0
    for path in sorted(glob.glob(os.path.join(out, "*.array_record-*"))):
        with open(path, "rb") as f:
            nbytes += len(f.read())
    return nbytes, time.perf_counter() - start


def grain_read(out: str, batch_size: int, threads: int, workers: int, host_math: bool) -> tuple[int, float]:
    from model.data import latent_dataset
    start, n = time.perf_counter(), 0
    for batch in latent_dataset(out, batch_size=batch_size, seed=0, num_epochs=1, read_threads=threads,
                                worker_count=workers, sample_posterior=host_math, normalize=host_math):
        n += len(batch["latent"])
    return n, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=4096)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=4, help="Grain read threads")
    ap.add_argument("--workers", type=int, default=0, help="Grain worker processes")
    ap.add_argument("--side", type=int, default=32, help="latent side (32: a 256-px image through an 8x VAE)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--host-math", action="store_true",
                    help="also sample the posterior and normalise on the host (default: left to the device)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        build_dataset(out, args.records, args.side)
        print(f"dataset: {args.records} records, latents 1x{args.side}x{args.side}x4 f16 + logvar + 512-d embedding "
              f"({time.perf_counter() - t:.1f}s to write)")
        raw_rates, grain_rates = [], []
        for r in range(args.repeats):      # alternate, so load from other processes hits both alike
            n, dt, nbytes = raw_sequential(out)
            raw_rates.append(n / dt)
            m, dt2 = grain_read(out, args.batch_size, args.threads, args.workers, args.host_math)
            grain_rates.append(m / dt2)
            print(f"  run {r + 1}: raw {n / dt:,.0f} records/s ({nbytes / dt / 1e6:,.0f} MB/s)   "
                  f"grain {m / dt2:,.0f} examples/s ({m} in batches of {args.batch_size})")
        nbytes, dt3 = file_bytes(out)
        print(f"  (context: the same files as plain bytes: {nbytes / dt3 / 1e6:,.0f} MB/s)")
        raw, grain = float(np.median(raw_rates)), float(np.median(grain_rates))
        print(f"raw sequential read: {raw:,.0f} records/s   grain pipeline: {grain:,.0f} examples/s   "
              f"ratio {grain / raw:.2f} (target >= 0.5; medians of {args.repeats}; other processes share this "
              f"machine, compare ratios)")


if __name__ == "__main__":
    main()
