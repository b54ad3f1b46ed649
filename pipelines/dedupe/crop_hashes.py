"""pHash of an image's centre crop: what lets a 90%-crop copy meet its original.

A 90% centre crop shifts every DCT basis, so its full-frame pHash sits 8-26 bits from the original's, while distinct
photos sit >= 20 bits apart: no single distance threshold separates them. The original's own 90% centre crop,
though, shows the same pixels as the copy, and its pHash lands within 0-4 bits of the copy's full-frame one. Giving
every item its centre-crop hash as a second hash (`phash_crops` in the record, see graph_nodes.perceptual_hashes)
catches such copies at the usual d = 8.
"""
from __future__ import annotations

import imagehash
import numpy as np
from PIL import Image

DEFAULT_FRACTIONS = (0.9,)


def centre_crop(rgb: np.ndarray, fraction: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    ch, cw = max(1, round(h * fraction)), max(1, round(w * fraction))
    top, left = (h - ch) // 2, (w - cw) // 2
    return rgb[top:top + ch, left:left + cw]


def phash_hex(rgb: np.ndarray) -> str:
    """The same DCT pHash the curate job stores (imagehash.phash, 8x8 bits), as 16 hex digits."""
    return str(imagehash.phash(Image.fromarray(np.ascontiguousarray(rgb)), hash_size=8))


def centre_crop_phashes(rgb: np.ndarray, fractions=DEFAULT_FRACTIONS) -> list[str]:
    return [phash_hex(centre_crop(rgb, f)) for f in fractions]
