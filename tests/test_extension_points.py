"""Adding a filter and adding a score head are each one new module (written here to a temporary directory that
joins the registry's package) plus one config line; nothing else in the repository changes."""
import json
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest
import skimage.data
import torch

import pipelines.filters
import pipelines.filters.registry as filter_registry
import pipelines.scoring.head_formats as head_formats
from framesift.config import load_config
from framesift.run_layout import THRESHOLDS_FILE
from tests.media_fixtures import jpeg_bytes
from tests.scoring_fixtures import TINY_CLIP, photo_items, write_tiny_config

REDNESS_FILTER = '''
"""Redness: how much of the picture is mostly red (a stand-in for any new quality check)."""
from dataclasses import dataclass
from typing import Optional

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter


@register_filter
class RednessFilter(Filter):
    name = "redness"

    @dataclass
    class Params:
        max: Optional[float] = 0.5

    checks = (Check("red_fraction", "max", "max", "too_red"),)

    def score(self, sample: Sample) -> dict[str, float]:
        rgb = sample.keyframe.astype(int)
        red = (rgb[..., 0] > 150) & (rgb[..., 1] < 100) & (rgb[..., 2] < 100)
        return {"red_fraction": float(red.mean())}
'''

MEAN_HEAD_FORMAT = '''
"""`embedding_mean`: the mean of the embedding, as a one-weight-per-dimension linear head."""
import torch
from torch import nn

from pipelines.scoring.head_formats import register_head_format


@register_head_format("embedding_mean", input_key="weight")
def build(input_size: int) -> nn.Module:
    head = nn.Linear(input_size, 1, bias=False)
    with torch.no_grad():
        head.weight.fill_(1.0 / input_size)
    return head
'''


def _temporary_module(monkeypatch, tmp_path, package, name: str, source: str) -> None:
    """`source` as module `name` of `package`, from a directory outside the repository."""
    folder = tmp_path / package.__name__.replace(".", "_")
    folder.mkdir()
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(folder)])
    monkeypatch.delitem(sys.modules, f"{package.__name__}.{name}", raising=False)


def test_a_new_filter_is_one_module_and_one_config_line(tmp_path, monkeypatch):
    filter_registry._import_all()           # the built-in filters first, so that the copy below has them all
    monkeypatch.setattr(filter_registry, "FILTERS", dict(filter_registry.FILTERS))     # forget it afterwards
    _temporary_module(monkeypatch, tmp_path, pipelines.filters, "redness", REDNESS_FILTER)
    cfg = load_config("curate", overrides=["filters.redness={max: 0.3}"])            # the one config line
    cfg.scoring.enabled, cfg.dedupe.exact, cfg.dedupe.near_max_distance = False, False, -1   # a smaller graph
    # the module joins the package in this process only; a filter module in pipelines/filters/ is importable in the
    # decoding helper process too, this temporary one is not
    cfg.analysis.isolate_image_decoding = cfg.analysis.isolate_video_decoding = False
    media = tmp_path / "media"
    media.mkdir()
    red = np.zeros((160, 160, 3), np.uint8)
    red[..., 0] = 220
    red[:, :40] = skimage.data.astronaut()[:160, :40]          # some texture, so only redness fails
    (media / "red.jpg").write_bytes(jpeg_bytes(red))
    (media / "photo.jpg").write_bytes(jpeg_bytes(skimage.data.astronaut()))
    from pipelines.curate.job import run_curate
    from pipelines.curate.outputs import read_manifest
    run = tmp_path / "run"
    report = run_curate(cfg, [str(media)], str(run), beam_args=["--direct_running_mode=in_memory"])
    assert report["reconciled"] and report["rejected_by_reason"].get("redness:too_red") == 1
    rows = {r["source_uri"].rsplit("/", 1)[-1]: r for r in read_manifest(str(run)).to_pylist()}
    assert dict(rows["red.jpg"]["scores"])["red_fraction"] > 0.5
    assert "too_red" in [x["reason"] for x in rows["red.jpg"]["reject_reasons"]]
    assert dict(rows["photo.jpg"]["scores"])["red_fraction"] < 0.3 and rows["photo.jpg"]["keep"]
    # the run records the new check, so the review UI and rethreshold see it like any other
    recorded = json.loads((run / THRESHOLDS_FILE).read_text())["thresholds"]
    assert {"score_key": "red_fraction", "filter": "redness", "param": "max", "op": "max", "value": 0.3,
            "reason": "too_red", "media_types": ["image", "clip"]} in recorded


def test_a_new_score_head_is_one_module_and_one_config_line(tmp_path, monkeypatch):
    monkeypatch.setattr(head_formats, "HEAD_FORMATS", dict(head_formats.head_formats()))   # forget it afterwards
    _temporary_module(monkeypatch, tmp_path, head_formats, "embedding_mean", MEAN_HEAD_FORMAT)
    cfg = load_config("curate", overrides=[
        "scoring.heads.mean_embedding={weights: untrained, format: embedding_mean}"])  # the one config line
    cfg.scoring.clip_model, cfg.scoring.model_config_dir = TINY_CLIP, write_tiny_config(tmp_path / "clip")
    from pipelines.scoring.scorer import build_scorer, check_weights, score_batch
    check_weights(cfg.scoring)
    scorer = build_scorer(cfg.scoring)
    out = dict(score_batch(scorer, photo_items()))
    for result in out.values():
        assert result["scores"]["mean_embedding"] == pytest.approx(float(result["embedding"].mean()), abs=1e-6)
        assert result["models"]["mean_embedding"] == "embedding_mean/untrained"
    # its score is thresholded by the generic filter for recorded model scores, like aesthetic or nsfw
    from pipelines.filters import curate_filters
    cut = float(np.median([r["scores"]["mean_embedding"] for r in out.values()]))
    cfg_cut = load_config("curate", overrides=[
        "scoring.heads.mean_embedding={weights: untrained, format: embedding_mean}",
        f"filters.mean_embedding={{max: {cut!r}}}"])
    (flt,) = [f for f in curate_filters(cfg_cut) if f.name == "mean_embedding"]
    failed = {k for k, r in out.items() if flt.evaluate(r["scores"])}
    assert failed == {k for k, r in out.items() if r["scores"]["mean_embedding"] > cut} and failed
    assert {r.reason for k in failed for r in flt.evaluate(out[k]["scores"])} == {"high_mean_embedding"}


def test_a_threshold_on_a_score_nothing_produces_is_refused():
    from framesift.config import ConfigError
    from pipelines.filters import curate_filters
    with pytest.raises(ConfigError, match="unknown config key 'filters.mean_embedding'"):
        curate_filters(load_config("curate", overrides=["filters.mean_embedding={max: 1}"]))
