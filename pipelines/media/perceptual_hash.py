"""64-bit DCT perceptual hash (pHash, as imagehash computes it), stored as 16 hex digits.

Near-duplicates (resized, re-encoded, slightly cropped or brightness-shifted copies) land within a small Hamming
distance of each other; the dedupe stage searches for such pairs."""
import imagehash
import numpy as np
from PIL import Image


def phash_hex(rgb: np.ndarray) -> str:
    return str(imagehash.phash(Image.fromarray(rgb), hash_size=8))


def phash_int(hex_digits: str) -> int:
    return int(hex_digits, 16)
