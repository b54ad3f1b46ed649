"""One threshold rule everywhere (framesift.checks): a missing score passes, a NaN score fails. A NaN is fed through
the pipeline's decision, the report, the review UI (index, item table, kept-at-threshold curve) and the feedback
loop; each must call the item failing."""
import math

import numpy as np
import pyarrow.parquet as pq
import pytest

from framesift.checks import Threshold, active_thresholds, fails, passes, thresholds_to_json
from framesift.config import load_config
from framesift.run_layout import MANIFEST_DIR, THRESHOLDS_FILE
from framesift.schemas import ManifestRow, rows_to_table
from pipelines.filters import build_filters

SHARP = Threshold("sharpness", "sharpness", "min", "min", 0.05, "too_blurry", ("image", "clip"))


def test_the_rule():
    assert [fails(v, "min", 0.5) for v in (None, 0.4, 0.5, 0.6, math.nan)] == [False, True, False, False, True]
    assert [fails(v, "max", 0.5) for v in (None, 0.4, 0.5, 0.6, math.nan)] == [False, False, False, True, True]
    assert not fails(math.nan, "min", None)                     # no threshold: record only
    values = np.array([0.4, 0.6, np.nan, np.nan])
    assert passes(values, "min", 0.5).tolist() == [False, True, False, False]
    assert passes(values, "min", 0.5, present=[True, True, True, False]).tolist() == [False, True, False, True]


@pytest.fixture()
def nan_run(tmp_path):
    """A run whose item n0 has a NaN sharpness, s1 a good one, m2 none at all (and i3..i8 for the curves)."""
    cfg = load_config("curate", overrides=["filters.sharpness.min=0.05"])
    filters = build_filters(cfg.filters)
    from pipelines.curate.decide import apply_decision
    rows = []
    for item_id, sharp in [("n0", math.nan), ("s1", 0.2), ("m2", None)] + [(f"i{k}", 0.01 * k) for k in range(3, 9)]:
        scores = {"luma_mean": 0.5} | ({} if sharp is None else {"sharpness": sharp})
        rows.append(apply_decision(ManifestRow(item_id=item_id, source_uri=f"/x/{item_id}.jpg", media_type="image",
                                               scores=scores, config_hash="h"), filters))
    run = tmp_path / "run"
    (run / MANIFEST_DIR).mkdir(parents=True)
    pq.write_table(rows_to_table(rows), run / MANIFEST_DIR / "part-0.parquet")
    (run / THRESHOLDS_FILE).write_text(thresholds_to_json(active_thresholds(filters)))
    return str(run), {r.item_id: r for r in rows}, filters


def test_pipeline_and_report_reject_nan(nan_run):
    run, rows, filters = nan_run
    assert [r.reason for r in rows["n0"].reject_reasons] == ["too_blurry"] and not rows["n0"].keep
    assert rows["s1"].keep and rows["m2"].keep
    from pipelines.curate.outputs import read_manifest
    from pipelines.curate.report import build_report
    from pipelines.curate.report_html import render_report_html
    manifest = read_manifest(run)
    report = build_report(manifest, [], None, "h", run)
    assert report["rejected_by_reason"]["sharpness:too_blurry"] == 3     # n0 (NaN), i3 and i4 (below 0.05)
    assert "sharpness" in render_report_html(report, manifest, active_thresholds(filters))


def test_review_ui_fails_nan(nan_run):
    run, rows, _ = nan_run
    from curation_ui.item_info import score_table
    from curation_ui.manifest_query import ManifestQuery
    from curation_ui.stats import kept_curve
    from curation_ui.thresholds import run_thresholds
    (sharp,) = [t for t in run_thresholds(run) if t.score_key == "sharpness"]
    line = {r["score"]: r for r in score_table(rows["n0"], [sharp])}["sharpness"]
    assert line["passes"] is False
    assert {r["score"]: r for r in score_table(rows["m2"], [sharp])}["sharpness"]["passes"] is None
    values, present = ManifestQuery(run).score_values("sharpness")
    assert int(present.sum()) == 8 and int(np.isnan(values[present]).sum()) == 1     # NaN kept apart from missing
    curve = kept_curve(values, sharp, present=present)
    # at the lowest threshold every real score passes, the NaN one never does: 7 of the 8 scored items
    assert curve["kept_fraction"].max() == pytest.approx(7 / 8)


def test_feedback_counts_nan_as_failing():
    from curation_ui.feedback import suggest_thresholds
    dark = Threshold("luma_mean", "exposure", "min_mean", "min", 0.1, "too_dark", ("image", "clip"))
    rng = np.random.default_rng(0)
    sharp = rng.uniform(0, 0.1, 40)
    y = (sharp > 0.03).astype(int)
    luma = np.full(40, 0.5)
    luma[:10] = np.nan                                # these fail the exposure check: not evidence on sharpness
    got = {s.score_key: s for s in suggest_thresholds({"sharpness": sharp, "luma_mean": luma}, y, [SHARP, dark])}
    assert got["sharpness"].n == 30
    missing = {"luma_mean": np.r_[np.zeros(10, bool), np.ones(30, bool)], "sharpness": np.ones(40, bool)}
    got = {s.score_key: s for s in suggest_thresholds({"sharpness": sharp, "luma_mean": luma}, y, [SHARP, dark],
                                                      present=missing)}
    assert got["sharpness"].n == 40                   # a missing score passes every check
