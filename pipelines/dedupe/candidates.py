"""Candidate near-duplicate item pairs from every perceptual hash an item carries (full, crops, views, regions), for
geometric verification (verify.py). One machine, numpy; the Beam transform (candidates_beam.py) does the same.

Distinct codes are searched with multi-index hashing (near_pairs.py), so the cost grows with the number of hashes
(about 30 per item), not with pairs of items. A code shared by more than `max_members` items says nothing about any
one pair of them (a stock background, a blank region) and proposes no pairs: real copies of such pictures also
share their full-frame hashes and meet in the strong tier.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from framesift.schemas.columns import Col
from pipelines.dedupe import graph_nodes as gn
from pipelines.dedupe.hash_codes import hamming, hex_to_code
from pipelines.dedupe.near_pairs import near_pairs_distinct
from pipelines.dedupe.verify import Features, VerifyParams, features, same_picture

MAX_MEMBERS = 64


def candidate_hashes(record: Mapping[str, Any]) -> list[str]:
    regions = [h for h in record.get(Col.PHASH_REGIONS) or [] if h and int(h, 16) not in gn.UNINFORMATIVE_PHASHES]
    return gn.perceptual_hashes(record) + regions


def hashes_within(a: Sequence[str], b: Sequence[str], max_distance: int) -> bool:
    """Some hash of `a` is within `max_distance` of some hash of `b` (hex strings)."""
    ca = np.array([hex_to_code(h) for h in a], np.uint64)
    cb = np.array([hex_to_code(h) for h in b], np.uint64)
    return bool(len(ca) and len(cb) and int(hamming(ca[:, None], cb[None, :]).min()) <= max_distance)


def strongly_linked(a: Mapping[str, Any], b: Mapping[str, Any], max_distance: int) -> bool:
    """Already near duplicates by their strong hashes (the dedupe graph joins them without verification)."""
    return hashes_within(gn.perceptual_hashes(a), gn.perceptual_hashes(b), max_distance)


def candidate_pairs(records: Iterable[Mapping[str, Any]], radius: int,
                    max_members: int = MAX_MEMBERS) -> set[tuple[str, str]]:
    """Item id pairs (a < b) of the same media type with some pair of hashes within `radius` bits."""
    members: dict[tuple[str, int], set[str]] = defaultdict(set)
    for r in records:
        media_type = r.get(Col.MEDIA_TYPE) or "image"
        for h in candidate_hashes(r):
            members[(media_type, hex_to_code(h))].add(r[Col.ITEM_ID])
    members = {k: v for k, v in members.items() if len(v) <= max_members}
    pairs: set[tuple[str, str]] = set()

    def add(xs: Iterable[str], ys: Iterable[str]) -> None:
        for x in xs:
            for y in ys:
                if x != y:
                    pairs.add((x, y) if x < y else (y, x))
    for ids in members.values():
        add(ids, ids)
    by_media: dict[str, list[tuple[int, set[str]]]] = defaultdict(list)
    for (media_type, code), ids in members.items():
        by_media[media_type].append((code, ids))
    for entries in by_media.values():
        codes = np.array([c for c, _ in entries], np.uint64)
        for i, j in near_pairs_distinct(codes, radius):
            add(entries[i][1], entries[j][1])
    return pairs


def verified_pairs(records: list[Mapping[str, Any]], load_rgb: Callable[[Mapping[str, Any]], np.ndarray],
                   radius: int, strong_distance: int, params: VerifyParams = VerifyParams()) -> list[tuple[str, str]]:
    """Candidate pairs that pass geometric verification; pairs the strong hashes already join are skipped."""
    by_id = {r[Col.ITEM_ID]: r for r in records}
    cache: dict[str, Features] = {}

    def feats(item_id: str) -> Features:
        if item_id not in cache:
            cache[item_id] = features(load_rgb(by_id[item_id]))
        return cache[item_id]
    out = []
    for a, b in sorted(candidate_pairs(records, radius)):
        if strongly_linked(by_id[a], by_id[b], strong_distance):
            continue
        if same_picture(feats(a), feats(b), params):
            out.append((a, b))
    return out
