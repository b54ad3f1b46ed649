"""Tiny random diffusers VAEs (saved with save_pretrained) and the helpers the autoencoder tests share."""
from __future__ import annotations

import numpy as np

KL_FAMILIES = {
    # SD 1.x/2.x/SDXL style: 4 latent channels, quant convs, no shift
    "sd": dict(latent_channels=4, scaling_factor=0.13025),
    # SD3 / FLUX.1 style: 16 latent channels, no quant convs, a shift
    "flux": dict(latent_channels=16, use_quant_conv=False, use_post_quant_conv=False, scaling_factor=0.3611,
                 shift_factor=0.1159),
}
TINY_KL = dict(block_out_channels=[32, 64], down_block_types=["DownEncoderBlock2D"] * 2,
               up_block_types=["UpDecoderBlock2D"] * 2, norm_num_groups=8, layers_per_block=1)
# the small config ENVIRONMENT.md verified, with per-channel statistics for its 4 latent channels
TINY_WAN = dict(base_dim=16, z_dim=4, dim_mult=[1, 2, 2, 2], num_res_blocks=1, attn_scales=[],
                temperal_downsample=[False, True, True], latents_mean=[0.1, -0.2, 0.3, 0.0],
                latents_std=[1.5, 2.0, 0.5, 1.0])


def save_diffusers_kl(folder, family: str, seed: int = 0, **overrides):
    import torch
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    model = AutoencoderKL(**{**TINY_KL, **KL_FAMILIES[family], **overrides}).eval()
    model.save_pretrained(str(folder))
    return model


def save_diffusers_wan(folder, seed: int = 0):
    import torch
    from diffusers import AutoencoderKLWan

    torch.manual_seed(seed)
    model = AutoencoderKLWan(**TINY_WAN).eval()
    model.save_pretrained(str(folder))
    return model


def to_torch(x: np.ndarray):
    import torch
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)))


def from_torch(t) -> np.ndarray:
    return np.moveaxis(t.detach().numpy(), 1, -1)


def max_diff(a, b) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def pixels(shape, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _jitted():
    from flax import nnx
    return (nnx.jit(lambda ae, x: ae.encode(x)), nnx.jit(lambda ae, z: ae.decode(z)),
            nnx.jit(lambda ae, x: ae.encode_video(x)), nnx.jit(lambda ae, z: ae.decode_video(z)))


# whole-graph jit: one compile per shape instead of one per primitive (eager is ~3x slower on a busy CPU)
encode, decode, encode_video, decode_video = _jitted()
