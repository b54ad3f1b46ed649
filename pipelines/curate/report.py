"""report.json: what each stage saw, kept, rejected (per reason) and dead-lettered (per error type), with the
reconciliation that every input is the source of at least one item or a dead letter."""
from __future__ import annotations

import collections
from typing import Optional

import pyarrow as pa

from framesift.schemas import DeadLetter
from framesift.vocabulary import is_untrained
from framesift.schemas.columns import Col


def build_report(manifest: pa.Table, dead: list[DeadLetter], inputs_expected: Optional[int],
                 config_hash: str, run_dir: str, ingested: Optional[int] = None) -> dict:
    """`inputs_expected`: files matched before the run; `ingested`: what the job's Ingest step counted (its
    Beam counter), when the runner reports it. Both must equal the inputs accounted for by the outputs."""
    cols = manifest.select([Col.SOURCE_URI, Col.MEDIA_TYPE, Col.KEEP, Col.REJECT_REASONS, Col.MODELS]).to_pydict()
    sources = set(cols[Col.SOURCE_URI])
    # an input is dead-lettered when it has no item at all, whichever stage failed it (a video whose every clip
    # failed counts here too)
    dead_inputs = {d.uri for d in dead} - sources
    item_dead = [d for d in dead if d.uri in sources]      # one clip or model batch failed; the input has items
    first_error = {}
    for d in dead:
        first_error.setdefault(d.uri, d.error_type)
    models = collections.Counter(f"{k}={v}" for entry in cols[Col.MODELS] for k, v in (entry or []))
    reasons = collections.Counter()
    for rejections in cols[Col.REJECT_REASONS]:
        for r in rejections or []:
            reasons[f"{r['name']}:{r['reason']}"] += 1
    by_type = collections.Counter(media for media in cols[Col.MEDIA_TYPE])
    kept_by_type = collections.Counter(m for m, k in zip(cols[Col.MEDIA_TYPE], cols[Col.KEEP]) if k)
    inputs_seen = len(sources | dead_inputs)
    report = {
        "run_dir": run_dir,
        Col.CONFIG_HASH: config_hash,
        "inputs": {
            "seen": inputs_seen,
            "expected": inputs_expected,
            "ingested": ingested,
            "with_items": len(sources),
            "dead_lettered": len(dead_inputs),
            "image_files": len({u for u, m in zip(cols[Col.SOURCE_URI], cols[Col.MEDIA_TYPE]) if m == "image"}),
            "video_files": len({u for u, m in zip(cols[Col.SOURCE_URI], cols[Col.MEDIA_TYPE]) if m == "clip"}),
        },
        "items": {
            "total": manifest.num_rows,
            "kept": int(sum(cols[Col.KEEP])),
            "rejected": manifest.num_rows - int(sum(cols[Col.KEEP])),
            "by_media_type": {m: {"total": by_type[m], "kept": kept_by_type[m]} for m in sorted(by_type)},
        },
        "rejected_by_reason": dict(sorted(reasons.items())),
        "dead_letter": {
            "inputs_by_error_type": dict(sorted(collections.Counter(first_error[u] for u in dead_inputs).items())),
            "by_stage": dict(sorted(collections.Counter(d.stage for d in dead).items())),
            "item_failures": len(item_dead),
        },
        # which model produced the model-based scores, and on how many items; "untrained" weights make those scores
        # meaningless, which the report says out loud (counts per model: not a manifest column)
        "models": dict(sorted(models.items())),
        "untrained_model_scores": any(is_untrained(k) for k in models),
    }
    reconciled = all(n is None or n == inputs_seen for n in (inputs_expected, ingested))
    report["reconciled"] = reconciled
    return report


def format_summary(report: dict) -> str:
    i, it = report["inputs"], report["items"]
    per_type = ", ".join(f"{k}: {v['kept']}/{v['total']} kept" for k, v in it["by_media_type"].items())
    lines = [f"inputs: {i['seen']} seen ({i['image_files']} images, {i['video_files']} videos, "
             f"{i['dead_lettered']} dead-lettered)" + ("" if report["reconciled"] else "  ** COUNTS DO NOT RECONCILE **"),
             f"items:  {it['total']} ({per_type})",
             f"kept:   {it['kept']}   rejected: {it['rejected']}"]
    for reason, n in report["rejected_by_reason"].items():
        lines.append(f"  rejected {reason}: {n}")
    for err, n in report["dead_letter"]["inputs_by_error_type"].items():
        lines.append(f"  dead letter {err}: {n}")
    if report["dead_letter"]["item_failures"]:
        lines.append(f"  items that failed a later stage (see dead_letter/): {report['dead_letter']['item_failures']}")
    models = report["models"]      # the report's counts per model, not a manifest column
    if models:
        lines.append("model scores: " + ", ".join(f"{k} ({n} items)" for k, n in models.items()))
    if report["untrained_model_scores"]:
        lines.append("  NOTE: model scores come from UNTRAINED weights (offline default); they rank nothing. "
                     "Set scoring.pretrained to cached or local weights for real scores.")
    return "\n".join(lines)
