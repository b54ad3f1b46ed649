"""A flat, columnar index of the manifest, so the review UI can filter and sort a million rows in well under a
second without ever holding the manifest in memory.

The manifest keeps scores in a map column and reasons in a list of structs; neither can be filtered by a pyarrow
(or DuckDB) predicate without decoding every row (about 1 s per million rows for `scores` alone). The index is
built once by streaming the manifest record batch by record batch: one float column per score key
(`score:<key>`), reasons as one delimited string (`|sharpness:too_blurry|exposure:too_dark|`), and the few small
columns the queue grid shows. It is written as Arrow IPC fragments under RUN/.review_index/<fingerprint>/, where
the fingerprint covers the manifest files' names, sizes and mtimes (so `framesift rethreshold` or a new dedupe
pass rebuilds it) and the feedback scores file, whose `preference` score joins the index as `score:preference`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from framesift import run_files
from framesift.manifest_reader import iter_manifest_batches, manifest_files, manifest_stamps
from framesift.run_layout import PREFERENCE_FILE, REVIEW_INDEX_DIR
from framesift.vocabulary import STAGE_DEDUPE
from framesift.schemas.columns import Col

INDEX_VERSION = 4
SCORE_PREFIX = "score:"
PREFERENCE_KEY = "preference"
_READ_COLUMNS = [Col.ITEM_ID, Col.SOURCE_URI, Col.MEDIA_TYPE, Col.KEEP, Col.DUPLICATE_GROUP, Col.THUMBNAIL_PATH,
                 Col.PREVIEW_PATH, Col.CAPTION, Col.SCORES, Col.REJECT_REASONS]
def fingerprint(run_dir: str) -> str:
    h = hashlib.sha256(f"v{INDEX_VERSION}".encode())
    # one listing (one round trip for a bucket's run) plus the feedback scores file
    stamps = manifest_stamps(run_dir)
    stamps[run_files.join(run_dir, PREFERENCE_FILE)] = run_files.stamp(run_files.join(run_dir, PREFERENCE_FILE))
    for path, st in stamps.items():
        if st is not None:
            h.update(f"{run_files.relative(path, run_dir)}:{st[0]}:{st[1]};".encode())
    return h.hexdigest()[:16]


def _reason_strings(reasons: pa.Array, counts: Counter) -> pa.Array:
    """list<struct> -> '|name:reason|name:reason|' per row ('' when none); counts each reason code."""
    flat = pc.list_flatten(reasons)
    if len(flat) == 0:
        return pa.array([""] * len(reasons), pa.string())
    parents = pc.list_parent_indices(reasons).to_numpy()
    codes = pc.binary_join_element_wise(flat.field("name"), flat.field("reason"), ":").to_pylist()
    out = [[] for _ in range(len(reasons))]
    for p, c in zip(parents, codes):
        out[p].append(c)
    counts.update(codes)
    return pa.array([f"|{'|'.join(r)}|" if r else "" for r in out], pa.string())


def _dedupe_flags(reasons: pa.Array) -> pa.Array:
    flat = pc.list_flatten(reasons)
    flags = np.zeros(len(reasons), bool)
    if len(flat):
        parents = pc.list_parent_indices(reasons).to_numpy()
        flags[parents[pc.equal(flat.field("stage"), STAGE_DEDUPE).to_numpy(zero_copy_only=False)]] = True
    return pa.array(flags)


def _score_columns(scores: pa.Array) -> dict[str, pa.Array]:
    # as list<struct>, so that list kernels apply (and slicing is respected, unlike MapArray.keys)
    as_list = scores.cast(pa.list_(pa.struct([pa.field("key", pa.string(), nullable=False),
                                              pa.field("value", scores.type.item_type)])))
    flat = pc.list_flatten(as_list)
    keys, items = flat.field("key"), flat.field("value")
    parents = pc.list_parent_indices(as_list)
    out = {}
    for key in pc.unique(keys).to_pylist():
        sel = pc.equal(keys, key)
        rows = pc.filter(parents, sel).to_numpy()
        vals = pc.filter(items, sel).to_numpy(zero_copy_only=False)
        col = np.full(len(scores), np.nan)
        col[rows] = vals
        present = np.zeros(len(scores), bool)
        present[rows] = True
        # null where the item has no such score; a recorded NaN stays NaN (it fails every check on that score)
        out[SCORE_PREFIX + key] = pa.array(col, mask=~present)
    return out


def _index_batch(batch: pa.RecordBatch, start: int, shard: int, shard_start: int,
                 preference: pa.Table | None, reason_counts: Counter) -> pa.Table:
    n = batch.num_rows
    caption = batch.column(Col.CAPTION)
    cols = {
        "row": pa.array(np.arange(start, start + n, dtype=np.int64)),
        "shard": pa.array(np.full(n, shard, np.int32)),
        "shard_row": pa.array(np.arange(shard_start, shard_start + n, dtype=np.int64)),
        **{name: batch.column(name) for name in (Col.ITEM_ID, Col.SOURCE_URI, Col.MEDIA_TYPE, Col.KEEP,
                                                 Col.DUPLICATE_GROUP, Col.THUMBNAIL_PATH, Col.PREVIEW_PATH)},
        Col.CAPTION: pc.utf8_slice_codeunits(caption, 0, 300),
        "reasons": _reason_strings(batch.column(Col.REJECT_REASONS), reason_counts),
        "dedupe_rejected": _dedupe_flags(batch.column(Col.REJECT_REASONS)),
    }
    cols.update(_score_columns(batch.column(Col.SCORES)))
    if preference is not None:
        same_order = preference.num_rows >= start + n and \
            preference.column(Col.ITEM_ID).slice(start, n).equals(pa.chunked_array([batch.column(Col.ITEM_ID)]))
        if same_order:      # feedback writes scores in index order: no hash join needed
            cols[SCORE_PREFIX + PREFERENCE_KEY] = preference.column("preference_score").slice(start, n)
        else:
            pos = pc.index_in(batch.column(Col.ITEM_ID), preference.column(Col.ITEM_ID))
            cols[SCORE_PREFIX + PREFERENCE_KEY] = pc.take(preference.column("preference_score"), pos)
    return pa.table(cols)


def build_index(run_dir: str, out_dir: str, batch_rows: int = 65536) -> dict:
    """Stream the manifest into Arrow IPC fragments under out_dir; returns (and writes) the index metadata."""
    files = manifest_files(run_dir)
    pref_path = run_files.join(run_dir, PREFERENCE_FILE)
    preference = pq.read_table(run_files.open_input(pref_path), columns=[Col.ITEM_ID, "preference_score"]) \
        if run_files.exists(pref_path) else None
    os.makedirs(out_dir, exist_ok=True)
    row, frag, score_keys, fragments, reasons, groups = 0, 0, set(), [], Counter(), set()
    for shard, path in enumerate(files):
        shard_row = 0
        for batch in iter_manifest_batches(path, batch_rows, _READ_COLUMNS):
            table = _index_batch(batch, row, shard, shard_row, preference, reasons)
            groups.update(pc.unique(table.column(Col.DUPLICATE_GROUP).drop_null()).to_pylist())
            name = f"frag-{frag:06d}.arrow"
            with pa.OSFile(os.path.join(out_dir, name), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
                w.write_table(table)
            score_keys.update(c[len(SCORE_PREFIX):] for c in table.column_names if c.startswith(SCORE_PREFIX))
            fragments.append(name)
            row += batch.num_rows
            shard_row += batch.num_rows
            frag += 1
    meta = {"version": INDEX_VERSION, "rows": row, "fragments": fragments, "score_keys": sorted(score_keys),
            "manifest_files": [run_files.relative(p, run_dir) for p in files], "reason_counts": dict(reasons),
            "groups": len(groups), "has_preference": preference is not None}
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f)
    return meta


def _index_root(run_dir: str) -> str:
    if run_files.is_remote(run_dir):    # a bucket's run: the index is local, in the cache, named after the run
        return os.path.join(run_files.cache_dir(), "review-index", run_files.run_name(run_dir))
    root = os.path.join(run_dir, REVIEW_INDEX_DIR)
    try:
        os.makedirs(root, exist_ok=True)
        probe = os.path.join(root, f".probe-{uuid.uuid4().hex[:6]}")
        open(probe, "w").close()
        os.remove(probe)
        return root
    except OSError:     # a read-only run directory: keep the index in the temp dir instead
        key = hashlib.sha256(os.path.abspath(run_dir).encode()).hexdigest()[:12]
        return os.path.join(tempfile.gettempdir(), "framesift-review-index", key)


def _drop_stale(root: str, keep: str, grace_s: float = 600) -> None:
    """Remove superseded indexes (and abandoned temp builds) once nobody can still be mid-query on them."""
    now = time.time()
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if name != keep and now - os.path.getmtime(path) > grace_s:
            shutil.rmtree(path, ignore_errors=True)


def ensure_index(run_dir: str) -> tuple[str, dict]:
    """The current index folder and its metadata, building it (atomically, by rename) when the run changed."""
    root = _index_root(run_dir)
    target = os.path.join(root, fingerprint(run_dir))
    meta_path = os.path.join(target, "meta.json")
    if not os.path.exists(meta_path):
        tmp = os.path.join(root, f"tmp-{uuid.uuid4().hex[:8]}")
        build_index(run_dir, tmp)
        try:
            os.rename(tmp, target)
        except OSError:             # another process built it first
            shutil.rmtree(tmp, ignore_errors=True)
        _drop_stale(root, keep=os.path.basename(target))
    with open(meta_path) as f:
        return target, json.load(f)
