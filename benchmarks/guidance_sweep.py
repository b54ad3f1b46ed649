"""Classifier-free guidance sweep on scikit-learn's 1,797 handwritten digits (class-conditional).

The digits are split in two halves by class: the DiT trains on one (pixel space: the 8x8 pixels scaled to [-1, 1]
are the "latents", no autoencoder; the shard path is exercised by `framesift train` and its tests), a classifier
(benchmarks/digit_judge.py) trains on the other. For each guidance scale w the same noise is sampled to 50 digits
per class; the table gives the judge's accuracy on the intended class, the within-class diversity in its feature
space, and the Fréchet distance to the judge's real digits. Literature (Ho & Salimans 2022): accuracy rises and
diversity falls as w grows.

    python benchmarks/guidance_sweep.py [--steps 1500] [--out DIR]      (~10 min on 2 loaded CPU cores)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from benchmarks.digit_judge import DigitJudge  # noqa: E402

MODEL = ["arch.patch_size=2", "arch.hidden_size=64", "arch.depth=3", "arch.num_heads=4", "train.batch_size=64",
         "train.learning_rate=0.002", "train.warmup_steps=100", "train.ema_decay=0.995", "train.log_every=100",
         "cond_dropout=0.15"]


def split_halves(seed: int = 0):
    from sklearn.model_selection import train_test_split
    from model.digits import load_digit_arrays
    images, labels = load_digit_arrays()
    return train_test_split(images, labels, test_size=0.5, stratify=labels, random_state=seed)


def train_digits(images, labels, workdir: str, steps: int, extra=()) -> dict:
    from framesift.config import load_config
    from model.digits import digits_training_set
    from model.training.trainer import train
    cfg = load_config("diffusion", overrides=[*MODEL, f"train.steps={steps}", f"train.checkpoint_every={steps}",
                                              *extra])
    return train(cfg, digits_training_set(images, labels), workdir, progress=False)


def sample_digits(workdir: str, per_class: int, guidance: float, sampler: str = "heun", steps: int = 20):
    """(images on the 0..16 scale (N, 8, 8), intended labels (N,)) with the EMA weights, seed 0 for every w."""
    from model.digits import pixels_to_digits
    from model.sample_output import decode
    from model.sampling_run import sample_latents
    from model.training.run_dir import load_trained
    model, cfg, spec, _ = load_trained(workdir)
    labels = np.repeat(np.arange(10), per_class)
    latents = sample_latents(model, cfg, spec, len(labels), guidance=guidance, steps=steps, sampler=sampler,
                             labels=labels.tolist(), seed=0)
    pixels = decode(latents, spec)[..., 0].astype(np.float32) / 127.5 - 1.0
    return pixels_to_digits(pixels), labels


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--per-class", type=int, default=50)
    p.add_argument("--out", help="also write a sample grid per w here")
    a = p.parse_args(argv)
    from model.digits import pixels_to_digits
    gen_x, judge_x, gen_y, judge_y = split_halves()
    started = time.time()
    judge = DigitJudge(pixels_to_digits(judge_x)[..., 0], judge_y)
    real_acc = judge.accuracy(pixels_to_digits(gen_x)[..., 0], gen_y)
    real_div = judge.diversity(pixels_to_digits(gen_x)[..., 0], gen_y)
    workdir = tempfile.mkdtemp(prefix="guidance_sweep_")
    summary = train_digits(gen_x, gen_y, workdir, a.steps)
    import json
    losses = [json.loads(l)["loss"] for l in open(os.path.join(workdir, "metrics.jsonl"))]
    print(f"trained {a.steps} steps (batch 64) on {len(gen_x)} digits in {time.time() - started:.0f}s; loss "
          f"{losses[0]:.3f} (first 100 steps) -> {losses[-1]:.3f} (last 100)")
    print(f"judge: MLP trained on the other {len(judge_x)} real digits; accuracy on the generator's real digits "
          f"{real_acc:.3f}, their within-class diversity {real_div:.2f}")
    print(f"\n{'w':>4} | {'accuracy':>8} | {'diversity':>9} | {'Frechet':>8}")
    print("-" * 40)
    rows = []
    for w in (0.0, 1.0, 2.0, 4.0):
        images, labels = sample_digits(workdir, a.per_class, w)
        row = (w, judge.accuracy(images, labels), judge.diversity(images, labels),
               judge.frechet(images, pixels_to_digits(judge_x)[..., 0]))
        rows.append(row)
        print(f"{row[0]:>4g} | {row[1]:>8.3f} | {row[2]:>9.2f} | {row[3]:>8.2f}")
        if a.out:
            from model.sample_output import grid_image
            os.makedirs(a.out, exist_ok=True)
            pix = (images.reshape(10, a.per_class, 8, 8)[:, :10].transpose(1, 0, 2, 3).reshape(-1, 8, 8, 1)
                   / 16 * 255).astype(np.uint8)
            grid_image(255 - pix, 10, upscale=4).save(os.path.join(a.out, f"guidance_w{w:g}.png"))
    rising = all(b[1] >= a_[1] for a_, b in zip(rows, rows[1:]))
    falling = all(b[2] <= a_[2] for a_, b in zip(rows, rows[1:]))
    print(f"\naccuracy rises with w: {rising}; diversity falls with w: {falling}  "
          f"(sampler heun, 20 steps, {a.per_class} per class, same noise for every w; {time.time() - started:.0f}s)")
    return 0 if rising and falling else 1


if __name__ == "__main__":
    sys.exit(main())
