"""A synthetic run directory with a large manifest that is valid against MANIFEST_SCHEMA, built column-wise
(1M rows in a few seconds) for the review-UI benchmark and scale tests.

Scores follow the real filters' keys; keep and reject_reasons are derived from the default curate thresholds,
so filtering by reason, keep state or score behaves like a real run. Thumbnails come from a small pool of real
JPEGs (skimage photos) under RUN/previews/, which many rows share.
"""
from __future__ import annotations

import io
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from framesift.schemas import MANIFEST_SCHEMA
from framesift.schemas.manifest import REJECTION_TYPE

# score key -> (sampler, filter name, op, threshold, reason): the defaults in configs/curate.yaml
_CHECKS = [
    ("short_side", "resolution", "min", 128.0, "too_small"),
    ("aspect_ratio", "resolution", "max", 3.0, "extreme_aspect"),
    ("sharpness", "sharpness", "min", 0.005, "too_blurry"),
    ("luma_mean", "exposure", "min", 0.06, "too_dark"),
    ("luma_mean", "exposure", "max", 0.94, "too_bright"),
    ("dark_fraction", "exposure", "max", 0.6, "crushed_blacks"),
    ("bright_fraction", "exposure", "max", 0.6, "blown_highlights"),
    ("entropy", "information", "min", 3.0, "low_information"),
    ("luma_std", "information", "min", 0.03, "flat"),
]


def _scores(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "aspect_ratio": 1 + rng.gamma(1.2, 0.4, n),
        "bright_fraction": rng.beta(0.5, 12, n),
        "dark_fraction": rng.beta(0.6, 8, n),
        "entropy": 8 - rng.gamma(1.5, 0.8, n),
        "luma_mean": rng.beta(5, 5, n),
        "luma_std": rng.gamma(4, 0.05, n),
        "sharpness": rng.lognormal(-2.5, 1.2, n),
        "short_side": np.round(rng.lognormal(6.0, 0.5, n)),
    }


def _thumbnail_pool(run_dir: str, count: int) -> list[str]:
    import skimage.data
    from PIL import Image
    photos = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket()]
    paths = []
    for i in range(count):
        img = Image.fromarray(photos[i % len(photos)]).rotate(7 * i).resize((256, 256))
        rel = f"previews/{i % 256:02x}/pool{i:05d}.jpg"
        os.makedirs(os.path.join(run_dir, os.path.dirname(rel)), exist_ok=True)
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=80)
        with open(os.path.join(run_dir, rel), "wb") as f:
            f.write(buf.getvalue())
        paths.append(rel)
    return paths


def _map_column(keys: list[str], cols: list[np.ndarray], n: int) -> pa.Array:
    k = len(keys)
    offsets = pa.array(np.arange(0, (n + 1) * k, k, dtype=np.int32))
    flat_keys = pa.array(np.tile(np.array(keys, dtype=object), n), pa.string())
    flat_vals = pa.array(np.stack(cols, axis=1).reshape(-1), pa.float64())
    return pa.MapArray.from_arrays(offsets, flat_keys, flat_vals)


def _chunk(rng: np.random.Generator, start: int, n: int, thumbs: list[str], group_every: int) -> pa.Table:
    scores = _scores(rng, n)
    keys = sorted(scores)
    fails = []
    for key, name, op, thr, reason in _CHECKS:
        fails.append((scores[key] < thr) if op == "min" else (scores[key] > thr))
    fail_matrix = np.stack(fails, axis=1)
    n_fail = fail_matrix.sum(axis=1)
    rows, checks = np.nonzero(fail_matrix)
    rej = pa.StructArray.from_arrays(
        [pa.array(["filter"] * len(rows)), pa.array([_CHECKS[c][1] for c in checks]),
         pa.array([_CHECKS[c][0] for c in checks]),
         pa.array([scores[_CHECKS[c][0]][r] for r, c in zip(rows, checks)], pa.float64()),
         pa.array([_CHECKS[c][2] for c in checks]), pa.array([_CHECKS[c][3] for c in checks], pa.float64()),
         pa.array([_CHECKS[c][4] for c in checks])], fields=list(REJECTION_TYPE))
    rej_offsets = pa.array(np.concatenate([[0], np.cumsum(n_fail)]).astype(np.int32))
    idx = np.arange(start, start + n)
    ids = [f"{(i * 2654435761) % (1 << 63):016x}" for i in idx.tolist()]
    groups = np.where(idx % group_every < 3, idx // group_every, -1)
    columns = {name: pa.nulls(n, MANIFEST_SCHEMA.field(name).type) for name in MANIFEST_SCHEMA.names}
    columns.update(
        item_id=pa.array(ids), source_uri=pa.array([f"gs://bucket/raw/{i:08d}.jpg" for i in idx]),
        media_type=pa.array(np.where(idx % 10 == 0, "clip", "image")),
        width=pa.array(scores["short_side"].astype(np.int32)), height=pa.array(scores["short_side"].astype(np.int32)),
        scores=_map_column(keys, [scores[k] for k in keys], n), keep=pa.array(n_fail == 0),
        reject_reasons=pa.ListArray.from_arrays(rej_offsets, rej),
        duplicate_group=pa.array([f"g{g:07d}" if g >= 0 else None for g in groups], pa.string()),
        thumbnail_path=pa.array([thumbs[i % len(thumbs)] for i in idx]),
        caption=pa.array([f"synthetic item {i}" for i in idx]), config_hash=pa.array(["synthetic"] * n))
    return pa.table([columns[name] for name in MANIFEST_SCHEMA.names], schema=MANIFEST_SCHEMA)


def write_synthetic_run(run_dir: str, rows: int, shards: int = 8, thumbnails: int = 64, group_every: int = 50,
                        seed: int = 0, row_group_size: int = 64_000) -> str:
    """RUN/manifest/part-*.parquet with `rows` rows; every `group_every` items start a 3-item duplicate group."""
    os.makedirs(os.path.join(run_dir, "manifest"), exist_ok=True)
    thumbs = _thumbnail_pool(run_dir, thumbnails)
    rng = np.random.default_rng(seed)
    per_shard = -(-rows // shards)
    for s in range(shards):
        start, n = s * per_shard, min(per_shard, rows - s * per_shard)
        if n <= 0:
            break
        table = _chunk(rng, start, n, thumbs, group_every)
        pq.write_table(table, os.path.join(run_dir, "manifest", f"part-{s:05d}-of-{shards:05d}.parquet"),
                       row_group_size=row_group_size)
    return run_dir
