"""64-bit DCT perceptual hashes (pHash, as imagehash computes it), stored as 16 hex digits.

Near-duplicates (resized, re-encoded, brightness-shifted copies) land within a small Hamming distance of each other.
A 90% centre crop, though, moves a full-frame pHash by 8-26 bits on real photos — past any distance that keeps
distinct photos apart — so every item also carries the pHash of its own centre crop, which lands within a few bits
of a cropped copy's full-frame hash (pipelines/dedupe/graph_nodes.py searches both).
"""
from __future__ import annotations

import imagehash
import numpy as np
from PIL import Image

CROP_FRACTIONS = (0.9,)


def phash_hex(rgb: np.ndarray) -> str:
    return str(imagehash.phash(Image.fromarray(np.ascontiguousarray(rgb)), hash_size=8))


def centre_crop(rgb: np.ndarray, fraction: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    ch, cw = max(1, round(h * fraction)), max(1, round(w * fraction))
    top, left = (h - ch) // 2, (w - cw) // 2
    return rgb[top:top + ch, left:left + cw]


def centre_crop_phashes(rgb: np.ndarray, fractions=CROP_FRACTIONS) -> list[str]:
    return [phash_hex(centre_crop(rgb, f)) for f in fractions]


def phashes(rgb: np.ndarray, fractions=CROP_FRACTIONS) -> tuple[str, list[str]]:
    """(full-frame pHash, centre-crop pHashes), the same values as phash_hex and centre_crop_phashes: imagehash
    converts to grey pixel by pixel, so converting once and cropping the grey picture changes nothing."""
    grey = np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).convert("L"))
    return phash_hex(grey), centre_crop_phashes(grey, fractions)
