"""Keeping the clean set free of accidental near-duplicates, as a perceptual-hash deduper would see them.

Non-overlapping tiles are distinct by construction, but two handwritten 4s on the same paper are not, to a pHash:
with digits centred on identical canvases, pairs of different digits came out 4..10 bits apart, inside any usual
near-duplicate threshold. Every clean candidate is therefore hashed and kept only if it is at least MIN_DISTANCE
bits from every clean image kept before it, so that a duplicate a curation run finds among clean items is a false
positive of the run, not of the corpus. The hash is the standard DCT pHash (the one imagehash.phash computes: 32x32
Lanczos gray, 2-D DCT-II, top-left 8x8 against its median), written out here so the builder needs no extra package.
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional, TypeVar

import numpy as np
import scipy.fft
from PIL import Image

MIN_DISTANCE = 14      # bits of 64; unrelated photos are typically ~32 apart, re-encodes of one photo 0..4

T = TypeVar("T")


def phash(image: Image.Image) -> np.ndarray:
    gray = np.asarray(image.convert("L").resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    low = scipy.fft.dct(scipy.fft.dct(gray, axis=0), axis=1)[:8, :8]
    return (low > np.median(low)).ravel()


class DistinctSet:
    """Greedy filter: `admit` accepts an image only if it is far enough from all previously admitted ones."""

    def __init__(self, min_distance: int = MIN_DISTANCE):
        self.min_distance = min_distance
        self._hashes: list[np.ndarray] = []

    def admit(self, image: Image.Image) -> bool:
        h = phash(image)
        if self._hashes and int((np.stack(self._hashes) != h).sum(axis=1).min()) < self.min_distance:
            return False
        self._hashes.append(h)
        return True

    def take(self, candidates: Iterable[T], image_of: Callable[[T], Image.Image],
             limit: Optional[int] = None) -> list[T]:
        """The admitted candidates, in order, stopping after `limit`."""
        kept = []
        for candidate in candidates:
            if limit is not None and len(kept) >= limit:
                break
            if self.admit(image_of(candidate)):
                kept.append(candidate)
        return kept
