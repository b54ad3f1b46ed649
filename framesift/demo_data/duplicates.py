"""Near-duplicate transforms: the edits a photo picks up as it is re-shared, none of which makes it bad.

Each transform keeps the copy a good image on its own (sharp, well exposed, >= 128 px when the original's short side
is >= 176 px), so a curation run can only catch it by comparing it with its original. Exact duplicates need no code:
they are the original's bytes under another name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PIL import Image, ImageEnhance

from .image_encoding import encode

MIN_ORIGINAL_SIDE = 176      # 75% of it is still >= 128, the resolution filter's default minimum


@dataclass(frozen=True)
class NearTransform:
    name: str
    describe: str
    ext: str                                  # what the copy is saved as
    apply: Callable[[Image.Image], Image.Image]
    quality: int = 90


def _resize75(im: Image.Image) -> Image.Image:
    w, h = im.size
    return im.resize((round(w * 0.75), round(h * 0.75)), Image.Resampling.LANCZOS)


def _crop90(im: Image.Image) -> Image.Image:
    w, h = im.size
    cw, ch = round(w * 0.9), round(h * 0.9)
    left, top = (w - cw) // 2, (h - ch) // 2
    return im.crop((left, top, left + cw, top + ch))


NEAR_TRANSFORMS = (
    NearTransform("resize75", "resized to 75% (Lanczos)", "png", _resize75),
    NearTransform("jpeg_q40", "re-encoded as JPEG quality 40", "jpg", lambda im: im, quality=40),
    NearTransform("crop90", "centre crop of 90%", "jpg", _crop90),
    NearTransform("brighter15", "brightness +15%", "webp", lambda im: ImageEnhance.Brightness(im).enhance(1.15)),
    NearTransform("darker15", "brightness -15%", "png", lambda im: ImageEnhance.Brightness(im).enhance(0.85)),
)


def near_duplicate(image: Image.Image, transform: NearTransform) -> tuple[bytes, str]:
    """The transformed copy's bytes and extension."""
    return encode(transform.apply(image), transform.ext, quality=transform.quality), transform.ext
