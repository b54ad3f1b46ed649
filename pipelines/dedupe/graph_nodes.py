"""The dedupe graph's nodes, shared by the Beam transform and the single-machine path so both build the same graph.

Items do not link to each other pair by pair. Each item links to its content nodes -- one per exact key, one per
perceptual hash -- and near-duplicate pairs link hash nodes. A million copies of one picture are then a million
edges to one node, not 5e11 pairs, and exact and near groups merge in one connected-components pass.

  "i:<item_id>"            an item of this run
  "o:<item_id>"            an item of an earlier index (--dedupe-against); never written back, always wins
  "x:<exact key>"          see exact_keys.py
  "h:<media_type>:<hex>"   a 64-bit perceptual hash; images and clip keyframes are searched separately
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from framesift.schemas.columns import Col
from pipelines.dedupe.exact_keys import exact_keys

ITEM, INDEX_ITEM, EXACT, HASH = "i:", "o:", "x:", "h:"


def item_node(item_id: str, from_index: bool = False) -> str:
    return (INDEX_ITEM if from_index else ITEM) + item_id


def is_item_node(node: str) -> bool:
    return node.startswith(ITEM) or node.startswith(INDEX_ITEM)


# pHash of a picture with no structure at all: every AC coefficient of the 32x32 thumbnail is exactly 0, so only the
# DC bit (or nothing) is set. Flat pictures of any colour share it, so it says nothing about duplication (on the demo
# corpus it merged six unrelated flat images); identical flat files still meet through their exact keys.
UNINFORMATIVE_PHASHES = frozenset({0x8000000000000000, 0})


def perceptual_hashes(record: Mapping[str, Any]) -> list[str]:
    """The record's 64-bit pHash, plus any extra hashes in the optional `phash_crops` and `phash_views` lists (hex
    strings: crops, mirror image, borders trimmed); hashes of structureless pictures (UNINFORMATIVE_PHASHES) are
    left out. Region hashes (`phash_regions`) are not here: they only propose pairs to verify (verify.py).

    Why the hook: a 90% centre crop moves a full-frame pHash by 8-26 bits on real photos (measured on skimage's
    photos), past any distance that keeps distinct photos apart. A hash of each item's own centre crop
    (pipelines/media/perceptual_hash.centre_crop_phashes) lands within a few bits of the crop copy's full-frame hash.
    """
    hashes = [record[Col.PHASH]] if record.get(Col.PHASH) else []
    hashes.extend(h for h in record.get(Col.PHASH_CROPS) or [] if h)
    hashes.extend(h for h in record.get(Col.PHASH_VIEWS) or [] if h)
    return [h for h in hashes if int(h, 16) not in UNINFORMATIVE_PHASHES]


def hash_node(media_type: str, code: int | str) -> str:
    """Hex strings and ints give the same node: the pair search works on ints, records carry hex."""
    code = int(code, 16) if isinstance(code, str) else int(code)
    return f"{HASH}{media_type}:{code:016x}"


def parse_hash_node(node: str) -> tuple[str, int]:
    media_type, hex_digits = node[len(HASH):].rsplit(":", 1)
    return media_type, int(hex_digits, 16)


def exact_nodes(record: Mapping[str, Any]) -> list[str]:
    # index rows (dedupe_index.py) carry their exact keys ready-made; manifest records carry the hashes
    keys = record["exact_keys"] if "exact_keys" in record else exact_keys(record)
    return [EXACT + k for k in keys or []]


def phash_nodes(record: Mapping[str, Any]) -> list[str]:
    media_type = record.get(Col.MEDIA_TYPE) or "image"
    return [hash_node(media_type, h) for h in perceptual_hashes(record)]


@dataclass(frozen=True)
class ContentKind:
    """One kind of duplicate evidence a record carries itself: which content nodes it links to, and whether the
    DedupeConfig turns it on. (Pairs found by a search -- near pHashes, semantic neighbours -- join nodes on top.)"""
    name: str
    enabled: Callable[[Any], bool]
    nodes: Callable[[Mapping[str, Any]], list[str]]


# The one list both the Beam transform (dedupe_transform.py) and the in-memory reference (tests/) read: adding a
# kind of content key is one entry here (plus its config switch).
CONTENT_KINDS = (
    ContentKind("exact", lambda cfg: cfg.exact, exact_nodes),
    ContentKind("near", lambda cfg: cfg.near_max_distance >= 0, phash_nodes),
)


def content_nodes(record: Mapping[str, Any], cfg) -> list[str]:
    """Every content node of `record` under DedupeConfig `cfg`."""
    return [node for kind in CONTENT_KINDS if kind.enabled(cfg) for node in kind.nodes(record)]
