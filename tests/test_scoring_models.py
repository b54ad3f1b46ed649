"""open_clip loading (tags, checkpoint files, `untrained`) and the heads: weights that cannot be loaded are errors
that say what to do, never a random model; heads reproduce the LAION reference module exactly."""
import numpy as np
import pytest
import torch
from torch import nn

from framesift.config.jobs import HeadConfig, ScoringConfig
from pipelines.scoring import WeightsError
from pipelines.scoring.clip_model import ClipSpec, load_clip
from pipelines.scoring.head_formats.laion_mlp import LaionAestheticMLP
from pipelines.scoring.heads import load_head
from pipelines.scoring.scorer import build_scorer, score_batch
from tests.scoring_fixtures import TINY_CLIP, photo_items, write_tiny_config


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory):
    return write_tiny_config(tmp_path_factory.mktemp("clip_configs"))


@pytest.fixture(scope="module")
def tiny(config_dir):
    return load_clip(ClipSpec(TINY_CLIP, "untrained", model_config_dir=config_dir))


def test_untrained_is_seeded_marked_and_leaves_the_global_rng_alone(config_dir, tiny):
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    again = load_clip(ClipSpec(TINY_CLIP, "untrained", model_config_dir=config_dir))
    assert torch.rand(1) == expected_next
    assert tiny.provenance == f"{TINY_CLIP}/untrained" and tiny.untrained
    for (name, a), (_, b) in zip(tiny.model.state_dict().items(), again.model.state_dict().items()):
        assert torch.equal(a, b), name
    assert tiny.embed_dim == 32 and tiny.image_size == 32 and not tiny.model.training


def test_saved_checkpoint_reloads_exactly_through_the_loading_path(config_dir, tiny, tmp_path):
    path = tmp_path / "tiny.pth"
    # perturb so that the reloaded model cannot equal a fresh seeded init by accident
    sd = {k: v + 0.01 * torch.randn_like(v) if v.is_floating_point() else v
          for k, v in tiny.model.state_dict().items()}
    torch.save(sd, path)
    loaded = load_clip(ClipSpec(TINY_CLIP, str(path), model_config_dir=config_dir))
    assert loaded.provenance.startswith(f"{TINY_CLIP}/tiny.pth@") and not loaded.untrained
    for k, v in loaded.model.state_dict().items():
        assert torch.equal(v, sd[k]), k


def test_checkpoint_for_another_architecture_is_a_clear_error(config_dir, tmp_path):
    path = tmp_path / "linear.pth"
    torch.save(nn.Linear(4, 2).state_dict(), path)
    with pytest.raises(WeightsError, match=rf"open_clip {TINY_CLIP}: checkpoint .*linear.pth' does not fit"):
        load_clip(ClipSpec(TINY_CLIP, str(path), model_config_dir=config_dir))


def test_missing_file_unknown_tag_and_uncached_tag_are_clear_errors(config_dir, tmp_path):
    with pytest.raises(WeightsError, match="does not exist"):
        load_clip(ClipSpec(TINY_CLIP, str(tmp_path / "nope.pth"), model_config_dir=config_dir))
    with pytest.raises(WeightsError, match="neither a pretrained tag of this architecture"):
        load_clip(ClipSpec("ViT-B-32", "laion9b_nonsense"))
    # a real tag whose weights are not cached: no download, a message naming the model and the way out
    with pytest.raises(WeightsError, match=r"ViT-B-32/laion2b_s34b_b79k are not in the local cache.*untrained"):
        load_clip(ClipSpec("ViT-B-32", "laion2b_s34b_b79k", cache_dir=str(tmp_path / "empty_cache")))
    with pytest.raises(WeightsError, match="unknown open_clip architecture 'ViT-Nope'"):
        load_clip(ClipSpec("ViT-Nope", "untrained"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_without_a_gpu_is_an_error(config_dir):
    with pytest.raises(WeightsError, match="no CUDA device"):
        load_clip(ClipSpec(TINY_CLIP, "untrained", model_config_dir=config_dir, device="cuda"))


def reference_laion_mlp(input_size):
    """The predictor as improved-aesthetic-predictor's simple_inference.py defines it (Lightning parts dropped)."""
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(input_size, 1024), nn.Dropout(0.2), nn.Linear(1024, 128), nn.Dropout(0.2),
                nn.Linear(128, 64), nn.Dropout(0.1), nn.Linear(64, 16), nn.Linear(16, 1))

        def forward(self, x):
            return self.layers(x)
    return MLP()


def test_laion_state_dict_reproduces_the_reference_outputs(tmp_path):
    torch.manual_seed(7)
    reference = reference_laion_mlp(768).eval()
    path = tmp_path / "sac+logos+ava1-l14-linearMSE.pth"
    torch.save(reference.state_dict(), path)
    assert sorted(reference.state_dict()) == sorted(
        f"layers.{i}.{p}" for i in (0, 2, 4, 6, 7) for p in ("weight", "bias"))
    head = load_head("aesthetic", str(path), "laion_mlp", 768, "ViT-L-14/openai")
    assert isinstance(head.module, LaionAestheticMLP)
    assert head.provenance.startswith("laion_mlp:sac+logos+ava1-l14-linearMSE.pth@")
    x = torch.nn.functional.normalize(torch.randn(9, 768), dim=-1)
    with torch.no_grad():
        assert torch.equal(head(x), reference(x).squeeze(-1))


def test_linear_head_with_sigmoid_and_dimension_mismatch(tmp_path):
    torch.manual_seed(3)
    linear = nn.Linear(32, 1)
    path = tmp_path / "nsfw.pth"
    torch.save({"state_dict": linear.state_dict()}, path)    # wrapped checkpoints unwrap
    head = load_head("nsfw", str(path), "linear", 32, "tiny", activation="sigmoid")
    x = torch.randn(4, 32)
    with torch.no_grad():
        assert torch.allclose(head(x), torch.sigmoid(linear(x)).squeeze(-1))
    with pytest.raises(WeightsError, match=r"takes 32-d embeddings but ViT-L-14/openai produces 768-d"):
        load_head("nsfw", str(path), "linear", 768, "ViT-L-14/openai")
    with pytest.raises(WeightsError, match="is not a laion_mlp state dict"):
        load_head("aesthetic", str(path), "laion_mlp", 32, "tiny")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="cannot read .* as a state dict"):
        load_head("aesthetic", str(bad), "laion_mlp", 32, "tiny")


