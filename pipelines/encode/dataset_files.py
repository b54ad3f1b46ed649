"""The files of a latent dataset directory besides the shards: TFDS metadata, provenance, dead letters, job state.

TFDS's `write_metadata` lists the data files on the path it writes to and cannot reach gs:// without TensorFlow,
so the metadata is written in a local scratch directory holding empty stand-ins named like the shards, then each
file is copied into place through FileSystems. Nothing written here depends on time or place: same plan, same bytes.
"""
from __future__ import annotations

import json
import os
import tempfile

from apache_beam.io.filesystems import FileSystems

from framesift.schemas import LatentDatasetMetadata
from framesift.schemas.latent import DATASET_NAME, SPLIT, latent_features
from framesift.schemas.latent_metadata import BUCKETS_FILE, METADATA_FILE
from pipelines.encode.shard_writer import STATE_DIR, ShardState, put_file, state_path, write_bytes_atomic

TFDS_FILES = ("dataset_info.json", "features.json", METADATA_FILE)
DEAD_LETTER_FILE = "dead_letter.jsonl"
PLAN_FILE = "plan.json"
TEMPLATE = "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"


def write_tfds_metadata(shards_dir: str, meta: LatentDatasetMetadata) -> None:
    import tensorflow_datasets as tfds
    features = latent_features(meta.latent_channels, meta.latent_dtype, meta.store_logvar)
    with tempfile.TemporaryDirectory() as scratch:
        for shard in meta.shards:
            open(os.path.join(scratch, shard.file), "wb").close()
        template = tfds.core.ShardedFileTemplate(data_dir=scratch, template=TEMPLATE, dataset_name=DATASET_NAME,
                                                 split=SPLIT, filetype_suffix="array_record")
        split = tfds.core.SplitInfo(name=SPLIT, shard_lengths=[s.examples for s in meta.shards],
                                    num_bytes=sum(s.num_bytes for s in meta.shards), filename_template=template)
        tfds.folder_dataset.write_metadata(
            data_dir=scratch, features=features, split_infos=[split], filename_template=template, check_data=False,
            description="framesift latent shards: approved items encoded by an autoencoder (see metadata.json)",
            metadata=tfds.core.MetadataDict(meta.to_dict()))
        for name in TFDS_FILES:
            put_file(os.path.join(scratch, name), FileSystems.join(shards_dir, name))


def read_metadata(shards_dir: str) -> LatentDatasetMetadata:
    return LatentDatasetMetadata.from_dict(json.loads(read_text(FileSystems.join(shards_dir, METADATA_FILE))))


def read_text(path: str) -> str:
    with FileSystems.open(path) as f:
        return f.read().decode("utf-8")


def exists(path: str) -> bool:
    return FileSystems.exists(path)


def read_state(shards_dir: str, index: int):
    path = state_path(shards_dir, index)
    return ShardState.from_json(read_text(path)) if exists(path) else None


def read_plan_record(shards_dir: str):
    path = FileSystems.join(shards_dir, STATE_DIR, PLAN_FILE)
    return json.loads(read_text(path)) if exists(path) else None


def write_plan_record(shards_dir: str, record: dict) -> None:
    write_bytes_atomic(FileSystems.join(shards_dir, STATE_DIR, PLAN_FILE),
                       json.dumps(record, sort_keys=True).encode())


def write_dead_letters(shards_dir: str, lines: list[str]) -> None:
    write_bytes_atomic(FileSystems.join(shards_dir, DEAD_LETTER_FILE),
                       "".join(line + "\n" for line in sorted(lines)).encode())


def write_buckets(shards_dir: str, keys: list[str], record_bucket: list[int]) -> None:
    write_bytes_atomic(FileSystems.join(shards_dir, BUCKETS_FILE),
                       json.dumps({"buckets": keys, "record_bucket": record_bucket}, separators=(",", ":")).encode())


def dataset_files(shards_dir: str) -> list[str]:
    """Everything an encode job writes in the directory (for --overwrite and for a different plan)."""
    patterns = [FileSystems.join(shards_dir, f"{DATASET_NAME}-*"), FileSystems.join(shards_dir, ".shard-*"),
                FileSystems.join(shards_dir, STATE_DIR, "**"), FileSystems.join(shards_dir, DEAD_LETTER_FILE),
                FileSystems.join(shards_dir, BUCKETS_FILE)]
    patterns += [FileSystems.join(shards_dir, name) for name in TFDS_FILES]
    found = []
    for result in FileSystems.match(patterns):
        found.extend(m.path for m in result.metadata_list)
    return sorted(set(found))


def remove_empty_local_dir(path: str) -> None:
    """Object stores have no directories; a local one left empty would differ between a run and a resumed run."""
    if "://" not in path and os.path.isdir(path) and not os.listdir(path):
        os.rmdir(path)
