"""What every framesift autoencoder offers, whatever its architecture (the model-half contract in README.md).

Arrays are channels-last: images (N, H, W, 3) in [-1, 1], latents (N, H/f, W/f, C); clips (N, T, H, W, 3) and
(N, T', H/f, W/f, C). `encode` returns the posterior's (mean, logvar), unnormalised; `normalize` is the only place
the scaling/shift factors are applied.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

LOGVAR_RANGE = (-30.0, 20.0)    # diffusers' DiagonalGaussianDistribution clamps here; so do we, for parity


def split_posterior(moments):
    mean, logvar = jnp.split(moments, 2, axis=-1)
    return mean, jnp.clip(logvar, *LOGVAR_RANGE)


def sample_posterior(mean, logvar, key):
    return mean + jnp.exp(0.5 * logvar) * jax.random.normal(key, mean.shape, mean.dtype)


class Autoencoder(nnx.Module):
    """Subclasses set `self.config` (framesift.config.autoencoder.KLArch / WanArch) and implement encode, decode,
    encode_video and decode_video."""
    config: object

    def _stats(self, dtype):
        shift = jnp.asarray(self.config.latent_shift(), dtype)
        scale = jnp.asarray(self.config.latent_scale(), dtype)
        return shift, scale

    def normalize(self, z):
        """Latents as a diffusion model sees them: `(z - shift_factor) * scaling_factor`, per channel."""
        shift, scale = self._stats(z.dtype)
        return (z - shift) * scale

    def denormalize(self, z):
        shift, scale = self._stats(z.dtype)
        return z / scale + shift

    def encode_frames(self, clips):
        """Per-frame video mode: every frame of (N, T, H, W, 3) encoded as an image -> (N, T, h, w, C) each."""
        n, t = clips.shape[:2]
        mean, logvar = self.encode(clips.reshape(n * t, *clips.shape[2:]))
        return mean.reshape(n, t, *mean.shape[1:]), logvar.reshape(n, t, *logvar.shape[1:])

    def decode_frames(self, z):
        n, t = z.shape[:2]
        frames = self.decode(z.reshape(n * t, *z.shape[2:]))
        return frames.reshape(n, t, *frames.shape[1:])

    def reconstruct(self, x, key=None):
        """Encode and decode; samples the posterior when `key` is given, else decodes its mean."""
        mean, logvar = self.encode(x)
        z = mean if key is None else sample_posterior(mean, logvar, key)
        return self.decode(z), mean, logvar
