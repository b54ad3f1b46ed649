"""`framesift train` on real latent shards and `framesift sample` to a grid; clips come out as mp4s."""
import json
import os

import av
import numpy as np
from PIL import Image

from framesift.cli import main
from tests.diffusion_run import TINY

FAST = [f"--set={s}" for s in TINY] + ["--set=arch.patch_size=1", "--set=train.steps=4", "--set=train.batch_size=4",
                                       "--set=train.checkpoint_every=2", "--set=sampling.steps=3"]


def test_train_on_shards_then_resume_then_sample_a_grid(encoded_shards, tmp_path, capsys):
    workdir = str(tmp_path / "dit")
    assert main(["train", "--data", encoded_shards["out"], "--workdir", workdir, "--stop-at", "2", *FAST]) == 0
    out = capsys.readouterr().out
    # the test shards: 12 images of 4x4x4 latents and one clip (another shape bucket, left out)
    assert "latents (4, 4, 4) (bucket 1x4x4)" in out and "1 records of other shapes left out" in out
    assert main(["train", "--data", encoded_shards["out"], "--workdir", workdir, *FAST]) == 0
    steps = [json.loads(l)["step"] for l in open(os.path.join(workdir, "metrics.jsonl"))]
    assert steps == [1, 2, 3, 4]
    spec = json.load(open(os.path.join(workdir, "spec.json")))
    assert spec["condition"] == "label" and spec["num_classes"] == 3       # labels 0 and 2 on half the items
    assert spec["autoencoder"] == encoded_shards["ckpt"]       # samples decode with the shards' own autoencoder
    grid = str(tmp_path / "grid.png")
    assert main(["sample", "--workdir", workdir, "--guidance", "2", "--steps", "3", "--sampler", "heun",
                 "--num", "8", "--output", grid]) == 0
    img = np.asarray(Image.open(grid))
    # 8 samples, 3 per row (one per class); 32x32 px each, upscaled x2 for viewing, 2 px gaps
    assert img.shape == (3 * 66 + 2, 3 * 66 + 2, 3)
    assert "decoded by" in capsys.readouterr().out


def test_train_conditioned_on_caption_embeddings_when_shards_have_both(encoded_shards, tmp_path, capsys):
    """Shards with picture and caption embeddings: the trainer conditions on the caption's; items without one
    train the null condition only."""
    from model.training.shards import ShardTrainingSet
    data = ShardTrainingSet.open(encoded_shards["out"])
    assert data.embedding_field == "caption_embedding" and data.embedding_dim == 32
    batch = next(iter(data.dataset("embedding", local_batch=4, seed=0, threads=1, prefetch=1)))
    assert batch["embedding"].shape == (4, 32) and batch["embedding"].dtype == np.float32
    assert set(batch) == {"latent", "latent_logvar", "embedding", "cond_valid"}
    assert not batch["embedding"][~batch["cond_valid"]].any()
    assert np.allclose(np.linalg.norm(batch["embedding"][batch["cond_valid"]], axis=1), 1, atol=1e-5)
    workdir = str(tmp_path / "dit")
    assert main(["train", "--data", encoded_shards["out"], "--workdir", workdir, "--set=condition=embedding",
                 *FAST, "--set=train.steps=2"]) == 0
    assert "embedding dim 32" in capsys.readouterr().out
    spec = json.load(open(os.path.join(workdir, "spec.json")))
    assert spec["condition"] == "embedding" and spec["embedding_dim"] == 32
    losses = [json.loads(l)["loss"] for l in open(os.path.join(workdir, "metrics.jsonl"))]
    assert len(losses) == 2 and np.all(np.isfinite(losses))


def test_sample_refuses_a_directory_that_is_not_a_run(tmp_path, capsys):
    assert main(["sample", "--workdir", str(tmp_path), "--output", str(tmp_path / "g.png")]) == 2
    assert "not a training work directory" in capsys.readouterr().err


def test_clips_train_and_sample_to_mp4(tmp_path):
    from framesift.config import load_config
    from model.sampling_run import sample_to_file
    from model.training.data import ArraySource, ArrayTrainingSet
    from model.training.trainer import train
    rng = np.random.default_rng(0)
    clips = np.clip(rng.normal(size=(16, 4, 8, 8, 1)), -1, 1).astype(np.float32)
    data = ArrayTrainingSet(latent_shape=(4, 8, 8, 1), source=ArraySource(clips))
    cfg = load_config("diffusion", overrides=[*TINY, "arch.patch_frames=2", "train.steps=2", "train.batch_size=4",
                                              "sampling.steps=2"])
    train(cfg, data, str(tmp_path / "w"), progress=False)
    written, info = sample_to_file(str(tmp_path / "w"), str(tmp_path / "clips.png"), num=2)
    assert info["decoded"] == "pixel-space latents" and len(written) == 3
    with av.open(written[1]) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 4 and frames[0].shape == (64, 64, 3)


def test_demo_stage_trains_on_shards_and_writes_a_sample_grid(encoded_shards, tmp_path):
    from framesift.commands.demo_train import train_and_sample
    out = train_and_sample(encoded_shards["out"], str(tmp_path), steps=30)
    assert out["steps"] == 30 and np.isfinite(out["loss"]) and out["decoded"].startswith("decoded by")
    img = np.asarray(Image.open(out["grid"]))
    # 16 decoded 32 px samples, one column per class (3 here)
    assert img.shape == (6 * 66 + 2, 3 * 66 + 2, 3) and img.std() > 0
