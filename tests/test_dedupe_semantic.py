"""Semantic duplicates (SemDeDup): planted near-copies among random embeddings, on one machine and in Beam."""
import numpy as np
import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipelines.dedupe.semantic import semantic_pairs
from pipelines.dedupe.semantic_beam import SemanticPairs, from_embedding_record
from tests.dedupe_reference import semantic_pairs_between


def planted_embeddings(n, dim, copies, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    src = rng.choice(n, copies, replace=False)
    dup = x[src] + 0.01 * rng.standard_normal((copies, dim)).astype(np.float32)
    return np.concatenate([x, dup]), {(int(s), n + i) for i, s in enumerate(src)}


def test_semantic_pairs_find_planted_near_copies_only():
    x, planted = planted_embeddings(3000, 64, 150)
    found = set(map(tuple, semantic_pairs(x, 0.01, clusters=20, probes=2).tolist()))
    assert found == planted
    q, base = x[3000:], x[:3000]
    across = set(map(tuple, semantic_pairs_between(q, base, 0.01, clusters=20, probes=2).tolist()))
    assert across == {(n - 3000, s) for s, n in planted}


def test_beam_semantic_pairs_equal_planted_pairs_with_split_clusters():
    x, planted = planted_embeddings(600, 32, 40, seed=1)
    ids = [f"item{i:04d}" for i in range(len(x))]
    records = [{"item_id": i, "model": "m", "untrained": False, "embedding": v.tolist()} for i, v in zip(ids, x)]
    records.append({"item_id": "random-weights", "model": "m", "untrained": True, "embedding": x[0].tolist()})
    expected = sorted((ids[a], ids[b]) for a, b in planted)
    with TestPipeline() as p:
        pairs = (p | beam.Create(records) | beam.Map(from_embedding_record) | beam.Filter(lambda e: e is not None)
                 | SemanticPairs(0.01, clusters=4, probes=2, max_cluster=100))
        assert_that(pairs, equal_to(expected))
