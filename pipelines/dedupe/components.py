"""Connected components on one machine, scipy's, for integer nodes at millions of edges (the Beam version is
components_beam.py; both are tested against a plain union-find in tests/dedupe_reference.py).

Every implementation labels a component by its smallest node, so they agree exactly.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


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
