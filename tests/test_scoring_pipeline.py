"""EmbedAndScore through Beam's RunInference gives what direct batched model calls give, and its output becomes
embedding records and manifest scores that the model-score filters judge (and re-judge without rescoring)."""
import dataclasses

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import BeamAssertException, assert_that

from framesift.config.jobs import HeadConfig, ScoringConfig
from framesift.schemas import CAPTION_EMBEDDING, EMBEDDING_SCHEMA, ManifestRow, embeddings_matrix
from pipelines.curate.decide import apply_decision
from pipelines.filters import build_filters
from pipelines.scoring.scorer import build_scorer, score_batch, shrink_for_clip
from pipelines.scoring.transform import EmbedAndScore, attach_model_outputs, embedding_record
from tests.scoring_fixtures import TINY_CLIP, photo_items, write_tiny_config


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    return ScoringConfig(enabled=True, clip_model=TINY_CLIP, batch_size=2,
                         heads={"aesthetic": HeadConfig("untrained", "laion_mlp"),
                                "nsfw": HeadConfig("untrained", "linear", "sigmoid")},
                         model_config_dir=write_tiny_config(tmp_path_factory.mktemp("clip_configs")))


def items():
    return [(k, shrink_for_clip(rgb, 64), caption) for k, rgb, caption in photo_items()]


def matches(expected: dict, atol=1e-5):
    def check(actual):
        got = dict(actual)
        if set(got) != set(expected):
            raise BeamAssertException(f"item ids {sorted(got)} != {sorted(expected)}")
        for k, want in expected.items():
            have = got[k]
            if have["models"] != want["models"] or set(have["scores"]) != set(want["scores"]):
                raise BeamAssertException(f"{k}: {have['models']} {sorted(have['scores'])} != "
                                          f"{want['models']} {sorted(want['scores'])}")
            if not np.allclose(have["embedding"], want["embedding"], atol=atol):
                raise BeamAssertException(f"{k}: embeddings differ")
            if (have["caption_embedding"] is None) != (want["caption_embedding"] is None) or (
                    want["caption_embedding"] is not None
                    and not np.allclose(have["caption_embedding"], want["caption_embedding"], atol=atol)):
                raise BeamAssertException(f"{k}: caption embeddings differ")
            for s, v in want["scores"].items():
                if abs(have["scores"][s] - v) > atol:
                    raise BeamAssertException(f"{k}: {s} {have['scores'][s]} != {v}")
    return check


def test_run_inference_equals_direct_batched_calls(cfg):
    expected = dict(score_batch(build_scorer(cfg), items(), batch_size=cfg.batch_size))
    with TestPipeline() as p:
        out = p | beam.Create(items()) | EmbedAndScore(cfg)
        assert_that(out, matches(expected))


def test_failed_batches_become_per_item_failures(cfg):
    bad = [("flat", np.zeros((40, 40), np.uint8), None)]
    with TestPipeline() as p:
        results, failures = p | beam.Create(items()[:1] + bad) | EmbedAndScore(
            dataclasses.replace(cfg, batch_size=1), with_failures=True)
        assert_that(results | beam.Map(lambda kv: kv[0]), lambda ids: _equal(list(ids), ["astronaut"]),
                    label="ok")
        assert_that(failures, lambda f: _equal(list(f), [
            ("flat", "ValueError: scoring expects RGB uint8 arrays of shape (H, W, 3), got uint8 (40, 40)")]),
                    label="failed")


def _equal(actual, expected):
    if sorted(actual) != sorted(expected):
        raise BeamAssertException(f"{actual} != {expected}")


def test_shrink_for_clip_keeps_aspect_and_never_upscales():
    rgb = np.zeros((480, 640, 3), np.uint8)
    assert shrink_for_clip(rgb, 224).shape == (224, 299, 3)
    assert shrink_for_clip(rgb[:100, :100], 224).shape == (100, 100, 3)


def test_outputs_become_embedding_records_and_judged_manifest_scores(cfg):
    results = score_batch(build_scorer(cfg), items())
    table = pa.Table.from_pylist([embedding_record(k, r) for k, r in results], schema=EMBEDDING_SCHEMA)
    ids, matrix = embeddings_matrix(table)
    assert ids == [k for k, _, _ in items()] and matrix.shape == (5, 32)
    # the caption's text embedding is kept where there is a caption, null elsewhere
    caption_ids, captions = embeddings_matrix(table, CAPTION_EMBEDDING)
    assert caption_ids == [k for k, _, caption in items() if caption] and captions.shape == (3, 32)
    for k, vector in zip(caption_ids, captions):
        np.testing.assert_array_equal(vector, dict(results)[k]["caption_embedding"])
    assert table.column("model")[0].as_py() == f"open_clip:{TINY_CLIP}/untrained"
    assert all(table.column("untrained").to_pylist())

    by_id = dict(results)
    sim = by_id["astronaut"]["scores"]["caption_similarity"]
    filters = build_filters({"aesthetic": {"min": None}, "nsfw": {"max": None},
                             "caption_similarity": {"min": sim + 0.01}})
    row = attach_model_outputs(ManifestRow("astronaut", "a.jpg", "image", scores={"sharpness": 0.1}),
                               by_id["astronaut"])
    assert row.models["clip"] == f"{TINY_CLIP}/untrained"
    assert set(row.scores) == {"sharpness", "aesthetic", "nsfw", "caption_similarity"}
    apply_decision(row, filters)
    assert not row.keep and [r.describe() for r in row.reject_reasons] == [
        f"caption_similarity: caption_mismatch (caption_similarity {sim:.4g} < min {sim + 0.01:.4g})"]
    # re-thresholding from the recorded scores only
    apply_decision(row, build_filters({"caption_similarity": {"min": sim - 0.01}}))
    assert row.keep and row.reject_reasons == []
