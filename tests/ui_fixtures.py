"""A small review-ready run directory written by the tests themselves: real photos (skimage) as thumbnails, an
animated WebP clip preview, duplicate groups, pipeline rejects with reasons, a hostile caption and file name, and
the default curate config (so thresholds resolve)."""
import io
import os

import numpy as np
import pyarrow.parquet as pq
import skimage.data
from PIL import Image

from framesift.checks import active_thresholds, thresholds_to_json
from framesift.config import config_to_yaml, load_config
from framesift.run_layout import CONFIG_FILE, MANIFEST_DIR, THRESHOLDS_FILE
from framesift.schemas import ManifestRow, Rejection, rows_to_table
from pipelines.filters import curate_filters

PHOTOS = {"astronaut": skimage.data.astronaut, "coffee": skimage.data.coffee, "chelsea": skimage.data.chelsea,
          "rocket": skimage.data.rocket}
HOSTILE_CAPTION = "<script>window.__pwned = 1</script> **bold** [link](javascript:alert(1))"


def _jpeg(rgb, side=128) -> bytes:
    img = Image.fromarray(rgb)
    img.thumbnail((side, side))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def _webp(frames) -> bytes:
    buf = io.BytesIO()
    imgs = [Image.fromarray(f) for f in frames]
    imgs[0].save(buf, format="WEBP", save_all=True, append_images=imgs[1:], duration=100, loop=0)
    return buf.getvalue()


def _write(run, rel, data):
    path = os.path.join(run, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _scores(rng, sharp):
    return {"sharpness": sharp, "luma_mean": float(rng.uniform(0.2, 0.8)), "entropy": float(rng.uniform(5, 7.5)),
            "short_side": 512.0, "aspect_ratio": 1.0, "dark_fraction": 0.05, "bright_fraction": 0.01,
            "luma_std": 0.2}


def make_run(root, n_images=24, media_dir=None) -> str:
    """RUN with n_images images (every 4th rejected as blurry, ids img000..), one clip, two duplicate groups."""
    run = str(root)
    rng = np.random.default_rng(0)
    names = list(PHOTOS)
    rows = []
    for i in range(n_images):
        name = names[i % len(names)]
        rgb = PHOTOS[name]()
        item_id = f"img{i:03d}"
        thumb = f"previews/{item_id[-2:]}/{item_id}.jpg"
        _write(run, thumb, _jpeg(rgb))
        sharp = 0.001 + 0.0005 * i if i % 4 == 0 else 0.05 + 0.01 * i
        keep = i % 4 != 0
        reasons = [] if keep else [Rejection("filter", "sharpness", "sharpness", sharp, "min", 0.005, "too_blurry")]
        source = os.path.join(media_dir, f"{name}_{i}.jpg") if media_dir else f"/data/raw/{name}_{i}.jpg"
        if media_dir:
            _write(media_dir, f"{name}_{i}.jpg", _jpeg(rgb, 512))
        rows.append(ManifestRow(item_id=item_id, source_uri=source, media_type="image", width=512, height=512,
                                scores=_scores(rng, sharp), keep=keep, reject_reasons=reasons, thumbnail_path=thumb,
                                caption=f"{name} number {i}", metadata={"label": name}, config_hash="test"))
    # duplicate groups: img001/img005/img009 (pipeline kept all three), img002/img006 (img006 dedupe-rejected)
    for r in rows:
        if r.item_id in ("img001", "img005", "img009"):
            r.duplicate_group = "grpA"
        if r.item_id in ("img002", "img006"):
            r.duplicate_group = "grpB"
            if r.item_id == "img006":
                r.keep = False
                r.reject_reasons.append(Rejection("dedupe", "near_duplicate", "phash_distance", 2.0, "max", 0.0,
                                                  "duplicate"))
    if len(rows) > 3:
        rows[3].caption = HOSTILE_CAPTION
        rows[3].source_uri = "/data/raw/<img src=x onerror=alert(1)>.jpg"
    frames = [np.ascontiguousarray(skimage.data.astronaut()[:96, i * 8:i * 8 + 96]) for i in range(6)]
    _write(run, "previews/cl/clip000.jpg", _jpeg(frames[0]))
    _write(run, "previews/cl/clip000.webp", _webp(frames))
    rows.append(ManifestRow(item_id="clip000", source_uri="/data/raw/pan.mp4", media_type="clip", clip_index=0,
                            start_frame=0, end_frame=30, start_s=0.0, end_s=1.2, width=96, height=96, fps=25.0,
                            scores={**_scores(rng, 0.2), "motion_mean": 0.03, "duration_s": 1.2}, keep=True,
                            thumbnail_path="previews/cl/clip000.jpg", preview_path="previews/cl/clip000.webp",
                            config_hash="test"))
    os.makedirs(os.path.join(run, MANIFEST_DIR), exist_ok=True)
    pq.write_table(rows_to_table(rows), os.path.join(run, MANIFEST_DIR, "part-00000-of-00001.parquet"))
    # the default curate config, with the blur threshold these rows were decided with, and its active thresholds,
    # as `framesift curate` records them
    cfg = load_config("curate", overrides=["filters.sharpness.min=0.005"])
    _write(run, CONFIG_FILE, config_to_yaml(cfg).encode())
    _write(run, THRESHOLDS_FILE, thresholds_to_json(active_thresholds(curate_filters(cfg))).encode())
    return run
