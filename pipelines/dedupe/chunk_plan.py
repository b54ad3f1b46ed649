"""Multi-index hashing: which bucket keys ("signatures") a 64-bit code gets, so that every pair of codes within
Hamming distance d shares at least one key. Used by the numpy search (near_pairs.py) and the Beam one
(near_pairs_beam.py), so both find exactly the same candidates.

Why not simply d+1 exact chunks: the textbook scheme (split 64 bits into d+1 chunks; by pigeonhole a pair within d
agrees exactly on one chunk) is exact, but for d = 8 the chunks are 7 bits wide, so 1M codes fall into buckets of
~8k and produce ~3.5e10 candidate pairs. We use the generalised pigeonhole instead: split into m chunks with
per-chunk radii r_i such that sum(r_i + 1) = d + 1. If every chunk differed by more than its r_i the total distance
would be >= d + 1, so a pair within d is within r_i on at least one chunk i. Radii 0..2 have symmetric keys:

  r = 0  key = the chunk value                               (1 key)
  r = 1  key = (p, chunk with bit p set), p = 0..w-1         (w keys; codes 1 apart meet at the differing bit)
  r = 2  key = every value within 1 of the chunk (a centre)  (w + 1 keys; codes 2 apart share a midpoint)

For d = 8 and 1M codes the planner picks 3 chunks of 21-22 bits with r = 2: 67M keys, ~3e8 candidates (numbers
from the uniform-code cost model below), i.e. ~100x fewer than the d+1 chunk scheme. The plain d+1 scheme is the
special case r_i = 0, m = d + 1, and the planner still picks it where it is cheapest.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from pipelines.dedupe.hash_codes import HASH_BITS

MAX_DISTANCE = 32          # beyond this a 64-bit pHash carries no similarity signal (random pairs sit at ~32)
_KEY_COST = 4.0            # a key costs about as much as 4 candidate checks (sort + generate vs gather + popcount)
_P_BITS = 6                # bits that hold the flipped position p in a radius-1 key


@dataclass(frozen=True)
class Chunk:
    index: int
    shift: int             # the chunk is (code >> shift) & ((1 << width) - 1)
    width: int
    radius: int            # 0, 1 or 2

    @property
    def keys_per_code(self) -> int:
        return (1, self.width, self.width + 1)[self.radius]

    @property
    def key_bits(self) -> int:
        return self.width + (_P_BITS if self.radius == 1 else 0)


@dataclass(frozen=True)
class ChunkPlan:
    max_distance: int
    chunks: tuple[Chunk, ...]

    def expected_cost(self, n: int) -> float:
        return sum(_chunk_cost(c.width, c.radius, n) for c in self.chunks)

    def describe(self) -> str:
        return " + ".join(f"{c.width}b/r{c.radius}" for c in self.chunks)


def _expected_candidates(width: int, radius: int, n: int) -> float:
    """Candidate pairs for n uniform random codes (the planner's model; skewed real data costs more)."""
    pairs = n * n / 2.0
    if radius == 0:
        return pairs / 2.0 ** width
    if radius == 1:
        return width * pairs / 2.0 ** (width - 1)
    return (width + 1) ** 2 * pairs / 2.0 ** width


def _chunk_cost(width: int, radius: int, n: int) -> float:
    keys = n * (1, width, width + 1)[radius]
    return _KEY_COST * keys + _expected_candidates(width, radius, n)


def _widths(radii: list[int]) -> list[int]:
    """Split 64 bits as evenly as possible; the spare bits go to the chunks with the largest radius."""
    m = len(radii)
    base, spare = divmod(HASH_BITS, m)
    order = sorted(range(m), key=lambda i: -radii[i])
    widths = [base] * m
    for i in order[:spare]:
        widths[i] += 1
    return widths


def plan_chunks(max_distance: int, n_hint: int = 1_000_000) -> ChunkPlan:
    """The cheapest exact chunking for radius `max_distance` over about `n_hint` distinct codes."""
    d = int(max_distance)
    if not 0 <= d <= MAX_DISTANCE:
        raise ValueError(f"near-duplicate max distance must be in 0..{MAX_DISTANCE} bits, got {max_distance}")
    n = max(int(n_hint), 2)
    best: tuple[float, list[int]] | None = None
    for m in range(max(1, -(-(d + 1) // 3)), min(d + 1, HASH_BITS) + 1):
        extra = d + 1 - m                      # sum of radii
        for k2 in range(extra // 2 + 1):
            k1 = extra - 2 * k2
            k0 = m - k1 - k2
            if k0 < 0:
                continue
            radii = [2] * k2 + [1] * k1 + [0] * k0
            widths = _widths(radii)
            if any(w < 1 or (r == 1 and w + _P_BITS > HASH_BITS) for w, r in zip(widths, radii)):
                continue
            cost = sum(_chunk_cost(w, r, n) for w, r in zip(widths, radii))
            if best is None or cost < best[0]:
                best = (cost, radii)
    assert best is not None
    radii = best[1]
    widths = _widths(radii)
    chunks, shift = [], 0
    for i, (w, r) in enumerate(zip(widths, radii)):
        chunks.append(Chunk(index=i, shift=shift, width=w, radius=r))
        shift += w
    return ChunkPlan(max_distance=d, chunks=tuple(chunks))


def chunk_values(codes: np.ndarray, chunk: Chunk) -> np.ndarray:
    return (np.asarray(codes, np.uint64) >> np.uint64(chunk.shift)) & np.uint64((1 << chunk.width) - 1)


def key_masks(chunk: Chunk) -> tuple[np.ndarray, np.ndarray]:
    """(or_masks, xor_masks), one entry per key: key = (chunk value | or_mask) ^ xor_mask. One formula for the
    three radii lets the numpy search build keys in place, straight into its sort buffer."""
    k = chunk.keys_per_code
    bits = np.left_shift(np.uint64(1), np.arange(chunk.width, dtype=np.uint64))
    or_masks, xor_masks = np.zeros(k, np.uint64), np.zeros(k, np.uint64)
    if chunk.radius == 1:                       # (p, value with bit p set)
        or_masks[:] = bits | (np.arange(chunk.width, dtype=np.uint64) << np.uint64(chunk.width))
    elif chunk.radius == 2:                     # the value itself, then each value one bit away
        xor_masks[1:] = bits
    return or_masks, xor_masks


def chunk_keys(codes: np.ndarray, chunk: Chunk) -> np.ndarray:
    """(n, keys_per_code) uint64 bucket keys of `codes` for one chunk; see the module docstring."""
    or_masks, xor_masks = key_masks(chunk)
    return (chunk_values(codes, chunk)[:, None] | or_masks[None, :]) ^ xor_masks[None, :]


@functools.lru_cache(maxsize=None)
def _int_masks(chunk: Chunk) -> tuple[tuple[int, int], ...]:
    return tuple((int(o), int(x)) for o, x in zip(*key_masks(chunk)))


def code_keys(code: int, plan: ChunkPlan) -> list[tuple[int, int]]:
    """(chunk index, key) of one code in plain Python ints: the per-element path of the Beam search."""
    keys = []
    for chunk in plan.chunks:
        value = (int(code) >> chunk.shift) & ((1 << chunk.width) - 1)
        keys.extend((chunk.index, (value | o) ^ x) for o, x in _int_masks(chunk))
    return keys
