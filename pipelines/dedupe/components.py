"""Connected components on one machine: a plain union-find (the reference the Beam version is tested against,
and the path for small, hashable node ids) and a scipy one for integer nodes at millions of edges.

Both label a component by its smallest node, so every implementation in this package agrees exactly.
"""
from __future__ import annotations

from typing import Hashable, Iterable

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


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


def components_from_pairs(n: int, pairs: np.ndarray) -> np.ndarray:
    """Label of nodes 0..n-1 given (k, 2) integer edges: the smallest node index in each component."""
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    if n == 0:
        return np.zeros(0, np.int64)
    graph = coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    smallest = np.full(comp.max() + 1, n, np.int64)
    np.minimum.at(smallest, comp, np.arange(n))
    return smallest[comp]
