"""`framesift shards verify SHARDS`: is this latent dataset whole and what its metadata says?

Checks, each reported with what was expected and found: TFDS can open the directory and its split lengths match
the metadata; features.json is the record this framesift defines (same fields, dtypes and channel count); every
shard exists with the recorded size and sha256 and holds the recorded number of records; every record decodes, has
the dataset's latent dtype and channels, and its item id is unique and in order; buckets.json agrees with the
latents; examples + dead letters = approved rows, and dead_letter.jsonl holds exactly the counted dead letters.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager

import numpy as np
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from framesift.schemas import LatentDatasetMetadata
from framesift.schemas.latent import SPLIT, FastExampleDecoder, latent_features
from framesift.schemas.latent_metadata import BUCKETS_FILE
from pipelines.encode import dataset_files as files


@contextmanager
def local_copy(path: str):
    """array_record reads local files only: gs:// shards are copied to a temporary file first."""
    if "://" not in path:
        yield path
        return
    fd, local = tempfile.mkstemp(prefix="shard-")
    try:
        with os.fdopen(fd, "wb") as out, FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            shutil.copyfileobj(f, out, 1 << 22)
        yield local
    finally:
        os.remove(local)


@contextmanager
def tfds_view(shards_dir: str):
    """A directory TFDS can open for the dataset's metadata: the directory itself when local; for gs:// (which TFDS
    reaches only through gcsfs or TensorFlow) a temporary copy of its three small metadata files."""
    if "://" not in shards_dir:
        yield shards_dir
        return
    with tempfile.TemporaryDirectory() as scratch:
        for name in files.TFDS_FILES:
            with open(os.path.join(scratch, name), "w") as f:
                f.write(files.read_text(FileSystems.join(shards_dir, name)))
        yield scratch


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_schema(features, meta: LatentDatasetMetadata, problems: list[str]) -> None:
    expected = latent_features(meta.latent_channels, meta.latent_dtype, meta.store_logvar)
    if features.to_json_content() != expected.to_json_content():
        have, want = set(features.keys()), set(expected.keys())
        detail = f"missing {sorted(want - have)}, extra {sorted(have - want)}" if have != want else \
            "same fields, different dtypes or shapes"
        problems.append(f"features.json is not this framesift's latent record ({detail})")


def verify_shards(shards_dir: str) -> tuple[list[str], dict]:
    """-> (problems, facts); no problems means the dataset is whole."""
    import tensorflow_datasets as tfds
    from array_record.python.array_record_module import ArrayRecordReader
    problems: list[str] = []
    try:
        meta = files.read_metadata(shards_dir)
    except (OSError, ValueError, KeyError, TypeError) as e:
        return [f"metadata.json unreadable: {e}"], {}
    facts = {"shards": len(meta.shards), "examples": meta.num_examples, "records_decoded": 0}
    try:
        with tfds_view(shards_dir) as view:
            builder = tfds.builder_from_directory(view)
        lengths = list(builder.info.splits[SPLIT].shard_lengths)
        if lengths != [s.examples for s in meta.shards]:
            recorded = [s.examples for s in meta.shards]
            problems.append(f"dataset_info.json shard lengths {lengths} != metadata {recorded}")
        features = builder.info.features
        _check_schema(features, meta, problems)
    except Exception as e:  # whatever TFDS cannot open, the trainer cannot either
        return problems + [f"TFDS cannot open the directory: {type(e).__name__}: {e}"], facts
    decode = FastExampleDecoder(features)
    dtype = np.dtype(features["latent"].np_dtype)
    previous_id, seen, shapes = "", set(), []
    for shard in meta.shards:
        path = FileSystems.join(shards_dir, shard.file)
        if not files.exists(path):
            problems.append(f"{shard.file}: missing")
            continue
        with local_copy(path) as local:
            size, sha = os.path.getsize(local), _sha256(local)
            if (size, sha) != (shard.num_bytes, shard.sha256):
                problems.append(f"{shard.file}: size/sha256 {size}/{sha[:12]} != recorded "
                                f"{shard.num_bytes}/{shard.sha256[:12]}")
            reader = ArrayRecordReader(local)
            try:
                count = reader.num_records()
                if count != shard.examples:
                    problems.append(f"{shard.file}: {count} records, metadata says {shard.examples}")
                for i, record in enumerate(reader.read_all()):
                    try:
                        ex = decode(record)
                    except Exception as e:
                        problems.append(f"{shard.file} record {i}: does not decode ({type(e).__name__}: {e})")
                        continue
                    facts["records_decoded"] += 1
                    # latent example fields (framesift/schemas/latent.py), not manifest columns
                    item_id, latent = ex["item_id"].decode(), ex["latent"]
                    if latent.dtype != dtype or latent.ndim != 4 or latent.shape[-1] != meta.latent_channels:
                        problems.append(f"{shard.file} record {i} ({item_id}): latent {latent.dtype} "
                                        f"{latent.shape}, expected {dtype} (T, h, w, {meta.latent_channels})")
                    if item_id in seen or item_id <= previous_id:
                        problems.append(f"{shard.file} record {i}: item id {item_id} repeated or out of order")
                    seen.add(item_id)
                    previous_id = item_id
                    shapes.append("x".join(str(d) for d in latent.shape[:3]))
            finally:
                reader.close()
    _check_buckets(shards_dir, shapes, problems)
    _check_counts(shards_dir, meta, problems)
    return problems, facts


def _check_buckets(shards_dir: str, shapes: list[str], problems: list[str]) -> None:
    try:
        buckets = json.loads(files.read_text(FileSystems.join(shards_dir, BUCKETS_FILE)))
        recorded = [buckets["buckets"][b] for b in buckets["record_bucket"]]
    except (OSError, ValueError, KeyError, IndexError) as e:
        problems.append(f"{BUCKETS_FILE} unreadable: {e}")
        return
    if recorded != shapes:
        wrong = next((i for i, (a, b) in enumerate(zip(recorded, shapes)) if a != b), min(len(recorded), len(shapes)))
        problems.append(f"{BUCKETS_FILE} disagrees with the latents from record {wrong} "
                        f"({len(recorded)} entries, {len(shapes)} records)")


def _check_counts(shards_dir: str, meta: LatentDatasetMetadata, problems: list[str]) -> None:
    counts = meta.counts
    dead = sum(s.dead_letters for s in meta.shards)
    if meta.num_examples + dead != counts.get("approved"):
        problems.append(f"{meta.num_examples} examples + {dead} dead letters != {counts.get('approved')} approved")
    if any(s.examples + s.dead_letters != s.planned for s in meta.shards):
        problems.append("a shard's examples + dead letters differ from the items planned for it")
    try:
        lines = [l for l in files.read_text(FileSystems.join(shards_dir, files.DEAD_LETTER_FILE)).splitlines() if l]
    except OSError as e:
        problems.append(f"{files.DEAD_LETTER_FILE} unreadable: {e}")
        return
    if len(lines) != dead:
        problems.append(f"{files.DEAD_LETTER_FILE} holds {len(lines)} dead letters, the shards counted {dead}")
