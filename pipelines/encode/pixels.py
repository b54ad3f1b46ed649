"""From an approved row to the pixels the autoencoder encodes: decode, resize, centre-crop, sample clip frames.
The encode job runs this in a decoder helper process (ItemPreparer; pipelines/encode/pipeline.py).

Square centre crops by default; with aspect buckets, each item goes to the SDXL-style bucket (sides multiples of
`bucket_step`, about `image_size`² pixels each) closest to its aspect ratio, so nothing is cropped away but a sliver.
What SDXL's micro-conditioning needs is recorded on the way: the original size and the crop's top-left corner in
the resized picture. Clip frames are sampled at `clip_fps` from the clip's start, as many as `clip_frames`, and
rounded down to 1 + 4k frames (the lengths a causal video VAE takes; any length suits a per-frame one).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from PIL import Image

from framesift.config import EncodeConfig
from framesift.schemas.columns import Col
from pipelines import run_files
from pipelines.media.image_decode import decode_image
from pipelines.media.video_decode import iter_frames, open_video


@dataclass
class PreparedItem:
    row: dict                       # the approved row (plan.ROW_COLUMNS + plan.EMBEDDING_FIELDS)
    pixels: np.ndarray              # (T, H, W, 3) uint8; T = 1 for images
    original_size: tuple[int, int]  # (height, width) of the decoded source
    crop_coords: tuple[int, int]    # (top, left) of the crop in the resized picture
    frame_indices: list[int] = field(default_factory=list)

    @property
    def bucket(self) -> tuple[int, ...]:
        """Items that share a bucket share a pixel shape and so batch together."""
        return tuple(self.pixels.shape)


def aspect_buckets(image_size: int, step: int, max_ratio: float) -> list[tuple[int, int]]:
    """(height, width) pairs of about image_size² pixels, sides multiples of `step`, aspect within max_ratio."""
    area = image_size * image_size
    buckets = set()
    side = step
    while side <= area // step:
        other = max(step, (area // side) // step * step)
        for h, w in ((side, other), (other, side)):
            if max(h, w) / min(h, w) <= max_ratio + 1e-9:
                buckets.add((h, w))
        side += step
    return sorted(buckets)


def target_size(height: int, width: int, cfg: EncodeConfig) -> tuple[int, int]:
    if not cfg.aspect_buckets:
        return cfg.image_size, cfg.image_size
    aspect = math.log(width / height)
    buckets = aspect_buckets(cfg.image_size, cfg.bucket_step, cfg.max_aspect_ratio)
    # closest aspect; among equals, the larger area (fewer pixels made up)
    return min(buckets, key=lambda hw: (abs(math.log(hw[1] / hw[0]) - aspect), -hw[0] * hw[1], hw))


def resize_and_crop(rgb: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """Scale to cover `size` (height, width), centre-crop to it; -> (pixels, (top, left) of the crop)."""
    th, tw = size
    h, w = rgb.shape[:2]
    scale = max(th / h, tw / w)
    rh, rw = max(th, round(h * scale)), max(tw, round(w * scale))
    im = Image.fromarray(rgb)
    if (rh, rw) != (h, w):
        im = im.resize((rw, rh), Image.BICUBIC)   # Pillow antialiases when shrinking
    top, left = (rh - th) // 2, (rw - tw) // 2
    return np.asarray(im.crop((left, top, left + tw, top + th))), (top, left)


def prepare_image(row: dict, cfg: EncodeConfig) -> PreparedItem:
    height, width = row.get(Col.HEIGHT) or cfg.image_size, row.get(Col.WIDTH) or cfg.image_size
    size = target_size(height, width, cfg)
    cover = max(size[0] / height, size[1] / width)
    # decode no larger than twice what the crop needs: JPEGs then scale down in the DCT
    max_side = max(size) if cover >= 1 else min(max(height, width), 2 * math.ceil(max(height, width) * cover))
    decoded = decode_image(run_files.read_bytes(row[Col.SOURCE_URI]), max_side=max(max_side, max(size)),
                           pixel_hash=False)
    pixels, crop = resize_and_crop(decoded.rgb, size)
    return PreparedItem(row, pixels[None], (int(decoded.probe[Col.HEIGHT]), int(decoded.probe[Col.WIDTH])), crop)


def clip_frame_indices(start: int, end: int, source_fps: float, cfg: EncodeConfig) -> list[int]:
    """Source frame indices sampled at clip_fps from `start`, at most clip_frames, as 1 + 4k frames."""
    step = max(1.0, (source_fps or cfg.clip_fps) / cfg.clip_fps)
    indices = []
    while len(indices) < cfg.clip_frames:
        index = start + int(round(len(indices) * step))
        if index >= end:
            break
        indices.append(index)
    if not indices:
        raise ValueError(f"clip span [{start}, {end}) holds no frame")
    return indices[:1 + (len(indices) - 1) // 4 * 4]


def prepare_clip(row: dict, cfg: EncodeConfig) -> PreparedItem:
    start, end = int(row[Col.START_FRAME]), int(row[Col.END_FRAME])
    wanted = clip_frame_indices(start, end, row.get(Col.FPS) or 0.0, cfg)
    height, width = row.get(Col.HEIGHT) or cfg.image_size, row.get(Col.WIDTH) or cfg.image_size
    size = target_size(height, width, cfg)
    cover = max(size[0] / height, size[1] / width)
    max_side = max(max(size), math.ceil(max(height, width) * min(cover * 2, 1.0)))
    frames: dict[int, np.ndarray] = {}
    with run_files.open_for_reading(row[Col.SOURCE_URI]) as f:
        container = open_video(f)
        try:
            keep = set(wanted)
            for index, rgb in iter_frames(container, max_side, wanted[0], wanted[-1] + 1):
                if index in keep:
                    frames[index] = rgb
        finally:
            container.close()
    got = [i for i in wanted if i in frames]
    if not got:
        raise ValueError(f"no frame decoded in span [{start}, {end})")
    got = got[:1 + (len(got) - 1) // 4 * 4]   # a frame missing (VFR, damage): fewer frames, still 1 + 4k
    crops = [resize_and_crop(frames[i], size) for i in got]
    return PreparedItem(row, np.stack([c[0] for c in crops]), (height, width), crops[0][1], got)


def prepare_item(row: dict, cfg: EncodeConfig) -> PreparedItem:
    if row[Col.MEDIA_TYPE] == "clip":
        return prepare_clip(row, cfg)
    if row[Col.MEDIA_TYPE] == "image":
        return prepare_image(row, cfg)
    raise ValueError(f"unknown media_type {row[Col.MEDIA_TYPE]!r}")


class ItemPreparer:
    """prepare_item as the target of a decoder helper process (pipelines/media/helper_process.py): picklable, and
    what it imports (Pillow, PyAV; Beam only for non-local paths) is all the helper loads."""

    def __init__(self, cfg: EncodeConfig):
        self.cfg = cfg

    def prepare(self, row: dict) -> PreparedItem:
        return prepare_item(row, self.cfg)


def label_of(row: dict) -> Optional[int]:
    """The sidecar's integer `label`, if it has one."""
    value = dict(row.get(Col.METADATA) or {}).get("label")
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
