"""Connected components: union-find, scipy and Beam's large-star/small-star agree on chains, stars, random graphs."""
import random

import numpy as np
import pytest
import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipelines.dedupe.components import components_from_pairs
from pipelines.dedupe.components_beam import ConnectedComponents
from tests.dedupe_reference import UnionFind, union_find_labels


def chain(n, tag, shuffle_seed=None):
    ids = list(range(n))
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(ids)
    return [((tag, ids[i]), (tag, ids[i + 1])) for i in range(n - 1)]


def star(n, tag, centre=0):
    return [((tag, centre), (tag, i)) for i in range(n) if i != centre]


def random_graph(nodes, edges, tag, seed):
    rng = random.Random(seed)
    return [((tag, rng.randrange(nodes)), (tag, rng.randrange(nodes))) for _ in range(edges)]


GRAPHS = (chain(300, "chain") + chain(300, "shuffled_chain", shuffle_seed=1) + star(200, "star", centre=150)
          + star(50, "star2") + random_graph(600, 500, "random", seed=2) + [(("loop", 1), ("loop", 1))])


def test_union_find_reference_on_known_shapes():
    labels = union_find_labels([(3, 4), (4, 5), (9, 8)], nodes=[7])
    assert labels == {3: 3, 4: 3, 5: 3, 8: 8, 9: 8, 7: 7}
    uf = UnionFind()
    for a, b in chain(100, "c", shuffle_seed=3):
        uf.union(a, b)
    assert len(set(uf.labels().values())) == 1


def test_scipy_components_equal_union_find_on_random_graphs():
    rng = np.random.default_rng(0)
    for n, m in [(1, 0), (50, 10), (2000, 1500), (2000, 4000)]:
        pairs = rng.integers(0, n, (m, 2))
        expected = union_find_labels(map(tuple, pairs.tolist()), nodes=range(n))
        assert components_from_pairs(n, pairs).tolist() == [expected[i] for i in range(n)]


def test_beam_components_equal_union_find():
    expected = sorted(union_find_labels(GRAPHS).items())
    with TestPipeline() as p:
        out = p | beam.Create(GRAPHS) | ConnectedComponents(rounds=10, strict=True)
        assert_that(out["labels"], equal_to(expected), label="labels")
        assert_that(out["converged"], equal_to([True]), label="converged")


def test_beam_components_flag_when_rounds_are_too_few():
    edges = chain(300, "chain")
    with TestPipeline() as p:
        out = p | beam.Create(edges) | ConnectedComponents(rounds=1)
        assert_that(out["converged"], equal_to([False]))


def test_beam_components_strict_fails_instead_of_writing_wrong_groups():
    with pytest.raises(Exception, match="did not converge in 1 rounds"):
        with TestPipeline() as p:
            _ = p | beam.Create(chain(300, "chain")) | ConnectedComponents(rounds=1, strict=True)