def test_scorer_outputs_unit_embeddings_scores_and_provenance(config_dir, tmp_path):
    cfg = ScoringConfig(clip_model=TINY_CLIP, model_config_dir=config_dir, batch_size=2,
                        heads={"aesthetic": HeadConfig("untrained", "laion_mlp"),
                               "nsfw": HeadConfig("untrained", "linear", "sigmoid")})
    scorer = build_scorer(cfg)
    items = photo_items()
    out = dict(score_batch(scorer, items, batch_size=2))
    assert list(out) == [k for k, _, _ in items]
    for item_id, _, caption in items:
        r = out[item_id]
        assert r["embedding"].dtype == np.float32 and r["embedding"].shape == (32,)
        assert abs(np.linalg.norm(r["embedding"]) - 1) < 1e-5
        assert ("caption_similarity" in r["scores"]) == bool(caption)
        if caption:     # the caption's unit text embedding, whose cosine with the picture is caption_similarity
            assert r["caption_embedding"].dtype == np.float32 and r["caption_embedding"].shape == (32,)
            assert r["scores"]["caption_similarity"] == pytest.approx(
                float(r["caption_embedding"] @ r["embedding"]), abs=1e-5)
            assert abs(np.linalg.norm(r["caption_embedding"]) - 1) < 1e-5
        else:
            assert r["caption_embedding"] is None
        assert 0 <= r["scores"]["nsfw"] <= 1 and "aesthetic" in r["scores"]
        assert r["models"] == {"clip": f"{TINY_CLIP}/untrained", "aesthetic": "laion_mlp/untrained",
                               "nsfw": "linear/untrained"}
    # batching does not change results
    whole = dict(score_batch(scorer, items))
    for k in out:
        np.testing.assert_allclose(whole[k]["embedding"], out[k]["embedding"], atol=1e-5)
    with pytest.raises(ValueError, match=r"RGB uint8 arrays of shape \(H, W, 3\), got float64"):
        scorer.score_batch([(np.zeros((8, 8, 3)), None)])


def test_launch_check_reports_missing_weights_without_building_a_model(config_dir, tmp_path):
    from pipelines.scoring.scorer import check_weights
    base = ScoringConfig(clip_model=TINY_CLIP, model_config_dir=config_dir)
    check_weights(base)     # untrained: nothing to find
    with pytest.raises(WeightsError, match="aesthetic head \\(laion_mlp\\): weights file .*missing.pth' does not"):
        check_weights(ScoringConfig(**{**base.__dict__, "heads": {
            "aesthetic": HeadConfig(str(tmp_path / "missing.pth"), "laion_mlp")}}))
    with pytest.raises(WeightsError, match="unknown head format 'mlp9'"):
        check_weights(ScoringConfig(**{**base.__dict__, "heads": {"aesthetic": HeadConfig("untrained", "mlp9")}}))
    with pytest.raises(WeightsError, match="not in the local cache"):
        check_weights(ScoringConfig(clip_model="ViT-B-32", pretrained="laion2b_s34b_b79k",
                                    cache_dir=str(tmp_path / "empty")))

