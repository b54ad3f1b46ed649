"""Read a run's outputs back (manifest shards, dead letters) through FileSystems, for reports and re-runs."""
from __future__ import annotations

import io

import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from framesift.manifest_reader import conform, read_manifest_file
from framesift.schemas import MANIFEST_SCHEMA, DeadLetter
from framesift.schemas.columns import Col
from pipelines.curate import run_dir as rd


def _files(run_dir: str, sub: str, suffix: str) -> list[str]:
    matches = FileSystems.match([rd.join(run_dir, sub, f"*{suffix}")])[0].metadata_list
    return sorted(m.path for m in matches)


def read_manifest_shard(path: str) -> pa.Table:
    """One shard, local or gs://, through the one manifest reader (framesift/manifest_reader.py)."""
    return read_manifest_file(io.BytesIO(rd.read_bytes(path)))


def manifest_shards(run_dir: str) -> list[str]:
    return _files(run_dir, rd.MANIFEST_DIR, ".parquet")


def read_manifest(run_dir: str) -> pa.Table:
    tables = [read_manifest_shard(path) for path in manifest_shards(run_dir)]
    if not tables:
        return conform(MANIFEST_SCHEMA.empty_table())
    return pa.concat_tables(tables).sort_by([(Col.SOURCE_URI, "ascending"), (Col.ITEM_ID, "ascending")])


def read_dead_letters(run_dir: str) -> list[DeadLetter]:
    records = []
    for path in _files(run_dir, rd.DEAD_LETTER_DIR, ".jsonl"):
        records.extend(DeadLetter.from_json(line) for line in rd.read_bytes(path).decode().splitlines()
                       if line.strip())
    return sorted(records, key=lambda d: (d.uri, d.stage, d.detail or ""))


def read_input_list(path: str) -> list[str]:
    """One URI per line, or JSONL with a `uri` field (so a dead-letter file can be fed straight back)."""
    import json
    uris = []
    for line in rd.read_bytes(path).decode("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        uris.append(json.loads(line)["uri"] if line.startswith("{") else line)
    return uris
