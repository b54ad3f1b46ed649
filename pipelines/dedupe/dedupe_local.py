"""Dedupe manifest records on one machine: the same graph and decisions as the Beam `Dedupe` transform, with numpy
multi-index hashing for the pairs and scipy for the components. For runs that fit one worker (dedupe_one_worker.py)
and as the reference the Beam transform is tested against; both read graph_nodes.CONTENT_KINDS.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np

from framesift.schemas.columns import Col
from pipelines.dedupe import graph_nodes as gn
from pipelines.dedupe.components import components_from_pairs
from pipelines.dedupe.near_pairs import near_pairs_distinct
from framesift.vocabulary import duplicate_group_id
from pipelines.dedupe.representative import (EVAL_LEAKAGE, DUPLICATE, GroupDecision, KeepOrder, apply_decision,
                                             rank_key)


class _NodeIds:
    def __init__(self):
        self.ids: dict[str, int] = {}

    def __call__(self, node: str) -> int:
        return self.ids.setdefault(node, len(self.ids))


def _near_hash_edges(nodes: _NodeIds, max_distance: int) -> list[tuple[int, int]]:
    by_media: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for node, nid in nodes.ids.items():
        if node.startswith(gn.HASH):
            media_type, code = gn.parse_hash_node(node)
            by_media[media_type].append((code, nid))
    edges = []
    for members in by_media.values():
        codes = np.array([c for c, _ in members], np.uint64)
        node_ids = np.array([nid for _, nid in members], np.int64)
        pairs = near_pairs_distinct(codes, max_distance)
        edges.extend(zip(node_ids[pairs[:, 0]].tolist(), node_ids[pairs[:, 1]].tolist()))
    return edges


def group_decisions(records: Sequence[Mapping[str, Any]], cfg, semantic_item_pairs: Iterable[tuple[str, str]] = (),
                    index_rows: Sequence[Mapping[str, Any]] = (),
                    semantic_index_pairs: Iterable[tuple[str, str]] = ()) -> dict[str, GroupDecision]:
    """item_id -> decision, for the items of `records` that have a duplicate (in the run or in the index).

    `cfg` is a DedupeConfig; `index_rows` are rows of an earlier dedupe index (dedupe_index.py), whose items always
    win and, when their role is "eval", make every new member an eval leak. `semantic_item_pairs` join two new
    items, `semantic_index_pairs` (new item_id, index item_id) a new item and an index item.
    """
    nodes = _NodeIds()
    edges: list[tuple[int, int]] = []
    near = cfg.near_max_distance >= 0
    members = [(r, False) for r in records] + [(r, True) for r in index_rows]
    for record, from_index in members:
        item = nodes(gn.item_node(record[Col.ITEM_ID], from_index))
        edges.append((item, item))
        edges.extend((item, nodes(n)) for n in gn.content_nodes(record, cfg))
    for a, b in semantic_item_pairs:
        edges.append((nodes(gn.item_node(a)), nodes(gn.item_node(b))))
    for a, b in semantic_index_pairs:
        edges.append((nodes(gn.item_node(a)), nodes(gn.item_node(b, from_index=True))))
    if near:
        edges.extend(_near_hash_edges(nodes, cfg.near_max_distance))
    labels = components_from_pairs(len(nodes.ids), np.array(edges, np.int64).reshape(-1, 2))

    order = KeepOrder.parse(cfg.keep_order)
    groups: dict[int, list[tuple[tuple, Mapping[str, Any], bool]]] = defaultdict(list)
    for record, from_index in members:
        label = int(labels[nodes.ids[gn.item_node(record[Col.ITEM_ID], from_index)]])
        groups[label].append((rank_key(record, order, from_index), record, from_index))
    decisions = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        _, best, best_from_index = min(group, key=lambda m: m[0])
        leak = any(from_index and r.get("role") == "eval" for _, r, from_index in group)
        decision = GroupDecision(duplicate_group_id([r[Col.ITEM_ID] for _, r, _ in group]), best[Col.ITEM_ID],
                                 EVAL_LEAKAGE if leak else DUPLICATE, best_from_index)
        for _, record, from_index in group:
            if not from_index:
                decisions[record[Col.ITEM_ID]] = decision
    return decisions


def dedupe_records(records: Sequence[Mapping[str, Any]], cfg, semantic_item_pairs: Iterable[tuple[str, str]] = (),
                   index_rows: Optional[Sequence[Mapping[str, Any]]] = None,
                   semantic_index_pairs: Iterable[tuple[str, str]] = ()) -> list[dict]:
    """The records with duplicate_group / keep / reject_reasons updated, in input order."""
    decisions = group_decisions(records, cfg, semantic_item_pairs, index_rows or (), semantic_index_pairs)
    return [apply_decision(r, decisions.get(r[Col.ITEM_ID])) for r in records]
