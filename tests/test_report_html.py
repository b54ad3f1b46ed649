"""report.html: counts as tables, example thumbnails per reject reason and for the largest duplicate groups."""
import re

from framesift.schemas import ManifestRow, Rejection
from framesift.schemas.manifest import rows_to_table
from pipelines.curate.report_html import render_report_html


def _row(i, *, reasons=(), group=None, keep=None, name=None):
    return ManifestRow(item_id=f"id{i:02d}", source_uri=f"/data/{name or f'img{i}.jpg'}", media_type="image",
                       thumbnail_path=f"previews/id/id{i:02d}.jpg", reject_reasons=list(reasons),
                       duplicate_group=group, keep=not reasons if keep is None else keep, config_hash="h",
                       scores={"sharpness": 0.5})


def _blur(score):
    return Rejection("filter", "sharpness", "sharpness", score, "min", 0.06, "too_blurry")


def _dup(of):
    return Rejection("dedupe", "dedupe", "duplicate_of", None, "max", None, "duplicate")


REPORT = {"run_dir": "/runs/r1", "config_hash": "h", "models": {}, "untrained_model_scores": False,
          "inputs": {"seen": 14, "expected": 14, "ingested": 14, "with_items": 14, "dead_lettered": 0,
                     "image_files": 14, "video_files": 0},
          "items": {"total": 14, "kept": 3, "rejected": 11, "by_media_type": {"image": {"total": 14, "kept": 3}}},
          "rejected_by_reason": {"sharpness:too_blurry": 10, "dedupe:duplicate": 2},
          "dead_letter": {"inputs_by_error_type": {}, "by_stage": {}, "item_failures": 0}, "reconciled": True}


def test_report_shows_worst_examples_per_reason_and_largest_groups():
    rows = [_row(i, reasons=[_blur(0.001 * (i + 1))]) for i in range(10)]          # id00 is the blurriest
    rows += [_row(10, group="dup-id10"), _row(11, reasons=[_dup("id10")], group="dup-id10"),
             _row(12, reasons=[_dup("id10")], group="dup-id10"),
             _row(13, reasons=[_blur(0.0001)], name="<img src=x onerror=alert(1)>.jpg")]
    page = render_report_html(REPORT, rows_to_table(rows), [])
    blur_section = page.split("<h3>sharpness:too_blurry</h3>")[1].split("</div>")[0]
    shown = re.findall(r"previews/id/(id\d\d)\.jpg", blur_section)
    assert shown == ["id13"] + [f"id{i:02d}" for i in range(7)]        # 8 examples, lowest sharpness first
    group = page.split("<h3>dup-id10: 3 items</h3>")[1].split("</div>")[0]
    assert re.findall(r"previews/id/(id\d\d)\.jpg", group) == ["id10", "id11", "id12"]   # the kept one first
    assert "27ae60" in group.split("id11")[0]                             # ... outlined as kept
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.jpg" in page    # names escaped


def test_counts_are_tables_not_json():
    page = render_report_html(REPORT, rows_to_table([_row(0)]), [])
    counts = page.split("<h2>Counts</h2>")[1].split("<h2>")[0]
    assert "<table" in counts and "{" not in counts and '"seen"' not in counts
    assert re.search(r"<td>image</td><td>14</td><td>3</td><td>11</td>", counts)
    assert "counts reconcile: <b>yes</b>" in counts
