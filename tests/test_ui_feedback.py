"""The feedback loop on synthetic decisions: the suggested threshold recovers the one reviewers actually applied,
the preference model becomes a `preference` score in the queue, and embeddings are used when they exist."""
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.synthetic_manifest import write_synthetic_run
from curation_ui.feedback import best_threshold, load_summary, run_feedback, suggest_thresholds
from curation_ui.manifest_query import ManifestQuery, QueueQuery
from curation_ui.store import DecisionStore
from framesift.checks import Threshold
from framesift.schemas import CAPTION_EMBEDDING, EMBEDDING_SCHEMA

SHARP = Threshold("sharpness", "sharpness", "min", "min", 0.005, "too_blurry", ("image", "clip"))
DARK = Threshold("luma_mean", "exposure", "min_mean", "min", 0.06, "too_dark", ("image", "clip"))
BRIGHT = Threshold("bright_fraction", "exposure", "max_bright_fraction", "max", 0.6, "blown_highlights",
                   ("image", "clip"))


def test_best_threshold_recovers_a_clean_cut_for_both_directions():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 400)
    t, acc, f1 = best_threshold(x, (x >= 0.42).astype(int), "min", current=0.1)
    assert abs(t - 0.42) < 0.01 and acc == 1.0 and f1 == 1.0
    t, acc, _ = best_threshold(x, (x <= 0.7).astype(int), "max", current=0.9)
    assert abs(t - 0.7) < 0.01 and acc == 1.0
    # the current threshold is already in the best interval: no change suggested
    current = float(x[x < 0.42].max() + 1e-9)
    assert best_threshold(x, (x >= 0.42).astype(int), "min", current=current)[0] == current


def test_other_checks_do_not_drag_a_threshold():
    rng = np.random.default_rng(1)
    sharp, luma = rng.uniform(0, 0.05, 600), rng.uniform(0, 1, 600)
    y = ((sharp >= 0.02) & (luma >= 0.06)).astype(int)     # reviewers: stricter on blur, agree on darkness
    out = {s.score_key: s for s in suggest_thresholds({"sharpness": sharp, "luma_mean": luma}, y, [SHARP, DARK])}
    assert abs(out["sharpness"].suggested - 0.02) < 0.001 and out["sharpness"].improves
    assert out["sharpness"].set_arg.startswith("--set filters.sharpness.min=0.02")
    assert out["luma_mean"].suggested == 0.06 and not out["luma_mean"].improves
    assert out["luma_mean"].n < 600                        # judged only where sharpness passes


def test_labels_that_agree_only_by_chance_suggest_nothing():
    """Reviewers whose decisions have nothing to do with the score: the best cut on these labels still agrees
    with them more often than the current one (it fits noise), but on held-back decisions it does no better than
    always guessing, so no change is suggested and the preference model says so."""
    rng = np.random.default_rng(7)
    sharp = rng.uniform(0, 0.05, 80)
    y = rng.integers(0, 2, 80)
    out = suggest_thresholds({"sharpness": sharp}, y, [SHARP])[0]
    assert out.suggested != out.current and out.suggested_accuracy > out.current_accuracy      # in-sample "gain"
    assert out.heldback_accuracy <= 0.6 and not out.better_than_chance and not out.improves
    from curation_ui.preference import fit_preference
    model = fit_preference({"sharpness": sharp}, y, ["sharpness"], None)
    assert not model.info["agreement"]["better_than_chance"]


def test_too_few_labels_suggests_nothing():
    out = suggest_thresholds({"sharpness": np.array([0.1, 0.2])}, np.array([1, 0]), [SHARP])
    assert out[0].suggested is None and not out[0].improves


@pytest.fixture(scope="module")
def reviewed_run(tmp_path_factory):
    run = str(tmp_path_factory.mktemp("fb"))
    write_synthetic_run(run, rows=6000, shards=2, thumbnails=4)
    query = ManifestQuery(run)
    store = DecisionStore(f"sqlite:///{run}/review.sqlite")
    rows = query.page(QueueQuery(sort_by="sharpness"), 0, 6000).rows[::4]    # 1500 reviewed, all sharpness
    good = [r["item_id"] for r in rows if r["scores"]["sharpness"] >= 0.03]
    bad = [r["item_id"] for r in rows if r["scores"]["sharpness"] < 0.03]
    store.decide_many([(i, 0) for i in good], "approve", "sim")
    store.decide_many([(i, 0) for i in bad], "reject", "sim", "blurry")
    store.decide("flagged-only", "flag", "sim")
    return run, query, store


def test_feedback_writes_suggestions_and_a_preference_score(reviewed_run):
    run, query, store = reviewed_run
    summary = run_feedback(run, query, store, [SHARP, DARK, BRIGHT])
    sharp = next(s for s in summary["suggestions"] if s["score_key"] == "sharpness")
    assert abs(sharp["suggested"] - 0.03) < 0.002 and sharp["suggested_f1"] > sharp["current_f1"]
    with open(os.path.join(run, "feedback", "suggested_thresholds.txt")) as f:
        lines = f.read().split("\n")
    assert lines[0].startswith("--set filters.sharpness.min=0.03")
    agreement = summary["preference"]["agreement"]
    assert summary["preference"]["embeddings"] == "none" and agreement["n"] == 1500
    assert agreement["accuracy"] > 0.8 and agreement["better_than_chance"] and agreement["p_value"] < 1e-6
    assert sharp["better_than_chance"] and sharp["heldback_accuracy"] > 0.95
    scores = pq.read_table(os.path.join(run, "feedback", "preference_scores.parquet"))
    assert scores.num_rows == 6000 and scores.schema.names == ["item_id", "preference_score"]
    # the index picks the new score up: the queue can sort by it
    fresh = ManifestQuery(run)
    assert "preference" in fresh.score_keys
    top = fresh.page(QueueQuery(sort_by="preference", descending=True), 0, 20).rows
    assert all(r["scores"]["sharpness"] >= 0.03 for r in top)
    assert load_summary(run)["labelled"] == 1500


def test_feedback_uses_embeddings_when_present(reviewed_run):
    run, query, store = reviewed_run
    ids = query.table(["item_id"]).column("item_id").to_pylist()
    labels = {i: 1 if d == "approve" else 0 for i, d in
              zip(store.decisions_table().column("item_id").to_pylist(),
                  store.decisions_table().column("decision").to_pylist())}
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(len(ids), 8)).astype(np.float32)
    emb[:, 0] += np.array([3.0 * labels.get(i, 0) for i in ids], np.float32)   # direction 0 encodes "approved"
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    os.makedirs(os.path.join(run, "embeddings"), exist_ok=True)
    pq.write_table(pa.table({"item_id": ids, "model": ["test"] * len(ids), "untrained": [True] * len(ids),
                             "embedding": list(emb), CAPTION_EMBEDDING: [None] * len(ids)}, schema=EMBEDDING_SCHEMA),
                   os.path.join(run, "embeddings", "part-00000.parquet"))
    summary = run_feedback(run, ManifestQuery(run), store, [SHARP])
    assert summary["preference"]["embedding_dim"] == 8
    assert "1500 of 1500" in summary["preference"]["embeddings"]
