"""Write one shard: its ArrayRecord file (group_size:1, so every record is one random-access read), then the shard's
state record (count, sha256, dead letters, latent sums) that says the shard is done and belongs to the plan.

array_record writes only to local disk: the file is written to a local temporary file and then copied with Beam's
FileSystems (gs:// or local) under a temporary name and renamed, so a killed job never leaves a half-written shard
under its final name. The state record is written after the shard, so a shard with no state record is redone.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field

import numpy as np
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from framesift.schemas import ShardInfo

ARRAY_RECORD_OPTIONS = "group_size:1"
STATE_DIR = "encode_state"


@dataclass
class EncodedRecord:
    item_id: str
    data: bytes                     # the serialised example
    channel_sum: list[float]        # per latent channel, over every position of the stored latent (float64)
    channel_sum_sq: list[float]
    positions: int                  # latent positions summed (T * h * w)
    bucket: str = ""                # latent shape "TxHxW": the readers batch records of one bucket together


@dataclass
class ShardState:
    fingerprint: str
    shard: ShardInfo
    dead_letters: list[str] = field(default_factory=list)     # DeadLetter JSON lines, sorted
    channel_sum: list[float] = field(default_factory=list)
    channel_sum_sq: list[float] = field(default_factory=list)
    positions: int = 0
    buckets: list[str] = field(default_factory=list)           # per record, in file order

    def to_json(self) -> str:
        from dataclasses import asdict
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ShardState":
        data = json.loads(text)
        data["shard"] = ShardInfo(**data["shard"])
        return cls(**data)


def latent_sums(latent: np.ndarray) -> tuple[list[float], list[float], int]:
    flat = np.asarray(latent, np.float64).reshape(-1, latent.shape[-1])
    return flat.sum(0).tolist(), (flat * flat).sum(0).tolist(), int(flat.shape[0])


def state_path(shards_dir: str, index: int) -> str:
    return FileSystems.join(shards_dir, STATE_DIR, f"shard-{index:05d}.json")


def _ensure_dir(path: str) -> None:
    if "://" not in path:
        os.makedirs(path, exist_ok=True)


def put_file(local_path: str, dest: str) -> None:
    """Copy a local file to `dest` (any FileSystems path) under a temporary name, then rename into place."""
    _ensure_dir(FileSystems.split(dest)[0])
    tmp = f"{dest}.tmp-{uuid.uuid4().hex[:8]}"
    if "://" not in dest:
        shutil.copyfile(local_path, tmp)
    else:
        with open(local_path, "rb") as src, FileSystems.create(tmp, compression_type=CompressionTypes.UNCOMPRESSED) \
                as out:
            shutil.copyfileobj(src, out, 1 << 22)
    FileSystems.rename([tmp], [dest])


def write_bytes_atomic(dest: str, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(data)
    try:
        put_file(f.name, dest)
    finally:
        os.remove(f.name)


def write_array_record(records: list[bytes], dest: str) -> tuple[int, str]:
    """-> (bytes, sha256) of the file written at `dest`."""
    from array_record.python.array_record_module import ArrayRecordWriter
    local_dir = FileSystems.split(dest)[0] if "://" not in dest else None
    if local_dir:
        _ensure_dir(local_dir)
    fd, local = tempfile.mkstemp(prefix=".shard-", dir=local_dir)
    os.close(fd)
    try:
        writer = ArrayRecordWriter(local, ARRAY_RECORD_OPTIONS)
        for record in records:
            writer.write(record)
        writer.close()
        digest = hashlib.sha256()
        with open(local, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                digest.update(chunk)
        size = os.path.getsize(local)
        os.chmod(local, 0o644)     # mkstemp makes it private; a dataset is for reading
        if local_dir:
            os.replace(local, dest)
        else:
            put_file(local, dest)
    finally:
        if os.path.exists(local):
            os.remove(local)
    return size, digest.hexdigest()


def write_shard(shards_dir: str, index: int, file_name: str, fingerprint: str, planned: int,
                records: list[EncodedRecord], dead_letters: list[str], channels: int) -> ShardState:
    """Records in item-id order, then the state record; returns the state."""
    records = sorted(records, key=lambda r: r.item_id)
    size, sha = write_array_record([r.data for r in records], FileSystems.join(shards_dir, file_name))
    total, total_sq = np.zeros(channels, np.float64), np.zeros(channels, np.float64)
    for r in records:           # fixed order, float64: the same sums on every run
        total += r.channel_sum
        total_sq += r.channel_sum_sq
    state = ShardState(fingerprint, ShardInfo(file_name, len(records), planned, len(dead_letters), size, sha),
                       sorted(dead_letters), total.tolist(), total_sq.tolist(), sum(r.positions for r in records),
                       [r.bucket for r in records])
    write_bytes_atomic(state_path(shards_dir, index), state.to_json().encode())
    return state
