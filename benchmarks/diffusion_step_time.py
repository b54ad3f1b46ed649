"""Trainer speed: step time, achieved FLOP/s against the matmul FLOP/s this machine reaches in the same run (goal
>= 40 %), and the share of step time the loop spends waiting for the input pipeline (goal <= 5 %).

The model is the real trainer (model/training/trainer.py) on an in-memory latent set through the same Grain
pipeline; FLOPs per step are XLA's own count for the compiled train step (forward, backward, AdamW, EMA). The
matmul baseline is a jitted square matmul in the same dtype, timed in this process right before. On a GPU it runs
unchanged with a larger default model (bf16). Other helpers may load this machine: compare the ratios, not the times.

    python benchmarks/diffusion_step_time.py [--steps 60] [--hidden 256 --depth 4 --batch 32 --latent 16]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def matmul_flops_per_s(n: int, dtype, repeats: int = 10) -> float:
    import jax
    import jax.numpy as jnp
    a = jax.random.normal(jax.random.key(0), (n, n), dtype)
    b = jax.random.normal(jax.random.key(1), (n, n), dtype)
    f = jax.jit(lambda a, b: a @ b)
    f(a, b).block_until_ready()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        f(a, b).block_until_ready()
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best


def main(argv=None):
    import jax
    import numpy as np
    gpu = jax.default_backend() != "cpu"
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=400 if gpu else 60)
    p.add_argument("--hidden", type=int, default=768 if gpu else 256)
    p.add_argument("--depth", type=int, default=12 if gpu else 4)
    p.add_argument("--batch", type=int, default=256 if gpu else 32)
    p.add_argument("--latent", type=int, default=32 if gpu else 16, help="latent side (4 channels)")
    a = p.parse_args(argv)
    from framesift.config import load_config
    from model.training.data import ArraySource, ArrayTrainingSet
    from model.training.trainer import train
    dtype = "bfloat16" if gpu else "float32"
    log_every = max(a.steps // 4, 1)
    cfg = load_config("diffusion", overrides=[
        f"arch.hidden_size={a.hidden}", f"arch.depth={a.depth}", f"arch.num_heads={max(a.hidden // 64, 1)}",
        f"arch.dtype={dtype}", f"train.steps={a.steps}", f"train.batch_size={a.batch}", "train.warmup_steps=10",
        f"train.log_every={log_every}", f"train.checkpoint_every={a.steps}"])
    rng = np.random.default_rng(0)
    n = max(a.batch * 8, 512)
    data = ArrayTrainingSet(latent_shape=(a.latent, a.latent, 4), num_classes=10, source=ArraySource(
        rng.normal(size=(n, a.latent, a.latent, 4)).astype(np.float32), rng.integers(0, 10, n)))
    peak = matmul_flops_per_s(8192 if gpu else 2048, jax.numpy.bfloat16 if gpu else jax.numpy.float32)
    workdir = tempfile.mkdtemp(prefix="step_time_")
    summary = train(cfg, data, workdir, progress=False, measure_flops=True)
    logs = [json.loads(l) for l in open(os.path.join(workdir, "metrics.jsonl"))][1:]   # first interval compiles
    step_time = float(np.mean([m["step_time_s"] for m in logs]))
    wait = float(np.mean([m["data_wait_fraction"] for m in logs]))
    achieved = summary["flops_per_step"] / step_time
    print(f"device: {jax.devices()[0].device_kind} x {jax.device_count()} ({jax.default_backend()}), {dtype}")
    print(f"model: DiT hidden {a.hidden}, depth {a.depth}, latents {a.latent}x{a.latent}x4 patch 2 "
          f"({(a.latent // 2) ** 2} tokens), batch {a.batch}; {a.steps} steps, first {log_every} (compile) excluded")
    print(f"step time           {step_time * 1000:9.1f} ms")
    print(f"FLOPs per step      {summary['flops_per_step'] / 1e9:9.2f} GFLOP (XLA cost analysis)")
    print(f"achieved            {achieved / 1e9:9.1f} GFLOP/s")
    print(f"matmul, same run    {peak / 1e9:9.1f} GFLOP/s")
    print(f"achieved / matmul   {achieved / peak:9.1%}   (goal >= 40%)")
    print(f"data wait           {wait:9.1%}   of step time (goal <= 5%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
