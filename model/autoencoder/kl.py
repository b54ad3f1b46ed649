"""diffusers' AutoencoderKL (the SD / SDXL / SD3 / FLUX.1 image VAE) as a Flax NNX module, channels-last."""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from framesift.config.autoencoder import KLArch
from model.autoencoder.base import Autoencoder, split_posterior
from model.autoencoder.kl_blocks import (DownEncoderBlock2D, UNetMidBlock2D, UpDecoderBlock2D, conv,
                                         group_norm)


class Encoder(nnx.Module):
    def __init__(self, cfg: KLArch, dtype, rngs: nnx.Rngs):
        ch, groups = cfg.block_out_channels, cfg.norm_num_groups
        self.conv_in = conv(cfg.in_channels, ch[0], 3, dtype, rngs)
        self.down_blocks = nnx.List([
            DownEncoderBlock2D(ch[max(i - 1, 0)], ch[i], cfg.layers_per_block, groups, i < len(ch) - 1, dtype, rngs)
            for i in range(len(ch))])
        self.mid_block = UNetMidBlock2D(ch[-1], groups, cfg.mid_block_add_attention, dtype, rngs)
        self.conv_norm_out = group_norm(ch[-1], groups, dtype, rngs)
        self.conv_out = conv(ch[-1], 2 * cfg.latent_channels, 3, dtype, rngs)     # mean and logvar

    def __call__(self, x):
        x = self.conv_in(x)
        for block in self.down_blocks:
            x = block(x)
        x = self.mid_block(x)
        return self.conv_out(jax.nn.silu(self.conv_norm_out(x)))


class Decoder(nnx.Module):
    def __init__(self, cfg: KLArch, dtype, rngs: nnx.Rngs):
        ch, groups = list(reversed(cfg.block_out_channels)), cfg.norm_num_groups
        self.conv_in = conv(cfg.latent_channels, ch[0], 3, dtype, rngs)
        self.mid_block = UNetMidBlock2D(ch[0], groups, cfg.mid_block_add_attention, dtype, rngs)
        # one more resnet per block than the encoder, as in diffusers
        self.up_blocks = nnx.List([
            UpDecoderBlock2D(ch[max(i - 1, 0)], ch[i], cfg.layers_per_block + 1, groups, i < len(ch) - 1, dtype,
                             rngs)
            for i in range(len(ch))])
        self.conv_norm_out = group_norm(ch[-1], groups, dtype, rngs)
        self.conv_out = conv(ch[-1], cfg.out_channels, 3, dtype, rngs)

    def __call__(self, z):
        x = self.mid_block(self.conv_in(z))
        for block in self.up_blocks:
            x = block(x)
        return self.conv_out(jax.nn.silu(self.conv_norm_out(x)))


class KLAutoencoder(Autoencoder):
    """Images (N, H, W, 3) -> posterior (mean, logvar) of shape (N, H/f, W/f, C); clips are encoded frame by frame
    (the per-frame video mode: T' = T)."""

    def __init__(self, config: KLArch, *, rngs: nnx.Rngs, dtype=jnp.float32):
        self.config = config
        self.encoder = Encoder(config, dtype, rngs)
        self.decoder = Decoder(config, dtype, rngs)
        c = config.latent_channels
        self.quant_conv = conv(2 * c, 2 * c, 1, dtype, rngs) if config.use_quant_conv else None
        self.post_quant_conv = conv(c, c, 1, dtype, rngs) if config.use_post_quant_conv else None

    def encode(self, x):
        moments = self.encoder(x)
        if self.quant_conv is not None:
            moments = self.quant_conv(moments)
        return split_posterior(moments)

    def decode(self, z):
        if self.post_quant_conv is not None:
            z = self.post_quant_conv(z)
        return self.decoder(z)

    def encode_video(self, clips):
        return self.encode_frames(clips)

    def decode_video(self, z):
        return self.decode_frames(z)
