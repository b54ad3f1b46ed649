"""Autoencoder encode/decode throughput at 256x256, and the FLOP/s it achieves against the matmul FLOP/s that JAX
reaches on the same device in the same run (the ratio is the figure to compare across machines).

    python benchmarks/autoencoder_throughput.py                       # SD-VAE-sized (4 ch), float32
    python benchmarks/autoencoder_throughput.py --arch flux --dtype bfloat16 --batch 16
    python benchmarks/autoencoder_throughput.py --checkpoint ckpt/sdxl-vae

FLOPs come from XLA's cost analysis of the compiled encode/decode (what the device is asked to do). The matmul
reference is a square matmul of the same dtype, sized to the device. Runs unchanged on CPU or GPU; on a shared CPU
the absolute numbers move with the load, the ratio much less.
"""
from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

ARCHS = {
    "sd": dict(latent_channels=4, block_out_channels=[128, 256, 512, 512], layers_per_block=2),
    "flux": dict(latent_channels=16, block_out_channels=[128, 256, 512, 512], layers_per_block=2,
                 use_quant_conv=False, use_post_quant_conv=False, scaling_factor=0.3611, shift_factor=0.1159),
    "small": dict(latent_channels=4, block_out_channels=[64, 128, 256, 256], layers_per_block=1),
}


def flops_of(compiled) -> float:
    cost = compiled.cost_analysis()
    if isinstance(cost, (list, tuple)):     # older jax: one dict per computation
        cost = cost[0]
    return float(cost.get("flops", 0.0))


def timed(fn, args, iters: int) -> float:
    jax.block_until_ready(fn(*args))        # warm-up (and compile, if not yet)
    start = time.perf_counter()
    for _ in range(iters):
        out = fn(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - start) / iters


def matmul_flops_per_s(dtype, n: int, iters: int) -> float:
    a = jax.random.normal(jax.random.key(0), (n, n), dtype)
    b = jax.random.normal(jax.random.key(1), (n, n), dtype)
    f = jax.jit(lambda x, y: x @ y)
    return 2.0 * n ** 3 / timed(f, (a, b), iters)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", choices=sorted(ARCHS), default="sd")
    p.add_argument("--checkpoint", help="a framesift autoencoder checkpoint instead of a random --arch")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=None, help="default: 8 on an accelerator, 1 on CPU")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    p.add_argument("--iters", type=int, default=None, help="timed calls (default: 20 on an accelerator, 2 on CPU)")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)
    from model.autoencoder import KLArch, build_autoencoder, load_autoencoder

    backend = jax.default_backend()
    on_cpu = backend == "cpu"
    batch = args.batch or (1 if on_cpu else 8)
    iters = args.iters or (2 if on_cpu else 20)
    dtype = jnp.bfloat16 if args.dtype == "bfloat16" else jnp.float32
    ae = load_autoencoder(args.checkpoint, dtype=dtype) if args.checkpoint else \
        build_autoencoder(KLArch(**ARCHS[args.arch]), seed=0, dtype=dtype)
    # weights in the compute dtype too, as a bf16 deployment would hold them
    graphdef, params = nnx.split(ae)
    params = jax.tree.map(lambda v: v.astype(dtype), params)
    f = ae.config.downsample_factor
    x = jax.random.uniform(jax.random.key(2), (batch, args.size, args.size, 3), dtype, -1, 1)
    z = jnp.zeros((batch, args.size // f, args.size // f, ae.config.latent_channels), dtype)

    encode = jax.jit(lambda p, v: nnx.merge(graphdef, p).encode(v)[0]).lower(params, x).compile()
    decode = jax.jit(lambda p, v: nnx.merge(graphdef, p).decode(v)).lower(params, z).compile()
    results = {"backend": backend, "device": str(jax.devices()[0]), "dtype": args.dtype, "batch": batch,
               "size": args.size, "arch": args.checkpoint or args.arch}
    peak = matmul_flops_per_s(dtype, 1024 if on_cpu else 8192, 3 if on_cpu else 20)
    results["matmul_tflops_per_s"] = peak / 1e12
    for name, fn, inp in (("encode", encode, x), ("decode", decode, z)):
        seconds = timed(fn, (params, inp), iters)
        flops = flops_of(fn)
        results[name] = {"images_per_s": batch / seconds, "gflops_per_image": flops / batch / 1e9,
                         "achieved_tflops_per_s": flops / seconds / 1e12,
                         "fraction_of_matmul": flops / seconds / peak}
    print(f"{results['device']} ({backend}), {args.dtype}, batch {batch}, {args.size}x{args.size}, "
          f"{results['arch']}; matmul reference {results['matmul_tflops_per_s']:.3f} TFLOP/s")
    for name in ("encode", "decode"):
        r = results[name]
        print(f"  {name}: {r['images_per_s']:.2f} images/s, {r['gflops_per_image']:.1f} GFLOP/image, "
              f"{r['achieved_tflops_per_s']:.3f} TFLOP/s = {100 * r['fraction_of_matmul']:.0f}% of matmul")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return results


if __name__ == "__main__":
    main()
