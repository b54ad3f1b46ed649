"""report.html's example strips: for each reject reason, the thumbnails of its clearest cases (lowest score for a
"min" check, highest for a "max" one), and for the largest duplicate groups, their members side by side with the
kept one outlined -- what CleanVision's and fastdup's reports show, so a threshold can be judged by eye.

Thumbnails are referenced, not embedded: report.html sits in the run directory beside `previews/`, so relative
paths work wherever the run directory is opened or copied. Every string from the data is HTML-escaped.
"""
from __future__ import annotations

import collections
import heapq
import html
import math
from typing import Optional

import pyarrow as pa

from framesift.schemas.columns import Col, RejectionField
from framesift.vocabulary import REASON_DUPLICATE, REASON_EVAL_LEAKAGE

EXAMPLES_PER_REASON = 8
DUPLICATE_GROUPS_SHOWN = 5
MEMBERS_PER_GROUP = 8
_COLUMNS = (Col.ITEM_ID, Col.SOURCE_URI, Col.THUMBNAIL_PATH, Col.KEEP, Col.REJECT_REASONS, Col.DUPLICATE_GROUP)


def _thumb(row: dict, caption: str, kept: Optional[bool] = None) -> str:
    esc = html.escape
    border = {True: "3px solid #27ae60", False: "3px solid #bbb", None: "1px solid #ddd"}[kept]
    name = row[Col.SOURCE_URI].rsplit("/", 1)[-1]
    img = (f"<img src='{esc(row[Col.THUMBNAIL_PATH], quote=True)}' loading='lazy' style='max-width:128px;"
           f"max-height:128px;border:{border}' alt='{esc(name, quote=True)}'>" if row.get(Col.THUMBNAIL_PATH)
           else "<div style='width:128px;height:96px;background:#eee'>no thumbnail</div>")
    return (f"<figure style='margin:4px;width:132px'>{img}<figcaption style='font-size:10px;overflow-wrap:anywhere'>"
            f"{esc(caption)}<br>{esc(name)}</figcaption></figure>")


def _strip(figures: list[str]) -> str:
    return "<div style='display:flex;flex-wrap:wrap'>" + "".join(figures) + "</div>"


def reason_examples(rows: list[dict], per_reason: int = EXAMPLES_PER_REASON) -> str:
    """One strip per "filter:reason", most extreme scores first (dedupe rejections: first members by id)."""
    worst: dict[str, list] = collections.defaultdict(list)
    for i, row in enumerate(rows):
        for r in row[Col.REJECT_REASONS] or []:
            key = f"{r['name']}:{r['reason']}"
            score = r.get("score")
            # heap of the most extreme: a "min" check's lowest scores, a "max" check's highest
            rank = 0.0 if score is None or not math.isfinite(score) else (score if r.get("op") == "min" else -score)
            entry = (-rank, -i, r.get("score_key") or "", score, i)
            heap = worst[key]
            if len(heap) < per_reason:
                heapq.heappush(heap, entry)
            else:
                heapq.heappushpop(heap, entry)
    parts = []
    for key in sorted(worst):
        picks = sorted(worst[key], reverse=True)
        figures = [_thumb(rows[i], f"{score_key} {score:.4g}" if score is not None else score_key)
                   for _, _, score_key, score, i in picks]
        parts.append(f"<h3>{html.escape(key)}</h3>{_strip(figures)}")
    return "".join(parts) or "<p>No rejected items.</p>"


def duplicate_examples(rows: list[dict], groups: int = DUPLICATE_GROUPS_SHOWN, members: int = MEMBERS_PER_GROUP) -> str:
    by_group: dict[str, list[dict]] = collections.defaultdict(list)
    for row in rows:
        if row.get(Col.DUPLICATE_GROUP):
            by_group[row[Col.DUPLICATE_GROUP]].append(row)
    largest = sorted(by_group.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:groups]
    parts = []
    for gid, group in largest:
        is_dup = lambda row: any(r[RejectionField.REASON] in (REASON_DUPLICATE, REASON_EVAL_LEAKAGE)
                                 for r in row[Col.REJECT_REASONS] or [])
        group = sorted(group, key=lambda row: (is_dup(row), row[Col.ITEM_ID]))       # the kept member first
        figures = [_thumb(row, "kept" if not is_dup(row) else "duplicate", kept=not is_dup(row))
                   for row in group[:members]]
        more = f" (showing {members})" if len(group) > members else ""
        parts.append(f"<h3>{html.escape(gid)}: {len(group)} items{more}</h3>{_strip(figures)}")
    return "".join(parts) or "<p>No duplicate groups.</p>"


def example_sections(manifest: pa.Table) -> str:
    have = [c for c in _COLUMNS if c in manifest.column_names]
    rows = manifest.select(have).to_pylist()
    for row in rows:
        for c in _COLUMNS:
            row.setdefault(c, None)
    return ("<h2>Examples per reject reason</h2><p>Thumbnails of the clearest cases of each reason (most extreme "
            "score first).</p>" + reason_examples(rows)
            + "<h2>Largest duplicate groups</h2><p>Green: the member kept.</p>" + duplicate_examples(rows))
