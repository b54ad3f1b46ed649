"""A small approved set on disk for the trainer: real photos (skimage, public domain / CC0) as PNG and JPEG, one
H.264 clip panning across a photo, and an item whose file is broken (it must be skipped, not stop training)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from framesift.schemas import ManifestRow, rows_to_table

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "cat", "immunohistochemistry", "hubble_deep_field")


def write_approved_set(folder, side: int = 96) -> str:
    import skimage.data
    from framesift.demo_data.video_io import H264_MP4, encode

    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, name in enumerate(PHOTOS):
        rgb = np.asarray(Image.fromarray(getattr(skimage.data, name)()).convert("RGB"))
        im = Image.fromarray(rgb)
        im.thumbnail((side, side))
        path = folder / f"{name}.{'png' if i % 2 else 'jpg'}"
        im.save(path)
        rows.append(ManifestRow(item_id=f"img-{name}", source_uri=str(path), media_type="image"))
    base = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((2 * side, side)))
    frames = [np.ascontiguousarray(base[:, 4 * t:4 * t + side]) for t in range(12)]
    clip = folder / "pan.mp4"
    clip.write_bytes(encode(frames, Fraction(12), H264_MP4))
    rows.append(ManifestRow(item_id="clip-pan-0", source_uri=str(clip), media_type="clip", start_frame=0,
                            end_frame=12))
    broken = folder / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    rows.append(ManifestRow(item_id="img-broken", source_uri=str(broken), media_type="image"))
    path = folder / "approved.parquet"
    pq.write_table(rows_to_table(rows), str(path))       # manifest rows, as framesift export writes them
    return str(path)


TINY_TRAIN_OVERRIDES = [
    "arch.block_out_channels=[16, 32]", "arch.layers_per_block=1", "arch.norm_num_groups=8",
    "data.image_size=32", "data.frames_per_clip=2", "data.eval_items=2", "data.threads=1",
    "train.batch_size=4", "train.warmup_steps=2", "train.learning_rate=0.002",
]
