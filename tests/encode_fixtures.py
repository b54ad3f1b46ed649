"""A small approved set on real pictures (skimage) for the encode tests: images of several sizes and aspects, a
clip, a corrupt file and a missing one, a curate-run directory with the open_clip picture and caption embeddings
the curate job's scorer computes for some items (a tiny open_clip checkpoint the tests build), and a tiny random
KL autoencoder checkpoint (model/autoencoder)."""
from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import skimage.data
from PIL import Image

from framesift.config import load_config
from framesift.schemas import CAPTION_EMBEDDING, EMBEDDING_SCHEMA, ManifestRow, rows_to_table
from tests.media_fixtures import pan_frames, write_video
from tests.scoring_fixtures import TINY_CLIP, TINY_CONFIG, write_tiny_config

EMBED_DIM = TINY_CONFIG["embed_dim"]


def _pictures() -> list[np.ndarray]:
    astronaut, coffee, chelsea = skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea()
    camera = np.stack([skimage.data.camera()] * 3, -1)
    return [astronaut, coffee, chelsea, camera, astronaut[:300, :120], coffee[50:250], chelsea[:, :200],
            astronaut[::4, ::4], coffee[::3, ::2], camera[100:400, 50:150], chelsea[::2, ::3], astronaut[100:260]]


def build_approved(root: str, corrupt: bool = True) -> dict:
    """-> {"approved": parquet path, "run": run dir, "items": N, "bad": items expected to dead-letter}."""
    media = os.path.join(root, "media")
    os.makedirs(media, exist_ok=True)
    rows, pixels = [], {}
    for i, rgb in enumerate(_pictures()):
        pixels[f"img{i:02d}"] = rgb
        path = os.path.join(media, f"pic_{i:02d}." + ("jpg" if i % 2 else "png"))
        Image.fromarray(np.ascontiguousarray(rgb)).save(path)
        rows.append(ManifestRow(item_id=f"img{i:02d}", source_uri=path, media_type="image", width=rgb.shape[1],
                                height=rgb.shape[0], caption=f"picture {i}" if i % 3 else None,
                                metadata={"label": str(i % 4)} if i % 2 == 0 else {},
                                scores={"aesthetic": 4.0 + i / 10}, config_hash="cfgA"))
    clip = os.path.join(media, "pan.mp4")
    frames = pan_frames(skimage.data.astronaut(), 30, size=96)
    write_video(clip, frames, fps=25)
    pixels["clip00"] = frames[0]
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
    from pipelines.scoring.transform import embedding_record
    run = os.path.join(root, "run")
    os.makedirs(os.path.join(run, "manifest"), exist_ok=True)
    clip_weights, clip_config_dir = build_clip_checkpoint(root)
    embedded = [r.item_id for r in rows[::2]]
    captions = {r.item_id: r.caption for r in rows}
    results = dict(_score([(i, pixels.get(i, np.zeros((8, 8, 3), np.uint8)), captions[i]) for i in embedded],
                          clip_weights, clip_config_dir))
    vectors = {i: results[i]["embedding"] for i in embedded}
    # the curate run's embeddings as the scorer writes them, except two items (one captioned) in a version-1
    # file, written before caption embeddings were kept, which the encoder still reads
    os.makedirs(os.path.join(run, "embeddings"), exist_ok=True)
    old = ["img06", "img10"]
    current = [i for i in embedded if i not in old]
    pq.write_table(pa.Table.from_pylist([embedding_record(i, results[i]) for i in current], schema=EMBEDDING_SCHEMA),
                   os.path.join(run, "embeddings", "e.parquet"))
    pq.write_table(pa.Table.from_pylist([{k: v for k, v in embedding_record(i, results[i]).items()
                                          if k != CAPTION_EMBEDDING} for i in old], schema=V1_EMBEDDING_SCHEMA),
                   os.path.join(run, "embeddings", "old.parquet"))
    return {"approved": approved, "run": run, "items": len(rows), "bad": bad, "embedded": embedded,
            "vectors": vectors, "captions_scored": {i for i in current if results[i]["caption_embedding"] is not None},
            "clip_weights": clip_weights, "clip_config_dir": clip_config_dir}


# RUN/embeddings as framesift wrote them before version 2 (no caption_embedding column)
V1_EMBEDDING_SCHEMA = pa.schema([f for f in EMBEDDING_SCHEMA if f.name != CAPTION_EMBEDDING],
                                metadata={"framesift.embedding.version": "1"})


def build_clip_checkpoint(root: str) -> tuple[str, str]:
    """A tiny open_clip checkpoint file (random weights, seeded) and the directory of its architecture JSON."""
    import pathlib

    import open_clip
    import torch
    config_dir = write_tiny_config(pathlib.Path(root) / "clip_configs")
    open_clip.add_model_config(config_dir)
    torch.manual_seed(5)
    path = os.path.join(root, "tiny_clip.pth")
    torch.save(open_clip.create_model(TINY_CLIP, pretrained=None).state_dict(), path)
    return path, config_dir


def _score(items, clip_weights, clip_config_dir):
    """What the curate job's scoring stage computes for (item_id, rgb, caption) items, in one batch."""
    from framesift.config.jobs import ScoringConfig
    from pipelines.scoring.scorer import build_scorer, score_batch
    scorer = build_scorer(ScoringConfig(clip_model=TINY_CLIP, pretrained=clip_weights,
                                        model_config_dir=clip_config_dir))
    return score_batch(scorer, items)


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
