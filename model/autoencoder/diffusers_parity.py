"""Check a converted autoencoder against the diffusers original on a fixed input (needs torch + diffusers).

The input is seeded noise smoothed a little (so the decoder sees image-like latents), small enough to run a full
SDXL or Wan VAE on a CPU in seconds. Both sides run in float32; JAX at full matmul precision, so a GPU's TF32
default does not read as a conversion error.
"""
from __future__ import annotations

import numpy as np

DEFAULT_TOLERANCE = 1e-4


def diffusers_importable() -> bool:
    try:
        import diffusers  # noqa: F401
        import torch  # noqa: F401
    except Exception:       # a broken torch install raises more than ImportError (see ENVIRONMENT.md)
        return False
    return True


def fixed_input(config, side: int = 64, frames: int = 5, seed: int = 0) -> np.ndarray:
    """Channels-last pixels in [-1, 1]: (1, side, side, C) for image VAEs, (1, frames, side, side, C) for Wan."""
    side = max(side, config.downsample_factor * 2) // config.downsample_factor * config.downsample_factor
    rng = np.random.default_rng(seed)
    shape = (1, frames, side, side, config.in_channels) if config.kind == "wan" else (1, side, side, config.in_channels)
    x = rng.uniform(-1, 1, shape)
    x = (x + np.roll(x, 1, axis=-2) + np.roll(x, 1, axis=-3)) / 3      # neighbouring pixels correlate
    return x.astype(np.float32)


def weights_variant(folder: str):
    """'fp16' for a folder holding only diffusion_pytorch_model.fp16.safetensors (diffusers needs to be told)."""
    import os

    from model.autoencoder.diffusers_folder import WEIGHTS_NAME, weight_files
    name = os.path.basename(weight_files(folder)[0])
    stem, suffix = WEIGHTS_NAME.rsplit(".", 1)
    if name.startswith(stem + ".") and name.endswith("." + suffix) and name != WEIGHTS_NAME:
        variant = name[len(stem) + 1:-len(suffix) - 1]
        return variant.split("-")[0] or None      # sharded: fp16-00001-of-00002
    return None


def _to_torch_layout(x: np.ndarray) -> np.ndarray:
    return np.moveaxis(x, -1, 1)        # NHWC -> NCHW, NTHWC -> NCTHW


def compare_with_diffusers(folder: str, ae, seed: int = 0) -> dict[str, float]:
    """Max abs differences of posterior mean and decoded mean: {"mean": ..., "decoded": ...}."""
    import jax
    import jax.numpy as jnp
    import torch
    from diffusers import AutoencoderKL, AutoencoderKLWan
    from flax import nnx

    config = ae.config
    x = fixed_input(config, seed=seed)
    cls = AutoencoderKLWan if config.kind == "wan" else AutoencoderKL
    reference = cls.from_pretrained(folder, torch_dtype=torch.float32, variant=weights_variant(folder)).eval()
    with torch.no_grad():
        mean_ref = reference.encode(torch.from_numpy(_to_torch_layout(x))).latent_dist.mean
        decoded_ref = reference.decode(mean_ref).sample.numpy()
    mean_ref = np.moveaxis(mean_ref.numpy(), 1, -1)
    decoded_ref = np.moveaxis(decoded_ref, 1, -1)

    with jax.default_matmul_precision("highest"):
        if config.kind == "wan":
            encode = nnx.jit(lambda m, v: m.encode_video(v)[0])
            decode = nnx.jit(lambda m, z: m.decode_video(z))
        else:
            encode = nnx.jit(lambda m, v: m.encode(v)[0])
            decode = nnx.jit(lambda m, z: m.decode(z))
        mean = np.asarray(encode(ae, jnp.asarray(x)))
        decoded = np.asarray(decode(ae, jnp.asarray(mean)))
    if mean.shape != mean_ref.shape or decoded.shape != decoded_ref.shape:
        raise ValueError(f"shapes differ from diffusers: {mean.shape} vs {mean_ref.shape}, "
                         f"{decoded.shape} vs {decoded_ref.shape}")
    return {"mean": float(np.abs(mean - mean_ref).max()), "decoded": float(np.abs(decoded - decoded_ref).max())}
