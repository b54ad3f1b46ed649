"""diffusers' AutoencoderKLWan (the Wan 2.1 causal video VAE) as a Flax NNX module, channels-last.

Clips (N, T, H, W, 3) with T = 1 + 4k encode to (N, 1 + k, H/8, W/8, C). Encoding runs the first frame alone and
then chunks of 4 frames through a `jax.lax.scan` that carries the causal convs' frame cache, so memory does not
grow with clip length; decoding does the same one latent frame at a time. Images are 1-frame clips.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from framesift.config.autoencoder import WanArch
from model.autoencoder.base import Autoencoder, split_posterior
from model.autoencoder.wan_blocks import (AttentionBlock, CausalConv3d, MidBlock, Resample, ResidualBlock,
                                          RMSNorm, TimeCache, UpBlock)


class Encoder3d(nnx.Module):
    def __init__(self, cfg: WanArch, dtype, rngs: nnx.Rngs):
        dims = [cfg.base_dim * m for m in [1] + list(cfg.dim_mult)]
        self.conv_in = CausalConv3d(cfg.in_channels, dims[0], (3, 3, 3), dtype, rngs)
        blocks, scale = [], 1.0
        for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:])):
            for _ in range(cfg.num_res_blocks):
                blocks.append(ResidualBlock(cin, cout, dtype, rngs))
                if scale in cfg.attn_scales:
                    blocks.append(AttentionBlock(cout, dtype, rngs))
                cin = cout
            if i != len(cfg.dim_mult) - 1:
                blocks.append(Resample(cout, "downsample3d" if cfg.temperal_downsample[i] else "downsample2d",
                                       dtype, rngs))
                scale /= 2.0
        self.down_blocks = nnx.List(blocks)     # one flat list, as diffusers numbers them
        self.mid_block = MidBlock(dims[-1], dtype, rngs)
        self.norm_out = RMSNorm(dims[-1])
        self.conv_out = CausalConv3d(dims[-1], 2 * cfg.z_dim, (3, 3, 3), dtype, rngs)

    def __call__(self, x, cache: TimeCache):
        x = self.conv_in.causal(x, cache)
        for block in self.down_blocks:
            x = block(x, cache)
        x = self.mid_block(x, cache)
        return self.conv_out.causal(jax.nn.silu(self.norm_out(x)), cache)


class Decoder3d(nnx.Module):
    def __init__(self, cfg: WanArch, dtype, rngs: nnx.Rngs):
        base = cfg.decoder_base_dim or cfg.base_dim
        mult = list(cfg.dim_mult)
        dims = [base * m for m in [mult[-1]] + mult[::-1]]
        upsample_time = list(cfg.temperal_downsample)[::-1]
        self.conv_in = CausalConv3d(cfg.z_dim, dims[0], (3, 3, 3), dtype, rngs)
        self.mid_block = MidBlock(dims[0], dtype, rngs)
        blocks = []
        for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:])):
            if i > 0:
                cin //= 2                   # the previous upsampler halved the width
            mode = None
            if i != len(mult) - 1:
                mode = "upsample3d" if upsample_time[i] else "upsample2d"
            blocks.append(UpBlock(cin, cout, cfg.num_res_blocks, mode, dtype, rngs))
        self.up_blocks = nnx.List(blocks)
        self.norm_out = RMSNorm(dims[-1])
        self.conv_out = CausalConv3d(dims[-1], cfg.out_channels, (3, 3, 3), dtype, rngs)

    def __call__(self, z, cache: TimeCache):
        x = self.mid_block(self.conv_in.causal(z, cache), cache)
        for block in self.up_blocks:
            x = block(x, cache)
        return self.conv_out.causal(jax.nn.silu(self.norm_out(x)), cache)


def _in_chunks(module, x, first_len: int, chunk_len: int):
    """Run `module(chunk, cache)` over x[:, :first_len], then chunks of chunk_len frames, carrying the cache."""
    cache = TimeCache()
    head = module(x[:, :first_len], cache)
    rest = x[:, first_len:]
    k = rest.shape[1] // chunk_len
    if k == 0:
        return head
    chunks = jnp.moveaxis(rest.reshape(rest.shape[0], k, chunk_len, *rest.shape[2:]), 1, 0)

    def step(frames, chunk):
        c = TimeCache(frames)
        out = module(chunk, c)
        return c.frames, out

    _, outs = jax.lax.scan(step, cache.frames, chunks)     # (k, N, t, ...)
    outs = jnp.moveaxis(outs, 0, 1)
    outs = outs.reshape(outs.shape[0], -1, *outs.shape[3:])
    return jnp.concatenate([head, outs], axis=1)


class WanAutoencoder(Autoencoder):
    def __init__(self, config: WanArch, *, rngs: nnx.Rngs, dtype=jnp.float32):
        self.config = config
        self.encoder = Encoder3d(config, dtype, rngs)
        self.quant_conv = CausalConv3d(2 * config.z_dim, 2 * config.z_dim, (1, 1, 1), dtype, rngs)
        self.post_quant_conv = CausalConv3d(config.z_dim, config.z_dim, (1, 1, 1), dtype, rngs)
        self.decoder = Decoder3d(config, dtype, rngs)

    def latent_frames(self, frames: int) -> int:
        return 1 + (frames - 1) // self.config.temporal_factor

    def encode_video(self, clips, chunked: bool = True):
        """(N, T, H, W, 3), T = 1 + 4k -> (mean, logvar), each (N, 1 + k, H/8, W/8, C). `chunked=False` runs the
        whole clip at once (same result, more memory)."""
        t, f = clips.shape[1], self.config.temporal_factor
        if (t - 1) % f:
            raise ValueError(f"a clip of {t} frames: the causal video VAE takes 1 + {f}k frames (e.g. "
                             f"{1 + (t - 1) // f * f} or {1 + ((t - 1) // f + 1) * f})")
        if chunked:
            h = _in_chunks(self.encoder, clips, 1, f)
        else:
            h = self.encoder(clips, TimeCache())
        return split_posterior(self.quant_conv(h))

    def decode_video(self, z, chunked: bool = True):
        """(N, T', h, w, C) -> (N, 1 + 4 (T' - 1), 8h, 8w, 3) in [-1, 1]."""
        z = self.post_quant_conv(z)
        x = _in_chunks(self.decoder, z, 1, 1) if chunked else self.decoder(z, TimeCache())
        return jnp.clip(x, -1.0, 1.0)

    def encode(self, x):
        mean, logvar = self.encode_video(x[:, None])
        return mean[:, 0], logvar[:, 0]

    def decode(self, z):
        return self.decode_video(z[:, None])[:, 0]
