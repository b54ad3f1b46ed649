"""64-bit perceptual hashes as numbers: hex digits <-> uint64, Hamming distance by popcount, and the brute-force
pair search that every faster search in this package is tested against.

The manifest stores a pHash as 16 hex digits (pipelines/media/perceptual_hash.py); arithmetic wants uint64.
"""
from __future__ import annotations

import numpy as np

HASH_BITS = 64


def hex_to_code(hex_digits: str) -> int:
    code = int(hex_digits, 16)
    if not 0 <= code < 1 << HASH_BITS:
        raise ValueError(f"perceptual hash {hex_digits!r} is not {HASH_BITS} bits")
    return code


def code_to_hex(code: int) -> str:
    return f"{int(code):016x}"


def hamming(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Elementwise Hamming distance of uint64 codes (numpy >= 2 popcount)."""
    return np.bitwise_count(np.bitwise_xor(np.asarray(a, np.uint64), np.asarray(b, np.uint64)))


def brute_force_pairs(codes: np.ndarray, max_distance: int, block: int = 2048) -> np.ndarray:
    """Every pair (i, j), i < j, with hamming(codes[i], codes[j]) <= max_distance, by comparing all n^2/2 pairs.

    The reference for tests and the benchmark's agreement check; blocked so memory stays O(block * n).
    Returns an (k, 2) int64 array sorted by (i, j).
    """
    codes = np.asarray(codes, np.uint64)
    n = len(codes)
    found = []
    for lo in range(0, n, block):
        rows = codes[lo:lo + block]
        dist = np.bitwise_count(rows[:, None] ^ codes[None, lo:])          # compare with columns >= lo only
        i, j = np.nonzero(dist <= max_distance)
        j = j + lo
        i = i + lo
        upper = j > i
        found.append(np.stack([i[upper], j[upper]], axis=1))
    pairs = np.concatenate(found) if found else np.zeros((0, 2), np.int64)
    return sort_pairs(pairs.astype(np.int64))


def sort_pairs(pairs: np.ndarray) -> np.ndarray:
    """Pairs as (min, max), duplicates removed, sorted lexicographically: the canonical form tests compare."""
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        return pairs
    pairs = np.sort(pairs, axis=1)
    return np.unique(pairs, axis=0)
