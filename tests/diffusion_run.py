"""Run the trainer in a fresh process (the resume and mesh tests need process boundaries and device counts):
    python -m tests.diffusion_run WORKDIR --steps N [--stop-at K] [--fsdp] [--batch B]
prints the run summary as one JSON line."""
import argparse
import json

from framesift.config import load_config
from model.digits import digits_training_set, load_digit_arrays
from model.training.trainer import train

TINY = ["arch.patch_size=2", "arch.hidden_size=32", "arch.depth=2", "arch.num_heads=2", "train.learning_rate=0.002",
        "train.warmup_steps=2", "train.log_every=1", "train.ema_decay=0.9", "train.data_threads=1"]


def tiny_config(steps: int, batch: int, *extra: str):
    return load_config("diffusion", overrides=[*TINY, f"train.steps={steps}", f"train.batch_size={batch}",
                                               f"train.checkpoint_every={steps}", *extra])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workdir")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--stop-at", type=int)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--fsdp", action="store_true")
    a = p.parse_args()
    images, labels = load_digit_arrays()
    cfg = tiny_config(a.steps, a.batch, f"train.fsdp={str(a.fsdp).lower()}")
    # 8x8 digits padded to 16x16 so fsdp has dims that split 4 ways and patches are 2x2
    import numpy as np
    images = np.pad(images[:256], ((0, 0), (4, 4), (4, 4), (0, 0)), constant_values=-1.0)
    summary = train(cfg, digits_training_set(images, labels[:256]), a.workdir, stop_at=a.stop_at, progress=False)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
