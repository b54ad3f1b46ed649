"""The one reader of manifest files, with the one compatibility rule. `rethreshold`, the curate report, the review
UI, export and the encoder all read through here.

The rule: a manifest of any version up to this framesift's MANIFEST_VERSION is read; a column that version did not
have reads as null (only nullable columns may be missing; the required ones are in every version); a newer
version, or a file without a version, is refused with a message that says so. Upgrades that are more than a new
null column are listed here by version:
  1 -> 2  `duplicate_of` is taken from the dedupe rejection, which carried it as score_key "duplicate_of:<id>".

Plain pyarrow: a local path, a URI (gs://..., read through framesift/run_files.py, pyarrow's file-system layer) or
an open file (pipelines pass the bytes they read through Beam's FileSystems).
"""
from __future__ import annotations

from typing import IO, Iterator, Optional, Sequence, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from framesift import run_files
from framesift.run_layout import MANIFEST_DIR
from framesift.schemas.columns import Col
from framesift.schemas.manifest import MANIFEST_SCHEMA, MANIFEST_VERSION, REQUIRED_COLUMNS, VERSION_KEY
from framesift.vocabulary import STAGE_DEDUPE

Source = Union[str, IO[bytes]]
_V1_DUPLICATE_OF = "duplicate_of:"


def manifest_version(schema: pa.Schema) -> int:
    raw = (schema.metadata or {}).get(VERSION_KEY)
    try:
        version = int(raw)
    except (TypeError, ValueError):
        version = None
    if version is None or not 1 <= version <= MANIFEST_VERSION:
        raise ValueError(f"manifest version {raw!r} is not supported (this framesift reads versions 1 to "
                         f"{MANIFEST_VERSION}{'; upgrade framesift to read newer runs' if version else ''})")
    return version


def check_readable(schema: pa.Schema, columns: Optional[Sequence[str]] = None) -> int:
    """The rule, on a schema: returns the version; raises ValueError for a version or columns it cannot read."""
    version = manifest_version(schema)
    missing = sorted(set(REQUIRED_COLUMNS) - set(schema.names))
    unknown = sorted(set(columns or ()) - set(MANIFEST_SCHEMA.names))
    if missing:
        raise ValueError(f"manifest lacks columns: {missing}")
    if unknown:
        raise ValueError(f"no such manifest columns: {unknown}")
    return version


def _duplicate_of_from_v1(reasons: pa.Array) -> pa.Array:
    """Version 1 kept the representative in the dedupe rejection's score_key ("duplicate_of:<item_id>")."""
    reasons = reasons.combine_chunks() if isinstance(reasons, pa.ChunkedArray) else reasons
    out = np.full(len(reasons), None, object)
    flat = pc.list_flatten(reasons)
    if len(flat):
        keys = flat.field("score_key").to_pylist()
        stages = flat.field("stage").to_pylist()
        for parent, stage, key in zip(pc.list_parent_indices(reasons).to_pylist(), stages, keys):
            if stage == STAGE_DEDUPE and key and key.startswith(_V1_DUPLICATE_OF):
                out[parent] = key[len(_V1_DUPLICATE_OF):]
    return pa.array(out.tolist(), pa.string())


def conform(table: pa.Table, columns: Optional[Sequence[str]] = None, version: Optional[int] = None) -> pa.Table:
    """`table` (read from a manifest of `version`, default: its schema's) with exactly the current schema's
    `columns` (default: all), in schema order, upgraded by the rule above."""
    if version is None:
        version = check_readable(table.schema, columns)
    names = list(columns) if columns is not None else MANIFEST_SCHEMA.names
    fields = [MANIFEST_SCHEMA.field(n) for n in names]
    cols = []
    for f in fields:
        if f.name in table.column_names:
            cols.append(table.column(f.name).cast(f.type))
        elif f.name == Col.DUPLICATE_OF and version < 2 and Col.REJECT_REASONS in table.column_names:
            cols.append(_duplicate_of_from_v1(table.column(Col.REJECT_REASONS)))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=pa.schema(fields, metadata=MANIFEST_SCHEMA.metadata))


def _read_columns(schema: pa.Schema, columns: Optional[Sequence[str]], version: int) -> list[str]:
    """What to read from the file for `columns`: those it has, plus what an upgrade derives them from."""
    wanted = list(columns) if columns is not None else MANIFEST_SCHEMA.names
    if version < 2 and Col.DUPLICATE_OF in wanted:
        wanted = wanted + [Col.REJECT_REASONS]
    return [n for n in dict.fromkeys(wanted) if n in schema.names]


def _parquet(source: Source) -> pq.ParquetFile:
    if isinstance(source, str) and run_files.is_remote(source):
        source = run_files.open_input(source)
    return pq.ParquetFile(source)


def read_manifest_file(source: Source, columns: Optional[Sequence[str]] = None) -> pa.Table:
    """One manifest file (a path or an open binary file), conformed."""
    pf = _parquet(source)
    version = check_readable(pf.schema_arrow, columns)
    table = pf.read(columns=_read_columns(pf.schema_arrow, columns, version))
    return conform(table, columns, version)


def iter_manifest_batches(source: Source, batch_size: int = 65536,
                          columns: Optional[Sequence[str]] = None) -> Iterator[pa.RecordBatch]:
    """One manifest file batch by batch (memory bounded by `batch_size`), each batch conformed."""
    pf = _parquet(source)
    version = check_readable(pf.schema_arrow, columns)
    for batch in pf.iter_batches(batch_size=batch_size, columns=_read_columns(pf.schema_arrow, columns, version)):
        yield from conform(pa.Table.from_batches([batch]), columns, version).combine_chunks().to_batches()


def read_row_group_slice(source: Source, row: int) -> Optional[pa.Table]:
    """The one row at position `row` of a manifest file, read from the single row group that holds it."""
    pf = _parquet(source)
    version = check_readable(pf.schema_arrow)
    start = 0
    for rg in range(pf.metadata.num_row_groups):
        n = pf.metadata.row_group(rg).num_rows
        if row < start + n:
            return conform(pf.read_row_group(rg).slice(row - start, 1), version=version)
        start += n
    return None


def manifest_files(run_dir: str) -> list[str]:
    """The manifest shards of a run directory (local or a URI), in name order."""
    return list(manifest_stamps(run_dir))


def manifest_stamps(run_dir: str) -> dict[str, tuple[int, int]]:
    """{shard: (size, mtime ns)} of a run's manifest, in name order, from one listing."""
    try:
        return run_files.list_stamps(run_files.join(run_dir, MANIFEST_DIR), ".parquet")
    except FileNotFoundError:
        raise FileNotFoundError(f"{run_dir} has no {MANIFEST_DIR}/ folder: not a framesift curate run") from None


def read_manifest(run_dir: str, columns: Optional[Sequence[str]] = None) -> pa.Table:
    """Every row of a run's manifest, conformed (in shard order)."""
    tables = [read_manifest_file(p, columns) for p in manifest_files(run_dir)]
    if not tables:
        return conform(MANIFEST_SCHEMA.empty_table(), columns, MANIFEST_VERSION)
    return pa.concat_tables(tables)
