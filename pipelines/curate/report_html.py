"""report.html: a self-contained page (inline SVG, no JavaScript, no network) with the counts as tables, the reject
reasons, example thumbnails per reason and for the largest duplicate groups (report_examples.py), and a histogram
per score with its thresholds marked. Every string from the data is HTML-escaped."""
from __future__ import annotations

import html
import math

import numpy as np
import pyarrow as pa

from framesift.checks import Threshold, by_score
from framesift.schemas.columns import Col
from pipelines.curate.report_examples import example_sections

W, H, PAD = 360, 140, 24


def _histogram_svg(values: np.ndarray, thresholds: list[tuple[str, float]]) -> str:
    lo, hi = float(values.min()), float(values.max())
    for _, t in thresholds:
        lo, hi = min(lo, t), max(hi, t)
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(values, bins=30, range=(lo, hi))
    top = max(int(counts.max()), 1)
    bw = (W - 2 * PAD) / len(counts)
    x = lambda v: PAD + (v - lo) / (hi - lo) * (W - 2 * PAD)
    parts = [f'<svg width="{W}" height="{H}" xmlns="http://www.w3.org/2000/svg">']
    for i, c in enumerate(counts):
        h = (H - 2 * PAD) * c / top
        parts.append(f'<rect x="{PAD + i * bw:.1f}" y="{H - PAD - h:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" '
                     f'fill="#4a7ab5"><title>{edges[i]:.4g}–{edges[i + 1]:.4g}: {c}</title></rect>')
    for op, t in thresholds:
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{PAD / 2}" y2="{H - PAD}" stroke="#c0392b" '
                     f'stroke-width="2"/><text x="{x(t) + 3:.1f}" y="{PAD:.0f}" font-size="10" fill="#c0392b">'
                     f'{op} {t:.4g}</text>')
    parts.append(f'<text x="{PAD}" y="{H - 6}" font-size="10">{lo:.4g}</text>'
                 f'<text x="{W - PAD}" y="{H - 6}" font-size="10" text-anchor="end">{hi:.4g}</text></svg>')
    return "".join(parts)


def _table(title: str, counts: dict) -> str:
    esc = html.escape
    rows = "".join(f"<tr><td>{esc(str(k))}</td><td style='text-align:right'>{esc(str(v))}</td></tr>"
                   for k, v in counts.items())
    return f"<table><caption style='text-align:left'><b>{esc(title)}</b></caption>{rows or '<tr><td>none</td></tr>'}</table>"


def _counts_tables(report: dict) -> str:
    items = report["items"]
    by_type = "".join(f"<tr><td>{html.escape(m)}</td><td>{v['total']}</td><td>{v['kept']}</td>"
                      f"<td>{v['total'] - v['kept']}</td></tr>" for m, v in items["by_media_type"].items())
    return (_table("inputs", {k: ("-" if v is None else v) for k, v in report["inputs"].items()})
            + "<table><caption style='text-align:left'><b>items</b></caption>"
              "<tr><th></th><th>total</th><th>kept</th><th>rejected</th></tr>"
            + by_type + f"<tr><td><b>all</b></td><td>{items['total']}</td><td>{items['kept']}</td>"
                        f"<td>{items['rejected']}</td></tr></table>"
            + f"<p>counts reconcile: <b>{'yes' if report['reconciled'] else 'NO'}</b></p>")


def render_report_html(report: dict, manifest: pa.Table, thresholds: list[Threshold]) -> str:
    esc = html.escape
    scores: dict[str, list[float]] = {}
    for entry in manifest.column(Col.SCORES).to_pylist():
        for key, value in entry or []:
            if value is not None and math.isfinite(value):
                scores.setdefault(key, []).append(value)
    rules = {key: [(t.op, t.value) for t in ts] for key, ts in by_score(thresholds).items()}
    models = report.get("models")       # the report's counts per model, not a manifest column
    body = [f"<h1>framesift curate report</h1><p>run: <code>{esc(report['run_dir'])}</code>, "
            f"config hash <code>{esc(report[Col.CONFIG_HASH])}</code></p>",
            ("<p style='background:#fde2e1;padding:8px'><b>Model scores come from UNTRAINED weights</b> (offline "
             "default): they rank nothing. Set <code>scoring.pretrained</code> to cached or local weights.</p>"
             if report.get("untrained_model_scores") else ""),
            ("<p>Model scores: " + esc(", ".join(f"{k} ({n} items)" for k, n in models.items())) + "</p>"
             if models else ""),
            "<h2>Counts</h2>", _counts_tables(report),
            "<h2>Reject reasons</h2><table><tr><th>filter:reason</th><th>items</th><th></th></tr>"]
    total = max(report["items"]["total"], 1)
    for reason, n in report["rejected_by_reason"].items():
        body.append(f'<tr><td>{esc(reason)}</td><td>{n}</td><td><div style="background:#c0392b;height:10px;'
                    f'width:{300 * n / total:.0f}px"></div></td></tr>')
    dead = report["dead_letter"]
    body.append("</table><h2>Dead letter</h2>"
                + _table("inputs by error type", dead["inputs_by_error_type"])
                + _table("dead letters by stage", dead["by_stage"])
                + f"<p>item failures (an item of a readable input): {int(dead['item_failures'])}</p>")
    body.append(example_sections(manifest))
    body.append("<h2>Scores</h2><p>Red lines: thresholds from the config.</p><div style='display:flex;flex-wrap:wrap'>")
    for key in sorted(scores):
        body.append(f"<figure><figcaption><b>{esc(key)}</b> (n={len(scores[key])})</figcaption>"
                    f"{_histogram_svg(np.asarray(scores[key]), rules.get(key, []))}</figure>")
    body.append("</div>")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>framesift report</title><style>"
            "body{font-family:sans-serif;margin:2em} td,th{padding:2px 8px} table{margin-bottom:1em}</style></head><body>"
            + "".join(body) + "</body></html>")
