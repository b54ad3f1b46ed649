"""Building blocks of diffusers' AutoencoderKLWan (Wan 2.1 video VAE) as Flax NNX modules on (N, T, H, W, C).

Causality in time: every temporal convolution sees only current and earlier frames. A clip can be processed in
chunks: each causal conv keeps its input's last frames in a `TimeCache` and puts them in front of the next chunk,
so chunked and whole-clip results agree (tests/test_autoencoder_wan.py checks both against diffusers).

The first chunk is special, as in diffusers: the temporal downsampler passes the first frame through and the
temporal upsampler does not double it, which is what makes T frames encode to 1 + (T - 1) / 4 latents and back.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx


class TimeCache:
    """The trailing input frames of every causal temporal conv, in call order. `frames=None` starts a clip."""

    def __init__(self, frames=None):
        self._old = frames
        self._next = 0
        self.frames: list = []

    @property
    def first(self) -> bool:
        return self._old is None

    def take(self):
        if self._old is None:
            return None
        value = self._old[self._next]
        self._next += 1
        return value

    def put(self, value) -> None:
        self.frames.append(value)


class CausalConv3d(nnx.Conv):
    """A Conv3d zero-padded (or cache-padded) only at the start of time; 'same' padding in space."""

    def __init__(self, cin: int, cout: int, kernel: tuple[int, int, int], dtype, rngs: nnx.Rngs, stride_t: int = 1):
        kt, kh, kw = kernel
        super().__init__(cin, cout, kernel, strides=(stride_t, 1, 1),
                         padding=((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2)), dtype=dtype, rngs=rngs)
        self.context = kt - 1

    def causal(self, x, cache: TimeCache):
        if self.context == 0:
            return self(x)
        prev = cache.take()
        if prev is None:
            prev = jnp.zeros((x.shape[0], self.context) + x.shape[2:], x.dtype)
        x = jnp.concatenate([prev, x], axis=1)
        cache.put(x[:, -self.context:])
        return self(x)


class RMSNorm(nnx.Module):
    """x / ||x|| * sqrt(C) * gamma over channels (diffusers' WanRMS_norm, no bias)."""

    def __init__(self, channels: int):
        self.gamma = nnx.Param(jnp.ones((channels,), jnp.float32))
        self.scale = channels ** 0.5

    def __call__(self, x):
        norm = jnp.sqrt(jnp.sum(jnp.square(x.astype(jnp.float32)), axis=-1, keepdims=True))
        y = x.astype(jnp.float32) / jnp.maximum(norm, 1e-12)
        return (y * self.scale * self.gamma[...]).astype(x.dtype)


class ResidualBlock(nnx.Module):
    def __init__(self, cin: int, cout: int, dtype, rngs: nnx.Rngs):
        self.norm1 = RMSNorm(cin)
        self.conv1 = CausalConv3d(cin, cout, (3, 3, 3), dtype, rngs)
        self.norm2 = RMSNorm(cout)
        self.conv2 = CausalConv3d(cout, cout, (3, 3, 3), dtype, rngs)
        self.conv_shortcut = CausalConv3d(cin, cout, (1, 1, 1), dtype, rngs) if cin != cout else None

    def __call__(self, x, cache: TimeCache):
        h = x if self.conv_shortcut is None else self.conv_shortcut(x)
        x = self.conv1.causal(jax.nn.silu(self.norm1(x)), cache)
        x = self.conv2.causal(jax.nn.silu(self.norm2(x)), cache)
        return x + h


class AttentionBlock(nnx.Module):
    """Single-head self-attention within each frame (never across time, which keeps it causal)."""

    def __init__(self, channels: int, dtype, rngs: nnx.Rngs):
        self.norm = RMSNorm(channels)
        self.to_qkv = nnx.Conv(channels, 3 * channels, (1, 1), dtype=dtype, rngs=rngs)
        self.proj = nnx.Conv(channels, channels, (1, 1), dtype=dtype, rngs=rngs)

    def __call__(self, x, cache: TimeCache = None):
        n, t, h, w, c = x.shape
        qkv = self.to_qkv(self.norm(x.reshape(n * t, h, w, c))).reshape(n * t, h * w, 3 * c)
        q, k, v = jnp.split(qkv, 3, axis=-1)
        weights = jax.nn.softmax(jnp.einsum("bqc,bkc->bqk", q, k) / jnp.sqrt(c).astype(q.dtype), axis=-1)
        y = self.proj(jnp.einsum("bqk,bkc->bqc", weights, v).reshape(n * t, h, w, c))
        return x + y.reshape(n, t, h, w, c)


class Resample(nnx.Module):
    """2x down/up in space, and with mode '*3d' also in time (causal, first frame kept as it is)."""

    def __init__(self, channels: int, mode: str, dtype, rngs: nnx.Rngs):
        self.mode = mode
        if mode.startswith("upsample"):
            # Wan 2.1 halves the width at each upsampling
            self.resample_conv = nnx.Conv(channels, channels // 2, (3, 3), padding=1, dtype=dtype, rngs=rngs)
        else:
            self.resample_conv = nnx.Conv(channels, channels, (3, 3), strides=2, padding="VALID", dtype=dtype,
                                          rngs=rngs)
        time_conv = None
        if mode == "upsample3d":
            time_conv = CausalConv3d(channels, 2 * channels, (3, 1, 1), dtype, rngs)
        elif mode == "downsample3d":
            time_conv = CausalConv3d(channels, channels, (3, 1, 1), dtype, rngs, stride_t=2)
        self.time_conv = time_conv

    def __call__(self, x, cache: TimeCache):
        if self.mode == "upsample3d":
            x = self._upsample_time(x, cache)
        n, t, h, w, c = x.shape
        x = x.reshape(n * t, h, w, c)
        if self.mode.startswith("upsample"):
            x = jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
        else:
            x = jnp.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)))    # bottom/right only, as diffusers' ZeroPad2d
        x = self.resample_conv(x)
        x = x.reshape(n, t, *x.shape[1:])
        if self.mode == "downsample3d":
            x = self._downsample_time(x, cache)
        return x

    def _upsample_time(self, x, cache: TimeCache):
        head = None
        prev = cache.take()
        if prev is None:            # clip start: frame 0 is not doubled; later frames see zeros before them
            head, x = x[:, :1], x[:, 1:]
            prev = jnp.zeros((x.shape[0], 2) + x.shape[2:], x.dtype)
        full = jnp.concatenate([prev, x], axis=1)
        cache.put(full[:, -2:])
        if x.shape[1] == 0:
            return head
        y = self.time_conv(full)                            # (n, t, h, w, 2c): two output frames per input frame
        n, t, h, w, c2 = y.shape
        y = y.reshape(n, t, h, w, 2, c2 // 2).transpose(0, 1, 4, 2, 3, 5).reshape(n, 2 * t, h, w, c2 // 2)
        return y if head is None else jnp.concatenate([head, y], axis=1)

    def _downsample_time(self, x, cache: TimeCache):
        prev = cache.take()
        cache.put(x[:, -1:])
        if prev is None:            # clip start: frame 0 passes; frames (0,1,2), (2,3,4)... are convolved
            return x if x.shape[1] == 1 else jnp.concatenate([x[:, :1], self.time_conv(x)], axis=1)
        return self.time_conv(jnp.concatenate([prev, x], axis=1))


class MidBlock(nnx.Module):
    def __init__(self, channels: int, dtype, rngs: nnx.Rngs):
        self.resnets = nnx.List([ResidualBlock(channels, channels, dtype, rngs) for _ in range(2)])
        self.attentions = nnx.List([AttentionBlock(channels, dtype, rngs)])

    def __call__(self, x, cache: TimeCache):
        x = self.resnets[0](x, cache)
        x = self.attentions[0](x)
        return self.resnets[1](x, cache)


class UpBlock(nnx.Module):
    def __init__(self, cin: int, cout: int, num_res_blocks: int, mode, dtype, rngs: nnx.Rngs):
        self.resnets = nnx.List([ResidualBlock(cin if i == 0 else cout, cout, dtype, rngs)
                                 for i in range(num_res_blocks + 1)])
        self.upsamplers = nnx.List([Resample(cout, mode, dtype, rngs)] if mode else [])

    def __call__(self, x, cache: TimeCache):
        for resnet in self.resnets:
            x = resnet(x, cache)
        for up in self.upsamplers:
            x = up(x, cache)
        return x
