"""The building blocks of diffusers' AutoencoderKL, as Flax NNX modules on NHWC arrays.

Attribute names follow diffusers' module names (`resnets`, `conv_shortcut`, `downsamplers`, `to_q`...), so a
parameter's NNX path and its diffusers state-dict key differ only by the rules in diffusers_weights.py.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

EPS = 1e-6          # diffusers builds every VAE GroupNorm with eps=1e-6


def group_norm(channels: int, groups: int, dtype, rngs: nnx.Rngs) -> nnx.GroupNorm:
    # the two-pass variance matches PyTorch to float32 precision; E[x^2]-E[x]^2 loses digits on large activations
    return nnx.GroupNorm(channels, num_groups=groups, epsilon=EPS, use_fast_variance=False, dtype=dtype, rngs=rngs)


def conv(cin: int, cout: int, kernel: int, dtype, rngs: nnx.Rngs, stride: int = 1, padding="SAME") -> nnx.Conv:
    return nnx.Conv(cin, cout, (kernel, kernel), strides=stride, padding=padding, dtype=dtype, rngs=rngs)


class ResnetBlock2D(nnx.Module):
    """GroupNorm -> SiLU -> conv, twice, plus the input (through a 1x1 conv when the width changes)."""

    def __init__(self, cin: int, cout: int, groups: int, dtype, rngs: nnx.Rngs):
        self.norm1 = group_norm(cin, groups, dtype, rngs)
        self.conv1 = conv(cin, cout, 3, dtype, rngs)
        self.norm2 = group_norm(cout, groups, dtype, rngs)
        self.conv2 = conv(cout, cout, 3, dtype, rngs)
        self.conv_shortcut = conv(cin, cout, 1, dtype, rngs) if cin != cout else None

    def __call__(self, x):
        h = self.conv1(jax.nn.silu(self.norm1(x)))
        h = self.conv2(jax.nn.silu(self.norm2(h)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


class Attention(nnx.Module):
    """Single-head self-attention over all positions, with a GroupNorm in front and a residual around it."""

    def __init__(self, channels: int, groups: int, dtype, rngs: nnx.Rngs):
        self.group_norm = group_norm(channels, groups, dtype, rngs)
        self.to_q = nnx.Linear(channels, channels, dtype=dtype, rngs=rngs)
        self.to_k = nnx.Linear(channels, channels, dtype=dtype, rngs=rngs)
        self.to_v = nnx.Linear(channels, channels, dtype=dtype, rngs=rngs)
        self.to_out = nnx.Linear(channels, channels, dtype=dtype, rngs=rngs)

    def __call__(self, x):
        n, h, w, c = x.shape
        y = self.group_norm(x).reshape(n, h * w, c)
        q, k, v = self.to_q(y), self.to_k(y), self.to_v(y)
        weights = jax.nn.softmax(jnp.einsum("nqc,nkc->nqk", q, k) / jnp.sqrt(c).astype(q.dtype), axis=-1)
        y = self.to_out(jnp.einsum("nqk,nkc->nqc", weights, v))
        return x + y.reshape(n, h, w, c)


class Downsample2D(nnx.Module):
    """Stride-2 3x3 conv after padding one row/column at the bottom/right only (diffusers' padding=0 path); a
    symmetric pad would shift every latent by half a pixel against the original weights."""

    def __init__(self, channels: int, dtype, rngs: nnx.Rngs):
        self.conv = conv(channels, channels, 3, dtype, rngs, stride=2, padding="VALID")

    def __call__(self, x):
        return self.conv(jnp.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0))))


class Upsample2D(nnx.Module):
    """Nearest-neighbour 2x, then a 3x3 conv."""

    def __init__(self, channels: int, dtype, rngs: nnx.Rngs):
        self.conv = conv(channels, channels, 3, dtype, rngs)

    def __call__(self, x):
        return self.conv(jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2))


class DownEncoderBlock2D(nnx.Module):
    def __init__(self, cin: int, cout: int, layers: int, groups: int, downsample: bool, dtype, rngs: nnx.Rngs):
        self.resnets = nnx.List([ResnetBlock2D(cin if i == 0 else cout, cout, groups, dtype, rngs)
                                 for i in range(layers)])
        self.downsamplers = nnx.List([Downsample2D(cout, dtype, rngs)] if downsample else [])

    def __call__(self, x):
        for resnet in self.resnets:
            x = resnet(x)
        for down in self.downsamplers:
            x = down(x)
        return x


class UpDecoderBlock2D(nnx.Module):
    def __init__(self, cin: int, cout: int, layers: int, groups: int, upsample: bool, dtype, rngs: nnx.Rngs):
        self.resnets = nnx.List([ResnetBlock2D(cin if i == 0 else cout, cout, groups, dtype, rngs)
                                 for i in range(layers)])
        self.upsamplers = nnx.List([Upsample2D(cout, dtype, rngs)] if upsample else [])

    def __call__(self, x):
        for resnet in self.resnets:
            x = resnet(x)
        for up in self.upsamplers:
            x = up(x)
        return x


class UNetMidBlock2D(nnx.Module):
    """resnet, (attention, resnet): the bottleneck of both encoder and decoder."""

    def __init__(self, channels: int, groups: int, add_attention: bool, dtype, rngs: nnx.Rngs):
        self.resnets = nnx.List([ResnetBlock2D(channels, channels, groups, dtype, rngs) for _ in range(2)])
        self.attentions = nnx.List([Attention(channels, groups, dtype, rngs)] if add_attention else [])

    def __call__(self, x):
        x = self.resnets[0](x)
        for attention in self.attentions:
            x = attention(x)
        return self.resnets[1](x)
