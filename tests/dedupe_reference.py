"""Reference implementations the tests check the Beam job against (test code; the curate job does all of this in
Beam): a plain union-find for connected components, semantic pairs between new embeddings and an earlier index's,
and deduping against earlier indexes and eval sets on one machine (--dedupe-against; the job reads them with
dedupe_index.ReadDedupeIndex into Dedupe)."""
from __future__ import annotations

from typing import Any, Hashable, Iterable, Mapping, Optional, Sequence

import numpy as np

from pipelines.dedupe.dedupe_index import read_dedupe_index
from pipelines.dedupe.dedupe_local import dedupe_records  # noqa: F401  (the tests take it from here)
from pipelines.dedupe.semantic import default_clusters, normalise, semantic_pairs

_BLOCK_ROWS = 2048          # query rows compared at a time


class UnionFind:
    """Disjoint sets over any orderable, hashable nodes; union by size with path halving."""

    def __init__(self, nodes: Iterable[Hashable] = ()):
        self.parent: dict = {}
        self.size: dict = {}
        for node in nodes:
            self.add(node)

    def add(self, node) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.size[node] = 1

    def find(self, node):
        self.add(node)
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def labels(self) -> dict:
        """node -> smallest node of its component."""
        smallest: dict = {}
        for node in self.parent:
            root = self.find(node)
            if root not in smallest or node < smallest[root]:
                smallest[root] = node
        return {node: smallest[self.find(node)] for node in self.parent}


def union_find_labels(edges: Iterable[tuple], nodes: Iterable = ()) -> dict:
    """node -> smallest node of its component, for every node in `nodes` or in an edge."""
    uf = UnionFind(nodes)
    for a, b in edges:
        uf.union(a, b)
    return uf.labels()


def semantic_pairs_between(query: np.ndarray, base: np.ndarray, epsilon: float, clusters: int = 0, probes: int = 2,
                           seed: int = 0) -> np.ndarray:
    """Pairs (q, b) with cosine >= 1 - epsilon: new embeddings against an earlier index's. k-means is trained on the
    base; each query row is compared with the base rows of its `probes` nearest clusters."""
    import faiss
    q, b = normalise(query), normalise(base)
    if len(q) == 0 or len(b) == 0:
        return np.zeros((0, 2), np.int64)
    k = max(1, min(clusters or default_clusters(len(b)), len(b)))
    kmeans = faiss.Kmeans(b.shape[1], k, niter=10, seed=seed, spherical=True, verbose=False,
                          max_points_per_centroid=max(1, 50_000 // k))
    kmeans.train(b)
    _, base_cluster = kmeans.index.search(b, 1)
    _, query_clusters = kmeans.index.search(q, min(probes, k))
    base_order = np.argsort(base_cluster[:, 0], kind="stable")
    base_bounds = np.searchsorted(base_cluster[base_order, 0], np.arange(k + 1))
    owner = np.repeat(np.arange(len(q)), query_clusters.shape[1])
    labels = query_clusters.reshape(-1)
    found = []
    for cluster in np.unique(labels):
        qs = owner[labels == cluster]
        bs = base_order[base_bounds[cluster]:base_bounds[cluster + 1]]
        if len(bs) == 0:
            continue
        for lo in range(0, len(qs), _BLOCK_ROWS):
            i, j = np.nonzero(q[qs[lo:lo + _BLOCK_ROWS]] @ b[bs].T >= 1.0 - float(epsilon))
            found.append(np.stack([qs[lo + i], bs[j]], axis=1))
    if not found:
        return np.zeros((0, 2), np.int64)
    return np.unique(np.concatenate(found), axis=0)

def index_embeddings(rows: list[Mapping[str, Any]]) -> tuple[list[int], np.ndarray]:
    """(positions of rows that carry an embedding, (k, D) float32)."""
    have = [i for i, r in enumerate(rows) if r.get("embedding") is not None]
    if not have:
        return [], np.zeros((0, 0), np.float32)
    return have, np.array([rows[i]["embedding"] for i in have], np.float32)


def _semantic(records, index_rows, cfg, embeddings):
    if cfg.semantic_epsilon <= 0 or not embeddings:
        return [], []
    ids = [r["item_id"] for r in records if r["item_id"] in embeddings]
    if not ids:
        return [], []
    x = np.stack([np.asarray(embeddings[i], np.float32) for i in ids])
    within = [(ids[a], ids[b]) for a, b in semantic_pairs(x, cfg.semantic_epsilon, cfg.semantic_clusters)]
    have, base = index_embeddings(index_rows)
    across = []
    if have:
        pairs = semantic_pairs_between(x, base, cfg.semantic_epsilon, cfg.semantic_clusters)
        across = [(ids[q], index_rows[have[b]]["item_id"]) for q, b in pairs]
    return within, across


def dedupe_against_index(records: Sequence[Mapping[str, Any]], index_rows: Sequence[Mapping[str, Any]], cfg,
                         embeddings: Optional[Mapping[str, np.ndarray]] = None) -> list[dict]:
    """`records` deduplicated among themselves and against `index_rows` (cfg: a DedupeConfig; embeddings: item_id
    -> vector for the new records, used when cfg.semantic_epsilon > 0)."""
    within, across = _semantic(records, index_rows, cfg, embeddings)
    return dedupe_records(records, cfg, within, index_rows, across)


def dedupe_against_paths(records: Sequence[Mapping[str, Any]], paths: Sequence[str], cfg,
                         embeddings: Optional[Mapping[str, np.ndarray]] = None) -> list[dict]:
    """As dedupe_against_index, reading the indexes of run directories / eval index directories in `paths`."""
    rows = [row for path in paths for row in read_dedupe_index(path)]
    return dedupe_against_index(records, rows, cfg, embeddings)
