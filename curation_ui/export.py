"""The approved set: the manifest rows that survive review under a policy, each with its decision provenance.

Default policy (`pipeline_then_human`): what the pipeline kept, minus what reviewers rejected, plus what reviewers
approved among the pipeline's rejects. In a duplicate group whose representative a reviewer chose, that item
stands for the group and the other members drop out (unless a reviewer approved one of them explicitly); a choice
never re-admits an item the dedupe stage rejected as evaluation-set leakage (only an explicit approve can). "flag"
and "skip" leave the pipeline's call standing, except under `pipeline_then_human_strict`, which also drops
flagged items. `human_only` exports only what reviewers approved (or chose as representatives).

Streams the manifest (local or gs://) batch by batch and writes one Parquet file (temp file + rename, or + upload
for a gs:// output), so it scales with the manifest, not with memory. Columns: the manifest schema + PROVENANCE_SCHEMA (framesift/schemas/review.py).
"""
from __future__ import annotations

import os
import tempfile
import typing
import uuid
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from framesift import run_files
from framesift.manifest_reader import iter_manifest_batches, manifest_files
from curation_ui.store import DecisionStore
from framesift.config import ReviewConfig
from framesift.schemas import MANIFEST_SCHEMA, PROVENANCE_SCHEMA, REPRESENTATIVE_SCHEMA
from framesift.vocabulary import REASON_EVAL_LEAKAGE as EVAL_LEAKAGE
from framesift.schemas.columns import Col


@dataclass(frozen=True)
class ExportPolicy:
    name: str
    start_from_pipeline: bool       # pipeline-kept items are in unless a reviewer says otherwise
    flag_excludes: bool = False
    honour_representatives: bool = True
    description: str = ""


POLICIES = {p.name: p for p in [
    ExportPolicy("pipeline_then_human", True, description="pipeline-kept minus human rejects plus human approvals"),
    ExportPolicy("pipeline_then_human_strict", True, flag_excludes=True,
                 description="as pipeline_then_human, and flagged items are left out"),
    ExportPolicy("human_only", False, description="only items a reviewer approved (or chose as representative)"),
]}
assert set(POLICIES) == set(typing.get_args(typing.get_type_hints(ReviewConfig)["export_policy"])), \
    "export policies and ReviewConfig.export_policy out of sync"
EXPORT_SCHEMA = pa.schema(list(MANIFEST_SCHEMA) + list(PROVENANCE_SCHEMA),
                          metadata=MANIFEST_SCHEMA.metadata)


def _lookup(keys: pa.Array, table: pa.Table, key: str, value: str) -> pa.Array:
    """table[value] for each of keys (null where the key is absent)."""
    return pc.take(table.column(value), pc.index_in(keys, table.column(key)))


def _strings(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.to_pylist(), dtype=object)


def _has_reason(reasons, reason: str) -> np.ndarray:
    reasons = reasons.combine_chunks() if isinstance(reasons, pa.ChunkedArray) else reasons
    out = np.zeros(len(reasons), bool)
    flat = pc.list_flatten(reasons)
    if len(flat):
        hit = pc.equal(flat.field("reason"), reason).to_numpy(zero_copy_only=False).astype(bool)
        out[pc.list_parent_indices(reasons).to_numpy()[hit]] = True
    return out


def _decide_batch(batch: pa.Table, decisions: pa.Table, reps: pa.Table, policy: ExportPolicy):
    ids = batch.column(Col.ITEM_ID)
    keep = batch.column(Col.KEEP).to_numpy(zero_copy_only=False).astype(bool)
    human = _strings(_lookup(ids, decisions, "item_id", "decision"))
    rep_item = _strings(_lookup(batch.column(Col.DUPLICATE_GROUP), reps, "group_id", "item_id")) \
        if policy.honour_representatives else np.full(len(ids), None, object)
    item_ids = _strings(ids)
    chosen_group = rep_item != None  # noqa: E711  (elementwise on an object array)
    # choosing a representative never re-admits an item that leaks evaluation data (only an explicit approve does)
    is_rep = chosen_group & (rep_item == item_ids) & ~_has_reason(batch.column(Col.REJECT_REASONS), EVAL_LEAKAGE)
    base = keep.copy() if policy.start_from_pipeline else np.zeros(len(ids), bool)
    base[chosen_group] = is_rep[chosen_group]
    include = base.copy()
    include[human == "approve"] = True
    include[human == "reject"] = False
    if policy.flag_excludes:
        include[human == "flag"] = False
    decision = np.where(human == "approve", "approve", np.where(is_rep, "representative", "keep"))
    source = np.where((human == "approve") | is_rep, "human", "pipeline")
    return include, decision, source, human


def approved_batches(run_dir: str, store: DecisionStore, policy: ExportPolicy, stats: Counter):
    decisions = store.decisions_table()
    reps = pa.Table.from_pylist([r.to_record() for r in store.representatives().values()],
                                schema=REPRESENTATIVE_SCHEMA)
    for path in manifest_files(run_dir):
        for batch in iter_manifest_batches(path, 65536):
            table = pa.Table.from_batches([batch])
            include, decision, source, human = _decide_batch(table, decisions, reps, policy)
            stats["rows"] += table.num_rows
            stats["pipeline_kept"] += int(pc.sum(table.column(Col.KEEP).cast(pa.int64())).as_py() or 0)
            if not include.any():
                continue
            ids = table.column(Col.ITEM_ID)
            by_human = decision == "approve"
            rep_reviewer = _strings(_lookup(table.column(Col.DUPLICATE_GROUP), reps, "group_id", "reviewer"))
            rep_at = _strings(_lookup(table.column(Col.DUPLICATE_GROUP), reps, "group_id", "decided_at"))
            dec_reviewer = _strings(_lookup(ids, decisions, "item_id", "reviewer"))
            dec_at = _strings(_lookup(ids, decisions, "item_id", "decided_at"))
            dec_reason = _strings(_lookup(ids, decisions, "item_id", "reason"))
            is_rep = decision == "representative"
            prov = {
                "decision": decision, "source": source,
                "reviewer": np.where(by_human, dec_reviewer, np.where(is_rep, rep_reviewer, None)),
                "decided_at": np.where(by_human, dec_at, np.where(is_rep, rep_at, None)),
                "decision_reason": np.where(by_human, dec_reason, None), "human_decision": human,
            }
            out = table.filter(pa.array(include))
            for f in PROVENANCE_SCHEMA:
                out = out.append_column(f, pa.array(prov[f.name][include].tolist(), f.type))
            for d, s in zip(decision[include], source[include]):
                stats[f"{s}:{d}"] += 1
            stats["exported"] += out.num_rows
            yield out


def export_approved(run_dir: str, store: DecisionStore, output: str,
                    policy: str = "pipeline_then_human") -> dict[str, int]:
    """Write the approved set to `output` (Parquet); returns counts (rows, exported, per source:decision)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown export policy {policy!r} (known: {', '.join(POLICIES)})")
    schema = EXPORT_SCHEMA.with_metadata({**(MANIFEST_SCHEMA.metadata or {}),
                                          b"framesift.export.policy": policy.encode()})
    remote = run_files.is_remote(output)
    # a local file appears by rename; a bucket's object by uploading the finished local file (never half a file)
    folder = tempfile.gettempdir() if remote else os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f"{os.path.basename(output)}.tmp-{uuid.uuid4().hex[:8]}")
    stats: Counter = Counter()
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for table in approved_batches(run_dir, store, POLICIES[policy], stats):
                writer.write_table(table.cast(schema))
        if remote:
            run_files.upload(tmp, output)
        else:
            os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dict(stats)
