"""The encode job's Beam graph: plan files -> approved rows -> pixels -> autoencoder (RunInference) -> shards.

  ReadPlans     one Parquet file per pending shard (written by the launcher): (shard, row)
  Prepare       decode + resize/crop or bucket + sample clip frames, in a     (failures -> dead letters)
                decoder helper process: a native crash costs one item
  Batch         group by (shard, bucket), sort by item id, cut into batches  (the same batches on every run)
  Encode        RunInference with the JAX autoencoder handler               (failed batches -> dead letters)
  Serialize     the latent record (framesift/schemas/latent.py)             (failures -> dead letters)
  WriteShards   per shard: ArrayRecord file + state record (count, sha256, dead letters, latent sums)

Every planned item leaves as a record or a dead letter keyed by its shard, so each shard's state says
planned = examples + dead letters, and the launcher checks that sum for the whole job.
"""
from __future__ import annotations

import io
import traceback

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference

from framesift.config import EncodeConfig
from framesift.schemas import DeadLetter
from framesift.schemas.columns import Col
from framesift.schemas.latent import LatentCodec, latent_features, make_example
from pipelines.encode.autoencoder_handler import AutoencoderHandler
from pipelines.encode.pixels import ItemPreparer, PreparedItem, label_of
from pipelines.encode.shard_writer import EncodedRecord, latent_sums, write_shard
from pipelines.media.helper_process import acquire_shared_pool, release_shared_pool

NAMESPACE = "framesift_encode"


