"""The demo's last stage: train a small diffusion transformer briefly on the demo's latent shards and write a
sample grid. Brief on purpose (two CPU cores): it shows the shards feed a trainer end to end and the grid comes out
of the shards' own autoencoder; it is not meant to produce convincing pictures in a minute."""
from __future__ import annotations

import os

# a small DiT and a short run: about a minute on two CPU cores
DEMO_TRAINING = ["arch.hidden_size=64", "arch.depth=2", "arch.num_heads=2", "train.batch_size=8",
                 "train.learning_rate=0.001", "train.warmup_steps=20", "train.log_every=25", "sampling.steps=20"]


def train_and_sample(shards: str, output: str, steps: int = 150, overwrite: bool = False) -> dict:
    """Train `steps` in OUTPUT/dit (resumed if it is already there, unless overwrite), sample OUTPUT/samples.png."""
    import shutil

    from framesift.config import load_config
    from model.sampling_run import sample_to_file
    from model.training.shards import ShardTrainingSet
    from model.training.trainer import train

    workdir = os.path.join(output, "dit")
    if overwrite and os.path.isdir(workdir):
        shutil.rmtree(workdir)
    data = ShardTrainingSet.open(shards)
    cfg = load_config("diffusion", overrides=[*DEMO_TRAINING, f"train.steps={steps}",
                                              f"train.checkpoint_every={steps}"])
    # the demo's latents are small: patches of 1 latent pixel keep enough tokens for attention to matter
    if min(data.latent_shape[-3:-1]) < 8:
        cfg.arch.patch_size = 1
    summary = train(cfg, data, workdir, progress=False)
    grid = os.path.join(output, "samples.png")
    written, info = sample_to_file(workdir, grid, num=16)
    return {"workdir": workdir, "grid": written[0], "loss": summary.get("loss"), "steps": summary["end_step"],
            "latent_shape": tuple(data.latent_shape), "decoded": info["decoded"]}
