"""Paged, filtered, sorted access to a run's manifest through the flat index (manifest_index.py).

Every query is a pyarrow dataset scan with the filter pushed into the scan and only the columns it needs
projected: a page of the queue reads the filter and sort columns, sorts the matching row numbers, and then takes
just the page's rows. Full manifest rows (the Item page) are read from the one Parquet row group that holds them.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Iterable, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from curation_ui.manifest_index import SCORE_PREFIX, ensure_index
from framesift import run_files
from framesift.manifest_reader import read_row_group_slice
from framesift.schemas import ManifestRow, table_to_rows
from framesift.schemas.columns import Col

CARD_COLUMNS = ["row", Col.ITEM_ID, Col.SOURCE_URI, Col.MEDIA_TYPE, Col.KEEP, Col.DUPLICATE_GROUP, Col.THUMBNAIL_PATH,
                Col.PREVIEW_PATH, Col.CAPTION, "reasons", "dedupe_rejected"]


@dataclass(frozen=True)
class QueueQuery:
    """What the reviewer asked for. Review state is not here: it lives in the store, and arrives as id sets."""
    keep: Optional[bool] = None                     # None: kept and rejected
    media_type: Optional[str] = None
    reasons: tuple[str, ...] = ()                   # "filter:reason" codes; an item matches if it has any
    score_ranges: tuple[tuple[str, Optional[float], Optional[float]], ...] = ()   # (key, lo, hi), inclusive
    duplicate_group: Optional[str] = None           # a group id, or "*" for any group
    sort_by: Optional[str] = None                   # a score key; None: manifest order
    descending: bool = False


@dataclass
class Page:
    total: int
    rows: list[dict] = field(default_factory=list)


def _reopening(method):
    """Retry once on a fresh index if this one vanished (the run changed and another process rebuilt it)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except FileNotFoundError:
            self._open()
            return method(self, *args, **kwargs)
    return wrapper


