"""A small approved set on real pictures (skimage) for the encode tests: images of several sizes and aspects, a
clip, a corrupt file and a missing one, a curate-run directory with picture embeddings for some items, and a tiny
random KL autoencoder checkpoint (model/autoencoder)."""
from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import skimage.data
from PIL import Image

from framesift.config import load_config
from framesift.schemas import EMBEDDING_SCHEMA, ManifestRow, rows_to_table
from tests.media_fixtures import pan_frames, write_video

EMBED_DIM = 16


def _pictures() -> list[np.ndarray]:
    astronaut, coffee, chelsea = skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea()
    camera = np.stack([skimage.data.camera()] * 3, -1)
    return [astronaut, coffee, chelsea, camera, astronaut[:300, :120], coffee[50:250], chelsea[:, :200],
            astronaut[::4, ::4], coffee[::3, ::2], camera[100:400, 50:150], chelsea[::2, ::3], astronaut[100:260]]


def build_approved(root: str, corrupt: bool = True) -> dict:
    """-> {"approved": parquet path, "run": run dir, "items": N, "bad": items expected to dead-letter}."""
    media = os.path.join(root, "media")
    os.makedirs(media, exist_ok=True)
    rows = []
    for i, rgb in enumerate(_pictures()):
        path = os.path.join(media, f"pic_{i:02d}." + ("jpg" if i % 2 else "png"))
        Image.fromarray(np.ascontiguousarray(rgb)).save(path)
        rows.append(ManifestRow(item_id=f"img{i:02d}", source_uri=path, media_type="image", width=rgb.shape[1],
                                height=rgb.shape[0], caption=f"picture {i}" if i % 3 else None,
                                metadata={"label": str(i % 4)} if i % 2 == 0 else {},
                                scores={"aesthetic": 4.0 + i / 10}, config_hash="cfgA"))
    clip = os.path.join(media, "pan.mp4")
    write_video(clip, pan_frames(skimage.data.astronaut(), 30, size=96), fps=25)
    rows.append(ManifestRow(item_id="clip00", source_uri=clip, media_type="clip", clip_index=0, start_frame=0,
                            end_frame=30, start_s=0.0, end_s=1.2, fps=25.0, width=96, height=96,
                            caption="a pan over a photo", scores={"motion_mean": 0.05}, config_hash="cfgA"))
    bad = []
    if corrupt:
        broken = os.path.join(media, "broken.png")
        with open(broken, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n this is not a picture")
        rows.append(ManifestRow(item_id="img90", source_uri=broken, media_type="image", width=64, height=64,
                                config_hash="cfgA"))
        rows.append(ManifestRow(item_id="img91", source_uri=os.path.join(media, "gone.png"), media_type="image",
                                width=64, height=64, config_hash="cfgA"))
        bad = ["img90", "img91"]
    approved = os.path.join(root, "approved.parquet")
    pq.write_table(rows_to_table(rows), approved)
    run = os.path.join(root, "run")
    os.makedirs(os.path.join(run, "manifest"), exist_ok=True)
    os.makedirs(os.path.join(run, "embeddings"), exist_ok=True)
    rng = np.random.default_rng(7)
    embedded = [r.item_id for r in rows[::2]]
    vectors = rng.normal(size=(len(embedded), EMBED_DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    pq.write_table(pa.Table.from_pylist(
        [{"item_id": i, "model": "open_clip:tiny/untrained", "untrained": True, "embedding": v.tolist()}
         for i, v in zip(embedded, vectors)], schema=EMBEDDING_SCHEMA), os.path.join(run, "embeddings", "e.parquet"))
    return {"approved": approved, "run": run, "items": len(rows), "bad": bad, "embedded": embedded,
            "vectors": dict(zip(embedded, vectors))}


# the real model/autoencoder KL layout at its smallest: 8x downsampling, one layer per block, no attention
TINY_KL = {"block_out_channels": [32, 32, 32, 32], "layers_per_block": 1, "norm_num_groups": 32,
           "mid_block_add_attention": False, "latent_channels": 4}
LOADER = "model.autoencoder:load_autoencoder"      # what `framesift encode` loads with


def build_checkpoint(root: str, seed: int = 0) -> str:
    from model.autoencoder import KLArch, build_autoencoder, save_autoencoder
    return save_autoencoder(build_autoencoder(KLArch(**TINY_KL), seed=seed), os.path.join(root, "ae"))


def small_encode_config(**overrides):
    base = {"image_size": 32, "clip_frames": 5, "clip_fps": 10.0, "batch_size": 4, "examples_per_shard": 4}
    base.update(overrides)
    return load_config("encode", overrides=[f"{k}={v}" for k, v in base.items()])
