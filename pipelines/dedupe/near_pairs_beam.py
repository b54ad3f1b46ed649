"""Every pair of 64-bit codes within Hamming distance d, as a Beam transform: the same multi-index keys as the numpy
search (chunk_plan.py), one GroupByKey per bucket key, verified pairs out.

Input: a PCollection of (namespace, code), code an int or 16 hex digits -- the namespace keeps, say, image hashes
apart from clip keyframe hashes. Output: distinct (namespace, lo_hex, hi_hex), lo < hi, hamming(lo, hi) <= d.
Codes travel between steps as signed int64 and leave as hex: Beam's integer coder stops at 2**63 - 1, and half of
all 64-bit hashes are above it.

A bucket holds the distinct codes that share one key. Real hashes are not uniform (flat frames, letterboxed video),
so a bucket can be huge; one worker must never hold it whole. Bucket sizes are counted first (combiner-lifted, so
cheap); a bucket above `max_bucket` codes is cut into b blocks by a hash of the code, and each block pair (i <= j)
becomes its own group of at most ~2 * max_bucket codes. All pairs are still compared -- exactness needs that -- but
spread over b(b+1)/2 workers with bounded memory each.
"""
from __future__ import annotations

import math

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from pipelines.dedupe.chunk_plan import code_keys, plan_chunks
from pipelines.dedupe.hash_codes import code_to_hex

NAMESPACE = "dedupe"
_MIX = 0x9E3779B97F4A7C15          # Fibonacci hashing: spreads codes that share a chunk across blocks


def _to_signed(element):
    ns, code = element
    code = int(code, 16) if isinstance(code, str) else int(code)
    return ns, code - (1 << 64) if code >= 1 << 63 else code


def _unsigned(code: int) -> int:
    return code & 0xFFFFFFFFFFFFFFFF


def _block_of(code: int, blocks: int) -> int:
    return ((int(code) * _MIX) & 0xFFFFFFFFFFFFFFFF) % blocks


class _KeyCodes(beam.DoFn):
    """(ns, code) -> ((ns, chunk, key, block_i, block_j), (block, code)), fanning codes of huge buckets out."""

    def __init__(self, plan, max_bucket: int):
        self.plan, self.max_bucket = plan, max_bucket

    def process(self, element, big_buckets):
        ns, code = element
        for chunk_index, key in code_keys(_unsigned(code), self.plan):
            bucket = (ns, chunk_index, key)
            size = big_buckets.get(bucket)
            if size is None:
                yield (bucket + (0, 0)), (0, code)
                continue
            blocks = math.ceil(size / self.max_bucket)
            mine = _block_of(code, blocks)
            for other in range(blocks):
                lo, hi = min(mine, other), max(mine, other)
                yield (bucket + (lo, hi)), (mine, code)


class _VerifyBucket(beam.DoFn):
    def __init__(self, max_distance: int):
        self.max_distance = max_distance
        self.candidates = Metrics.counter(NAMESPACE, "near_candidate_pairs")

    def process(self, element):
        (ns, _, _, block_i, block_j), members = element
        members = list(members)
        left = np.array([c for b, c in members if b == block_i], np.int64).view(np.uint64)
        if block_i == block_j:
            self.candidates.inc(len(left) * (len(left) - 1) // 2)
            dist = np.bitwise_count(left[:, None] ^ left[None, :])
            i, j = np.nonzero(np.triu(dist <= self.max_distance, 1))
            right = left
        else:
            right = np.array([c for b, c in members if b == block_j], np.int64).view(np.uint64)
            self.candidates.inc(len(left) * len(right))
            i, j = np.nonzero(np.bitwise_count(left[:, None] ^ right[None, :]) <= self.max_distance)
        for a, b in zip(left[i].tolist(), right[j].tolist()):
            yield ns, code_to_hex(min(a, b)), code_to_hex(max(a, b))


class NearPairs(beam.PTransform):
    """(namespace, code) -> distinct (namespace, lo_hex, hi_hex) pairs within `max_distance`; exact, like numpy's.

    `n_hint` (about how many distinct codes to expect) only picks the chunking; any value gives exact results.
    """

    def __init__(self, max_distance: int, n_hint: int = 1_000_000, max_bucket: int = 2000):
        super().__init__()
        self.plan = plan_chunks(max_distance, n_hint)
        self.max_bucket = max_bucket

    def expand(self, codes):
        plan, max_bucket = self.plan, self.max_bucket
        distinct = codes | "Signed" >> beam.Map(_to_signed) | "DistinctCodes" >> beam.Distinct()
        bucket_keys = distinct | "BucketKeys" >> beam.FlatMap(
            lambda e: [((e[0],) + k, 1) for k in code_keys(_unsigned(e[1]), plan)])
        big = (bucket_keys
               | "BucketSizes" >> beam.CombinePerKey(sum)
               | "HugeBuckets" >> beam.Filter(lambda kv: kv[1] > max_bucket))
        return (distinct
                | "KeyByBucket" >> beam.ParDo(_KeyCodes(plan, max_bucket), big_buckets=beam.pvalue.AsDict(big))
                | "GroupBuckets" >> beam.GroupByKey()
                | "Verify" >> beam.ParDo(_VerifyBucket(plan.max_distance))
                | "DistinctPairs" >> beam.Distinct())
