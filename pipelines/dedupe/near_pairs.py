"""Every pair of 64-bit codes within Hamming distance d, on one machine, without comparing all n^2 pairs.

Multi-index hashing (chunk_plan.py) gives each code a few bucket keys per chunk; codes that share a key are
candidates and a popcount verifies each. All steps are whole-array numpy: one sort of packed (key, index) words per
chunk, bucket boundaries from that sort, and candidate pairs generated in blocks of at most `block` pairs with
np.repeat, so memory stays bounded however large a bucket is and no Python loop runs per code.

Identical codes are collapsed first (np.unique): a million copies of one hash cost one entry, not 5e11 pairs. The
grouping entry point (`near_duplicate_labels`) never expands them; `near_pairs` does, for callers that really want
every pair of indices (tests, small inputs).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from pipelines.dedupe.chunk_plan import Chunk, ChunkPlan, chunk_values, key_masks, plan_chunks
from pipelines.dedupe.components import components_from_pairs

DEFAULT_BLOCK = 1 << 22        # candidate pairs checked per numpy step (~200 MB of temporaries at most)
_SMALL_BUCKET = 64             # buckets up to this size are compared as same-size matrices
_CACHE_WORDS = 1 << 18         # codes per same-size step (2 MB): the step's buffers stay in cache


def _sorted_entries(codes: np.ndarray, chunk: Chunk) -> tuple[np.ndarray, np.ndarray, int]:
    """Every (key, code index) entry of one chunk, sorted by key, as (packed words, owners, shift): the key of
    entry e is packed[e] >> shift. Packing both into one uint64 makes a plain sort do (~3x faster than an argsort),
    and the keys are built straight into that buffer in one broadcast pass: at 1M codes x 22 keys every extra pass
    over the entries costs a noticeable share of the total. Falls back to an argsort when key + index bits > 64."""
    n = len(codes)
    or_masks, xor_masks = key_masks(chunk)
    shift = max(1, int(n - 1).bit_length())
    values = chunk_values(codes, chunk)
    if chunk.key_bits + shift > 64:
        flat = ((values[:, None] | or_masks) ^ xor_masks).reshape(-1)
        order = np.argsort(flat, kind="stable")
        return flat[order], order // len(or_masks), 0
    # ((v | o) ^ x) << s | i  ==  ((v << s) | i) | (o << s) ^ (x << s): masks never touch the index bits
    base = (values << np.uint64(shift)) | np.arange(n, dtype=np.uint64)
    if chunk.radius == 1:
        packed = base[:, None] | (or_masks << np.uint64(shift))[None, :]
    else:
        packed = base[:, None] ^ (xor_masks << np.uint64(shift))[None, :]
    packed = packed.reshape(-1)
    packed.sort()
    owners = (packed & np.uint64((1 << shift) - 1)).view(np.int64)
    return packed, owners, shift


def _chunk_self_pairs(codes: np.ndarray, chunk: Chunk, d: int, block: int) -> list[np.ndarray]:
    keys, owner, shift = _sorted_entries(codes, chunk)
    keys >>= np.uint64(shift)
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    sizes = np.diff(np.append(starts, len(keys)))
    del keys
    entry_codes = codes[owner]
    found = []
    small = (sizes >= 2) & (sizes <= _SMALL_BUCKET)
    for size in np.unique(sizes[small]):
        found.extend(_same_size_bucket_pairs(entry_codes, owner, starts[sizes == size], int(size), d))
    for start, size in zip(starts[sizes > _SMALL_BUCKET], sizes[sizes > _SMALL_BUCKET]):
        found.extend(_large_bucket_pairs(entry_codes[start:start + size], owner[start:start + size], d, block))
    return found


def _same_size_bucket_pairs(entry_codes, owner, starts, size, d) -> list[np.ndarray]:
    """All buckets holding `size` entries, a cache-sized step of them at a time: a (size, step) matrix whose row i
    is compared with rows i+1.. in one xor/popcount/compare, into preallocated buffers. Contiguous rows, no
    per-candidate index arithmetic and no fresh temporaries: ~1 ns a candidate, where the generic np.repeat
    formulation costs ~30."""
    step = max(256, _CACHE_WORDS // size)
    xor = np.empty((size - 1, step), np.uint64)
    count = np.empty((size - 1, step), np.uint8)
    close = np.empty((size - 1, step), bool)
    found = []
    for lo in range(0, len(starts), step):
        pos = starts[lo:lo + step, None] + np.arange(size)[None, :]
        mat = np.ascontiguousarray(entry_codes[pos].T)
        w = mat.shape[1]
        for i in range(size - 1):
            rows = size - 1 - i
            np.bitwise_xor(mat[i + 1:], mat[i], out=xor[:rows, :w])
            np.bitwise_count(xor[:rows, :w], out=count[:rows, :w])
            hit = np.less_equal(count[:rows, :w], d, out=close[:rows, :w])
            if not hit.any():                       # true pairs are rare: skip the costlier nonzero
                continue
            later, bucket = np.nonzero(hit)
            found.append(np.stack([owner[pos[bucket, i]], owner[pos[bucket, i + 1 + later]]], axis=1))
    return found


def _large_bucket_pairs(entry_codes, owner, d, block) -> list[np.ndarray]:
    """One big bucket, row block by row block against the rest of the bucket: memory stays O(block)."""
    n = len(entry_codes)
    rows_per_step = max(1, block // n)
    found = []
    for lo in range(0, n - 1, rows_per_step):
        rows = entry_codes[lo:lo + rows_per_step]
        close = np.bitwise_count(rows[:, None] ^ entry_codes[None, lo:]) <= d
        r, q = np.nonzero(close)
        q = q + lo
        r = r + lo
        upper = q > r
        if upper.any():
            found.append(np.stack([owner[r[upper]], owner[q[upper]]], axis=1))
    return found


def _canonical(found: list[np.ndarray], n: int) -> np.ndarray:
    if not found:
        return np.zeros((0, 2), np.int64)
    pairs = np.concatenate(found)
    lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    keep = lo != hi
    packed = np.unique(lo[keep] * np.int64(n) + hi[keep])
    return np.stack([packed // n, packed % n], axis=1)


def near_pairs_distinct(codes: np.ndarray, max_distance: int, plan: Optional[ChunkPlan] = None,
                        block: int = DEFAULT_BLOCK) -> np.ndarray:
    """Pairs (i, j), i < j, of positions in `codes` within `max_distance`, sorted. Exact: every such pair is found
    and only such pairs are returned. Meant for distinct codes; repeated codes work but cost their pairs."""
    codes = np.ascontiguousarray(codes, dtype=np.uint64)
    n = len(codes)
    if n < 2:
        return np.zeros((0, 2), np.int64)
    plan = plan or plan_chunks(max_distance, n)
    found = []
    for chunk in plan.chunks:
        found.extend(_chunk_self_pairs(codes, chunk, plan.max_distance, block))
    return _canonical(found, n)


def near_pairs(codes: np.ndarray, max_distance: int, block: int = DEFAULT_BLOCK) -> np.ndarray:
    """Every pair of positions within `max_distance`, identical codes included (output-sized: k identical codes
    give k(k-1)/2 pairs). For grouping use `near_duplicate_labels`, which never expands identical codes."""
    codes = np.asarray(codes, np.uint64)
    distinct, inverse = np.unique(codes, return_inverse=True)
    unique_pairs = near_pairs_distinct(distinct, max_distance, block=block)
    members = np.argsort(inverse, kind="stable")               # positions grouped by distinct code
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(distinct)))])
    out = []
    for a, b in unique_pairs:                                   # cross pairs between two distinct codes
        pa, pb = members[bounds[a]:bounds[a + 1]], members[bounds[b]:bounds[b + 1]]
        out.append(np.stack(np.meshgrid(pa, pb, indexing="ij"), axis=-1).reshape(-1, 2))
    for g in np.flatnonzero(np.diff(bounds) >= 2):              # pairs inside a run of identical codes
        pg = members[bounds[g]:bounds[g + 1]]
        i, j = np.triu_indices(len(pg), 1)
        out.append(np.stack([pg[i], pg[j]], axis=1))
    return _canonical(out, len(codes))


def near_duplicate_labels(codes: np.ndarray, max_distance: int, block: int = DEFAULT_BLOCK) -> np.ndarray:
    """Component label of each code under "within max_distance" (transitively): the smallest position in its
    component, so labels are deterministic. Identical codes are collapsed before the pair search."""
    codes = np.asarray(codes, np.uint64)
    if len(codes) == 0:
        return np.zeros(0, np.int64)
    distinct, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    pairs = near_pairs_distinct(distinct, max_distance, block=block)
    distinct_labels = components_from_pairs(len(distinct), pairs)        # smallest distinct index per component
    # relabel each component by the smallest original position among its members
    smallest = np.full(len(distinct), len(codes), np.int64)
    np.minimum.at(smallest, distinct_labels, first)
    return smallest[distinct_labels[inverse]]

