"""Encode thumbnails (JPEG) and small animated previews (WebP) for the report and the review UI."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image


def _fit(rgb: np.ndarray, side: int) -> Image.Image:
    im = Image.fromarray(rgb)
    if max(im.size) > side:
        scale = side / max(im.size)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.BILINEAR)
    return im


def thumbnail_jpeg(rgb: np.ndarray, side: int) -> bytes:
    buf = io.BytesIO()
    _fit(rgb, side).save(buf, format="JPEG", quality=85, optimize=True)
    return buf.getvalue()


def animated_webp(frames: list[np.ndarray], side: int, count: int, fps: float) -> bytes:
    """`count` evenly spaced frames, played back over the clip's real duration."""
    idx = np.linspace(0, len(frames) - 1, num=min(count, len(frames))).round().astype(int)
    images = [_fit(frames[i], side) for i in idx]
    clip_ms = 1000.0 * len(frames) / max(fps, 1e-6)
    buf = io.BytesIO()
    images[0].save(buf, format="WEBP", save_all=True, append_images=images[1:], loop=0, quality=70,
                   duration=max(40, int(clip_ms / len(images))), method=4)
    return buf.getvalue()