class ManifestQuery:
    def __init__(self, run_dir: str):
        self.run_dir = run_dir
        self._open()

    def _open(self) -> None:
        self.index_dir, self.meta = ensure_index(self.run_dir)
        paths = [os.path.join(self.index_dir, f) for f in self.meta["fragments"]]
        schemas = [pa.ipc.open_file(p).schema for p in paths]
        self.schema = pa.unify_schemas(schemas) if schemas else pa.schema([])
        self.dataset = ds.dataset(paths, format="ipc", schema=self.schema)
        # point lookups (a page's 48 rows) go to memory-mapped fragments: zero-copy, only touched pages are read
        self._fragments = [pa.ipc.open_file(pa.memory_map(p)).read_all() for p in paths]
        self._starts = np.cumsum([0] + [f.num_rows for f in self._fragments])

    @_reopening
    def scan(self, columns: list[str], filter: Optional[pc.Expression] = None) -> pa.Table:
        return self.dataset.to_table(columns=[c for c in columns if c in self.schema.names], filter=filter)

    def batches(self, columns: list[str]):
        """The index in row order, batch by batch (for whole-run passes such as scoring every item)."""
        yield from self.dataset.to_batches(columns=[c for c in columns if c in self.schema.names])

    @property
    def total_rows(self) -> int:
        return self.meta["rows"]

    @property
    def score_keys(self) -> list[str]:
        return [n[len(SCORE_PREFIX):] for n in self.schema.names if n.startswith(SCORE_PREFIX)]

    @property
    def reason_counts(self) -> dict[str, int]:
        return dict(self.meta.get("reason_counts", {}))

    def expression(self, q: QueueQuery, include_ids: Optional[Iterable[str]] = None,
                   exclude_ids: Optional[Iterable[str]] = None) -> Optional[pc.Expression]:
        parts = []
        if q.keep is not None:
            parts.append(pc.field(Col.KEEP) == q.keep)
        if q.media_type:
            parts.append(pc.field(Col.MEDIA_TYPE) == q.media_type)
        if q.reasons:
            any_reason = None
            for code in q.reasons:
                e = pc.match_substring(pc.field("reasons"), f"|{code}|")
                any_reason = e if any_reason is None else any_reason | e
            parts.append(any_reason)
        for key, lo, hi in q.score_ranges:
            col = pc.field(SCORE_PREFIX + key)
            if key not in self.score_keys:
                parts.append(pc.scalar(False))
                continue
            if lo is not None:
                parts.append(col >= lo)
            if hi is not None:
                parts.append(col <= hi)
        if q.duplicate_group == "*":
            parts.append(pc.field(Col.DUPLICATE_GROUP).is_valid())
        elif q.duplicate_group:
            parts.append(pc.field(Col.DUPLICATE_GROUP) == q.duplicate_group)
        if include_ids is not None:
            parts.append(pc.field(Col.ITEM_ID).isin(pa.array(list(include_ids), pa.string())))
        if exclude_ids:
            parts.append(~pc.field(Col.ITEM_ID).isin(pa.array(list(exclude_ids), pa.string())))
        if not parts:
            return None
        expr = parts[0]
        for p in parts[1:]:
            expr = expr & p
        return expr

    @_reopening
    def _matching(self, q: QueueQuery, include_ids=None, exclude_ids=None,
                  top: Optional[int] = None) -> tuple[pa.Array, int]:
        """(row numbers of the matching rows in queue order, how many match); only the first `top` if given."""
        sort_col = SCORE_PREFIX + q.sort_by if q.sort_by and q.sort_by in self.score_keys else None
        cols = ["row"] + ([sort_col] if sort_col else [])
        t = self.dataset.to_table(columns=cols, filter=self.expression(q, include_ids, exclude_ids))
        order, keys = "ascending", [("row", "ascending")]
        if sort_col:
            order = "descending" if q.descending else "ascending"
            # missing scores last in either direction (portable: null_placement moved between pyarrow versions)
            t = t.append_column("_key", pc.fill_null(t.column(sort_col), -np.inf if q.descending else np.inf))
            keys = [("_key", order), ("row", "ascending")]
        if top is not None and top < t.num_rows:
            idx = pc.select_k_unstable(t, top, sort_keys=keys)     # O(n), sorted; "row" breaks every tie
        else:
            idx = pc.sort_indices(t, keys)
        return t.column("row").take(idx), t.num_rows

    def page(self, q: QueueQuery, offset: int, limit: int, include_ids=None, exclude_ids=None) -> Page:
        rows, total = self._matching(q, include_ids, exclude_ids, top=offset + limit)
        return Page(total=total, rows=self.take_rows(rows.slice(offset, limit).to_pylist()))

    @_reopening
    def take_rows(self, rows: list[int], columns: Optional[list[str]] = None) -> list[dict]:
        """Index rows by row number, in the given order, with their scores gathered into a dict."""
        if not rows:
            return []
        score_cols = [n for n in self.schema.names if n.startswith(SCORE_PREFIX)]
        wanted = (columns or CARD_COLUMNS) + score_cols
        rows_np = np.asarray(rows, dtype=np.int64)
        frag_of = np.searchsorted(self._starts, rows_np, side="right") - 1
        out: list[Optional[dict]] = [None] * len(rows)
        for f in np.unique(frag_of):
            where = np.nonzero(frag_of == f)[0]
            frag = self._fragments[f]
            part = frag.take(pa.array(rows_np[where] - self._starts[f]))
            cols = {c: part.column(c).to_pylist() if c in part.column_names else [None] * len(where) for c in wanted}
            for j, pos in enumerate(where):
                rec = {c: cols[c][j] for c in wanted}
                rec[Col.SCORES] = {k[len(SCORE_PREFIX):]: rec.pop(k) for k in score_cols if rec.get(k) is not None}
                for k in score_cols:
                    rec.pop(k, None)
                out[pos] = rec
        return out

    @_reopening
    def item_ids(self, q: QueueQuery, include_ids=None, exclude_ids=None) -> list[str]:
        """Every matching item id, in queue order (for batch actions on the filtered selection)."""
        rows, _ = self._matching(q, include_ids, exclude_ids)
        ids = pa.chunked_array([f.column(Col.ITEM_ID) for f in self._fragments], pa.string())
        return ids.take(rows).to_pylist()

    @_reopening
    def count(self, q: QueueQuery, include_ids=None, exclude_ids=None) -> int:
        return self.dataset.count_rows(filter=self.expression(q, include_ids, exclude_ids))

    @_reopening
    def find(self, item_ids: Iterable[str]) -> list[dict]:
        """Index rows for these ids (any order)."""
        ids = list(item_ids)
        t = self.dataset.to_table(columns=["row"], filter=pc.field(Col.ITEM_ID).isin(pa.array(ids, pa.string())))
        return self.take_rows(sorted(t.column("row").to_pylist()))

    @_reopening
    def manifest_row(self, item_id: str) -> Optional[ManifestRow]:
        """The full manifest row, read from the single Parquet row group that holds it."""
        t = self.dataset.to_table(columns=["shard", "shard_row"], filter=pc.field(Col.ITEM_ID) == item_id)
        if t.num_rows == 0:
            return None
        shard, shard_row = t.column("shard")[0].as_py(), t.column("shard_row")[0].as_py()
        table = read_row_group_slice(run_files.join(self.run_dir, self.meta["manifest_files"][shard]), shard_row)
        return table_to_rows(table)[0] if table is not None else None

    @_reopening
    def column(self, name: str, q: Optional[QueueQuery] = None) -> np.ndarray:
        """One index column over the matching rows (a score: `score:<key>` or the bare key), NaN for missing."""
        col = name if name in self.schema.names else SCORE_PREFIX + name
        if col not in self.schema.names:
            return np.array([])
        t = self.dataset.to_table(columns=[col], filter=self.expression(q) if q else None)
        arr = t.column(col)
        if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
            return arr.to_numpy(zero_copy_only=False).astype(float)
        return np.asarray(arr.to_pylist(), dtype=object)

    @_reopening
    def score_values(self, key: str, q: Optional[QueueQuery] = None) -> tuple[np.ndarray, np.ndarray]:
        """(values, present) of one score over the matching rows: present is False where an item has no such
        score; a recorded NaN is present (and fails every check, framesift.checks)."""
        col = SCORE_PREFIX + key
        if col not in self.schema.names:
            return np.array([]), np.array([], bool)
        arr = self.dataset.to_table(columns=[col], filter=self.expression(q) if q else None).column(col)
        return arr.to_numpy(zero_copy_only=False).astype(float), arr.is_valid().to_numpy(zero_copy_only=False)

    @_reopening
    def table(self, columns: list[str], q: Optional[QueueQuery] = None, include_ids=None) -> pa.Table:
        cols = [c for c in columns if c in self.schema.names]
        return self.dataset.to_table(columns=cols, filter=self.expression(q or QueueQuery(), include_ids))
