"""SemDeDup inside the Beam job: the same steps as semantic.py, with no worker holding every embedding.

  sample (<= max_train embeddings) -> spherical k-means on one worker (faiss) -> centroids as a side input
  every embedding -> its `probes` nearest centroids -> GroupByKey per cluster -> cosine >= 1 - epsilon pairs

A cluster larger than `max_cluster` is cut into blocks by a hash of the item id and compared block pair by block
pair, as NearPairs does with hash buckets, so one worker holds at most ~2 * max_cluster vectors.
"""
from __future__ import annotations

import math
import zlib

import apache_beam as beam
import numpy as np

from framesift.schemas.columns import Col
from pipelines.dedupe.semantic import default_clusters, normalise


def from_embedding_record(record: dict):
    """An EmbeddingRecord dict (RUN/embeddings) -> (item_id, vector); None for random-weight embeddings, whose
    cosines say nothing about content (a random network maps unrelated pictures close together)."""
    if record.get("untrained"):
        return None
    return record[Col.ITEM_ID], np.asarray(record["embedding"], np.float32)


def _train_centroids(sample, total, clusters, seed):
    import faiss
    if not sample:
        return np.zeros((0, 0), np.float32)
    x = normalise(np.stack([v for _, v in sample]))
    k = max(1, min(clusters or default_clusters(total), len(x)))
    kmeans = faiss.Kmeans(x.shape[1], k, niter=10, seed=seed, spherical=True, verbose=False,
                          max_points_per_centroid=max(1, len(x) // k + 1))
    kmeans.train(x)
    return kmeans.centroids.copy()


def _block_of(item_id: str, blocks: int) -> int:
    return zlib.crc32(item_id.encode()) % blocks


class _Assign(beam.DoFn):
    def __init__(self, probes: int, max_cluster: int):
        self.probes, self.max_cluster = probes, max_cluster

    def process(self, batch, centroids, big_clusters):
        if len(batch) == 0 or centroids.size == 0:
            return
        x = normalise(np.stack([v for _, v in batch]))
        probes = min(self.probes, len(centroids))
        nearest = np.argsort(-(x @ centroids.T), axis=1)[:, :probes]
        for (item_id, _), vec, clusters in zip(batch, x, nearest):
            for cluster in clusters.tolist():
                if big_clusters is None:
                    yield cluster, 1
                    continue
                size = big_clusters.get(cluster)
                blocks = 1 if size is None else math.ceil(size / self.max_cluster)
                mine = _block_of(item_id, blocks)
                for other in range(blocks):
                    yield (cluster, min(mine, other), max(mine, other)), (mine, item_id, vec)


def _cluster_pairs(element, min_cosine):
    (_, block_i, block_j), members = element
    members = list(members)
    left = [(i, v) for b, i, v in members if b == block_i]
    right = left if block_i == block_j else [(i, v) for b, i, v in members if b == block_j]
    if not left or not right:
        return
    lx, rx = np.stack([v for _, v in left]), np.stack([v for _, v in right])
    i, j = np.nonzero(lx @ rx.T >= min_cosine)
    for a, b in zip(i.tolist(), j.tolist()):
        ida, idb = left[a][0], right[b][0]
        if ida != idb:
            yield min(ida, idb), max(ida, idb)


class SemanticPairs(beam.PTransform):
    """(item_id, embedding vector) -> distinct (item_id, item_id) pairs, cosine >= 1 - epsilon, sharing a cluster."""

    def __init__(self, epsilon: float, clusters: int = 0, probes: int = 2, max_train: int = 50_000,
                 max_cluster: int = 5000, seed: int = 0):
        super().__init__()
        self.epsilon, self.clusters, self.probes = epsilon, clusters, probes
        self.max_train, self.max_cluster, self.seed = max_train, max_cluster, seed

    def expand(self, embeddings):
        total = embeddings | "Count" >> beam.combiners.Count.Globally()
        centroids = (embeddings
                     | "Sample" >> beam.combiners.Sample.FixedSizeGlobally(self.max_train)
                     | "KMeans" >> beam.Map(_train_centroids, beam.pvalue.AsSingleton(total), self.clusters,
                                            self.seed))
        batches = embeddings | "Batch" >> beam.BatchElements(min_batch_size=64, max_batch_size=2048)
        centroids_side = beam.pvalue.AsSingleton(centroids)
        sizes = (batches
                 | "Probe" >> beam.ParDo(_Assign(self.probes, self.max_cluster), centroids_side, None)
                 | "ClusterSizes" >> beam.CombinePerKey(sum))
        max_cluster = self.max_cluster
        big = sizes | "HugeClusters" >> beam.Filter(lambda kv: kv[1] > max_cluster)
        min_cosine = 1.0 - float(self.epsilon)
        return (batches
                | "Assign" >> beam.ParDo(_Assign(self.probes, self.max_cluster), centroids_side,
                                         beam.pvalue.AsDict(big))
                | "GroupClusters" >> beam.GroupByKey()
                | "Pairs" >> beam.FlatMap(_cluster_pairs, min_cosine)
                | "DistinctPairs" >> beam.Distinct())