def read_plan_rows(path: str):
    """-> (shard index, row dict) for every row of one plan file."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        table = pq.read_table(io.BytesIO(f.read()))
    for row in table.to_pylist():
        yield row.pop("shard"), row


def dead_letter(row: dict, stage: str, exc_type, message: str, tb: str, config_hash: str) -> str:
    Metrics.counter(NAMESPACE, f"dead_letter_{stage}").inc()
    return DeadLetter(uri=row[Col.SOURCE_URI], stage=stage, error_type=getattr(exc_type, "__name__", str(exc_type)),
                      message=message[:2000], detail=tb[-1500:], config_hash=config_hash,
                      item_id=row[Col.ITEM_ID]).to_json()


def _failed_prepare(config_hash: str):
    def convert(failure):
        (shard, row), (exc_type, exc_repr, tb_lines) = failure
        last = tb_lines[-1].strip() if tb_lines else exc_repr
        message = last.split(": ", 1)[1] if ": " in last else exc_repr
        return shard, dead_letter(row, "encode_load", exc_type, message, "".join(tb_lines[-3:]), config_hash)
    return convert


def _failed_batch(config_hash: str):
    def convert(failure):
        batch, exc = failure
        for shard, items in batch:
            for item in items:
                yield shard, dead_letter(item.row, "encode_model", type(exc), str(exc) or repr(exc),
                                         "".join(traceback.format_exception(exc))[-1500:], config_hash)
    return convert


class PrepareItems(beam.DoFn):
    """(shard, row) -> (shard, PreparedItem), decoded in a helper process (pipelines/media/helper_process.py): a
    fresh interpreter started by fork+exec, as in the curate job. A segfault or abort in a decoder then costs one
    item (a HelperCrashed dead letter), not the job, and the process that holds the autoencoder's JAX threads is
    never forked."""

    def __init__(self, cfg: EncodeConfig):
        self.cfg = cfg

    def setup(self):
        self.pool = acquire_shared_pool(ItemPreparer(self.cfg))

    def process(self, element):
        shard, row = element
        yield shard, self.pool.call("prepare", row)

    def teardown(self):
        if getattr(self, "pool", None) is not None:     # setup may have failed before the pool existed
            release_shared_pool(self.pool)
            self.pool = None


def make_batches(keyed, batch_size: int):
    """((shard, bucket), items) -> (shard, items sorted by id, batch_size at a time)."""
    (shard, _), items = keyed
    items = sorted(items, key=lambda item: item.row[Col.ITEM_ID])
    for start in range(0, len(items), batch_size):
        yield shard, items[start:start + batch_size]


class SerializeExamples(beam.DoFn):
    """(shard, (items, mean, logvar)) -> (shard, EncodedRecord) per item, or a dead letter on the side."""

    def __init__(self, cfg: EncodeConfig, channels: int, config_hash: str):
        self.cfg, self.channels, self.config_hash = cfg, channels, config_hash

    def setup(self):
        self.codec = LatentCodec(latent_features(self.channels, self.cfg.latent_dtype, self.cfg.store_logvar))

    def process(self, element):
        shard, (items, mean, logvar) = element
        for i, item in enumerate(items):
            try:
                yield shard, self._encode(item, mean[i], None if logvar is None else logvar[i])
                Metrics.counter(NAMESPACE, "examples").inc()
            except Exception as e:
                yield beam.pvalue.TaggedOutput("dead", (shard, dead_letter(
                    item.row, "encode_serialize", type(e), str(e) or repr(e), traceback.format_exc(),
                    self.config_hash)))

    def _encode(self, item: PreparedItem, mean: np.ndarray, logvar) -> EncodedRecord:
        row, scores = item.row, dict(item.row.get(Col.SCORES) or [])
        if not np.all(np.isfinite(mean)):
            raise ValueError("the autoencoder returned non-finite latents")
        example = make_example(
            item_id=row[Col.ITEM_ID], source_uri=row[Col.SOURCE_URI], media_type=row[Col.MEDIA_TYPE], latent=mean,
            latent_dtype=self.cfg.latent_dtype, latent_logvar=logvar if self.cfg.store_logvar else None,
            caption=row.get(Col.CAPTION), label=label_of(row), picture_embedding=row.get("picture_embedding"),
            caption_embedding=row.get("caption_embedding"),
            aesthetic=scores.get("aesthetic"), motion=scores.get("motion_mean"), original_size=item.original_size,
            crop_coords=item.crop_coords, target_size=item.pixels.shape[1:3],
            clip_span=(row[Col.START_FRAME], row[Col.END_FRAME]) if row[Col.MEDIA_TYPE] == "clip" else None,
            frame_indices=item.frame_indices)
        stored = example["latent"]      # statistics of what the trainer will read (after the dtype cast)
        total, total_sq, positions = latent_sums(stored)
        bucket = "x".join(str(d) for d in stored.shape[:3])
        return EncodedRecord(row[Col.ITEM_ID], self.codec.encode(example), total, total_sq, positions, bucket)


class WriteShards(beam.DoFn):
    def __init__(self, shards_dir: str, shards: dict[int, dict], channels: int):
        self.shards_dir, self.shards, self.channels = shards_dir, shards, channels

    def process(self, element):
        index, grouped = element
        plan = self.shards[index]
        state = write_shard(self.shards_dir, index, plan["file_name"], plan["fingerprint"], plan["planned"],
                            list(grouped["records"]), list(grouped["dead"]), self.channels)
        Metrics.counter(NAMESPACE, "shards_written").inc()
        yield state.to_json()


class EncodeShards(beam.PTransform):
    """plan file paths -> shard state JSON (one per shard written)."""

    def __init__(self, cfg: EncodeConfig, checkpoint: str, loader: str, shards_dir: str, shards: dict[int, dict],
                 channels: int, config_hash: str):
        super().__init__()
        self.cfg, self.checkpoint, self.loader = cfg, checkpoint, loader
        self.shards_dir, self.shards, self.channels, self.config_hash = shards_dir, shards, channels, config_hash

    def expand(self, plan_paths):
        cfg = self.cfg
        rows = (plan_paths | "Spread" >> beam.Reshuffle()
                | "ReadPlans" >> beam.FlatMap(read_plan_rows) | "SpreadRows" >> beam.Reshuffle())
        prepared, failed_prepare = rows | "Prepare" >> beam.ParDo(PrepareItems(cfg)).with_exception_handling()
        batches = (prepared
                   | "KeyByBucket" >> beam.Map(lambda kv: ((kv[0], kv[1].bucket), kv[1]))
                   | "GroupByBucket" >> beam.GroupByKey()
                   | "Batch" >> beam.FlatMap(make_batches, cfg.batch_size))
        handler = KeyedModelHandler(AutoencoderHandler(self.checkpoint, cfg.batch_size, self.loader))
        encoded, dlq = batches | "Encode" >> RunInference(handler).with_exception_handling()
        serialized = encoded | "Serialize" >> beam.ParDo(
            SerializeExamples(cfg, self.channels, self.config_hash)).with_outputs("dead", main="records")
        dead = ((failed_prepare | "PrepareDeadLetters" >> beam.Map(_failed_prepare(self.config_hash)),
                 dlq.failed_inferences | "ModelDeadLetters" >> beam.FlatMap(_failed_batch(self.config_hash)),
                 serialized.dead)
                | "AllDeadLetters" >> beam.Flatten())
        return ({"records": serialized.records, "dead": dead}
                | "ByShard" >> beam.CoGroupByKey()
                | "WriteShards" >> beam.ParDo(WriteShards(self.shards_dir, self.shards, self.channels)))
