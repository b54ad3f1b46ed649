"""Re-apply thresholds to a finished run (`framesift rethreshold RUN_DIR --set filters.sharpness.min=0.01`).

Scores are already on every row, so this decodes nothing: it loads the run's saved config, applies the overrides,
re-evaluates every filter check on the recorded scores, and rewrites each manifest shard atomically (temp file +
rename). Rejections from other stages (dedupe, review) are kept. The new config replaces config.yaml, the old one
is appended to rethreshold_log.jsonl, and the report is rebuilt.
"""
from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import yaml

from framesift.checks import active_thresholds, thresholds_to_json
from framesift.config import ConfigError, CurateConfig, config_hash, config_to_yaml, from_dict
from framesift.config.loader import apply_overrides
from framesift.schemas import ManifestRow, rows_to_table, table_to_rows
from framesift.schemas.columns import Col
from pipelines.curate import run_dir as rd
from pipelines.curate.decide import apply_decision
from pipelines.curate.outputs import manifest_shards, read_dead_letters, read_manifest, read_manifest_shard
from pipelines.curate.report import build_report
from pipelines.curate.report_html import render_report_html
from pipelines.filters import curate_filters


def load_run_config(run_dir: str) -> dict:
    path = rd.join(run_dir, rd.CONFIG_FILE)
    try:
        return yaml.safe_load(rd.read_bytes(path)) or {}
    except (OSError, FileNotFoundError):
        raise FileNotFoundError(f"{run_dir} has no {rd.CONFIG_FILE}: not a framesift curate run") from None


def rethreshold(run_dir: str, overrides: list[str]) -> dict:
    """Everything is checked before the first shard is rewritten, so a refused call changes nothing."""
    old_data = load_run_config(run_dir)
    if not rd.exists(rd.join(run_dir, rd.REPORT_JSON)):
        raise FileNotFoundError(f"{run_dir} has no {rd.REPORT_JSON}: the run did not finish; re-run curate instead")
    not_thresholds = [o for o in overrides if not o.strip().startswith("filters.")]
    if not_thresholds:
        # anything else (shots, scoring, dedupe) changes what the scores mean: that needs a new curate run
        raise ConfigError(f"rethreshold changes filters.* only; '{not_thresholds[0]}' needs a new curate run")
    cfg: CurateConfig = from_dict(CurateConfig, apply_overrides(old_data, overrides))
    filters = curate_filters(cfg)
    new_hash = config_hash(cfg)
    shards = [(path, table_to_rows(read_manifest_shard(path))) for path in manifest_shards(run_dir)]
    recorded = {key for _, rows in shards for row in rows for key in row.scores}
    unscored = sorted({f.name for f in filters for c in f.checks if c.score_key not in recorded})
    verdict = lambda row: (row.keep, [r.describe() for r in row.reject_reasons])  # noqa: E731
    before = {row.item_id: verdict(row) for _, rows in shards for row in rows}
    for _, rows in shards:
        for row in rows:
            apply_decision(row, filters)
            row.config_hash = new_hash
    rechoose_representatives([row for _, rows in shards for row in rows], cfg.dedupe.keep_order)
    changed = sum(before[row.item_id] != verdict(row) for _, rows in shards for row in rows)
    for path, rows in shards:
        buf = io.BytesIO()
        pq.write_table(rows_to_table(rows), buf)
        rd.write_atomic(path, buf.getvalue())
    log_entry = {"previous_config_hash": config_hash(from_dict(CurateConfig, old_data)), Col.CONFIG_HASH: new_hash,
                 "overrides": list(overrides), "rows_changed": changed,
                 # filters whose scores this run never recorded: their thresholds cannot change anything here
                 "filters_without_scores": unscored}
    log_path = rd.join(run_dir, rd.RETHRESHOLD_LOG)
    previous_log = rd.read_bytes(log_path) if rd.exists(log_path) else b""
    rd.write_atomic(log_path, previous_log + (json.dumps(log_entry) + "\n").encode())
    rd.write_atomic(rd.join(run_dir, rd.CONFIG_FILE), config_to_yaml(cfg).encode())
    thresholds = active_thresholds(filters)
    rd.write_atomic(rd.join(run_dir, rd.THRESHOLDS_FILE), thresholds_to_json(thresholds).encode())

    old_report = json.loads(rd.read_bytes(rd.join(run_dir, rd.REPORT_JSON)))
    manifest = read_manifest(run_dir)
    report = build_report(manifest, read_dead_letters(run_dir), old_report["inputs"].get("expected"), new_hash, run_dir)
    report["rethreshold"] = log_entry
    rd.write_atomic(rd.join(run_dir, rd.REPORT_HTML), render_report_html(report, manifest, thresholds).encode())
    rd.write_atomic(rd.join(run_dir, rd.REPORT_JSON), json.dumps(report, indent=2).encode())
    return report


def rechoose_representatives(rows: list[ManifestRow], keep_order: list[str]) -> None:
    """New thresholds can reject a group's kept member: pick each group's representative again from the recorded
    groups (no hashes recomputed), by the same rank as the dedupe stage. Groups whose kept item lives in an earlier
    run or an eval set (its id is not among the members) stay as they are."""
    from pipelines.dedupe.representative import EVAL_LEAKAGE, STAGE, KeepOrder, duplicate_rejection, rank_key
    order = KeepOrder.parse(keep_order)
    groups: dict[str, list[ManifestRow]] = {}
    for row in rows:
        if row.duplicate_group:
            groups.setdefault(row.duplicate_group, []).append(row)
    for members in groups.values():
        ids = {m.item_id for m in members}
        dedupe = [r for m in members for r in m.reject_reasons if r.stage == STAGE]
        if any(r.reason == EVAL_LEAKAGE for r in dedupe) or any(m.duplicate_of and m.duplicate_of not in ids
                                                                 for m in members):
            continue
        best = min(members, key=lambda m: rank_key(m.to_record(), order))
        for m in members:
            m.reject_reasons = [r for r in m.reject_reasons if r.stage != STAGE]
            m.duplicate_of = None
            if m.item_id != best.item_id:
                m.reject_reasons.append(duplicate_rejection())
                m.duplicate_of = best.item_id
            m.keep = not m.reject_reasons
