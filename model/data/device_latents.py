"""Turn a batch's stored latents into what the diffusion model trains on, on the accelerator: a posterior sample
z = mean + exp(logvar / 2) * eps (when the dataset stored logvar and a key is given), normalised per channel with
the dataset's statistics, (z - channel_mean) / channel_std. Elementwise work the host should not do per example.
"""
from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp

from framesift.schemas.latent_metadata import LatentDatasetMetadata


def latent_stats(meta: LatentDatasetMetadata) -> tuple[jnp.ndarray, jnp.ndarray]:
    """(channel_mean, channel_std) as float32 arrays of shape (C,)."""
    mean = jnp.asarray(meta.latent_channel_mean, jnp.float32)
    std = jnp.maximum(jnp.asarray(meta.latent_channel_std, jnp.float32), 1e-6)
    return mean, std


@jax.jit
def _sample_and_normalize(mean, logvar, key, channel_mean, channel_std):
    mean = mean.astype(jnp.float32)
    z = mean + jnp.exp(0.5 * logvar.astype(jnp.float32)) * jax.random.normal(key, mean.shape, jnp.float32)
    return (z - channel_mean) / channel_std


@jax.jit
def _normalize(mean, channel_mean, channel_std):
    return (mean.astype(jnp.float32) - channel_mean) / channel_std


def device_latents(batch: dict, key: Optional[jax.Array], meta: LatentDatasetMetadata):
    """float32 normalised latents of `batch` (from `latent_dataset`, defaults); a posterior sample when `key` is
    given and the batch carries `latent_logvar`, else the normalised mean."""
    channel_mean, channel_std = latent_stats(meta)
    if key is not None and "latent_logvar" in batch:
        return _sample_and_normalize(batch["latent"], batch["latent_logvar"], key, channel_mean, channel_std)
    return _normalize(batch["latent"], channel_mean, channel_std)
