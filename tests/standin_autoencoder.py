"""A tiny stand-in for model/autoencoder's contract (brief: "Shared model-half contract"), for encode tests only.

encode: 8x8 average pool, then a fixed random projection of the 3 pooled colours (and their squares, so channels
differ in distribution) to C channels; logvar a second projection. decode: the pooled colour back, upsampled.
A checkpoint is a directory with config.json and weights.npz, so its sha256 covers more than one file.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np


@dataclass
class StandinConfig:
    latent_channels: int = 4
    scaling_factor: float = 0.5
    shift_factor: float = 0.1
    downsample_factor: int = 8
    seed: int = 0


class StandinAutoencoder:
    def __init__(self, config: StandinConfig, weights: dict[str, np.ndarray]):
        self.config = config
        self.w_mean, self.w_logvar = jnp.asarray(weights["w_mean"]), jnp.asarray(weights["w_logvar"])

    def _pool(self, x):
        n, h, w, c = x.shape
        f = self.config.downsample_factor
        pooled = x.reshape(n, h // f, f, w // f, f, c).mean(axis=(2, 4))
        return jnp.concatenate([pooled, pooled * pooled], axis=-1)

    def encode(self, x):
        feats = self._pool(x)
        return feats @ self.w_mean, feats @ self.w_logvar - 2.0

    def encode_video(self, x):
        n, t = x.shape[:2]
        mean, logvar = self.encode(x.reshape((n * t,) + x.shape[2:]))
        return mean.reshape((n, t) + mean.shape[1:]), logvar.reshape((n, t) + logvar.shape[1:])

    def decode(self, z):
        colour = z @ jnp.linalg.pinv(self.w_mean)[:, :3]
        f = self.config.downsample_factor
        return jnp.clip(jnp.repeat(jnp.repeat(colour, f, axis=1), f, axis=2), -1, 1)

    def normalize(self, z):
        return (z - self.config.shift_factor) * self.config.scaling_factor

    def denormalize(self, z):
        return z / self.config.scaling_factor + self.config.shift_factor


def build_autoencoder(config: StandinConfig = StandinConfig(), seed: int = 0) -> StandinAutoencoder:
    rng = np.random.default_rng(seed)
    c = config.latent_channels
    weights = {"w_mean": rng.normal(size=(6, c)).astype(np.float32),
               "w_logvar": (0.1 * rng.normal(size=(6, c))).astype(np.float32)}
    return StandinAutoencoder(config, weights)


def save_autoencoder(ae: StandinAutoencoder, path: str) -> None:
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(dataclasses.asdict(ae.config), f, sort_keys=True)
    np.savez(os.path.join(path, "weights.npz"), w_mean=np.asarray(ae.w_mean), w_logvar=np.asarray(ae.w_logvar))


def load_autoencoder(path: str) -> StandinAutoencoder:
    with open(os.path.join(path, "config.json")) as f:
        config = StandinConfig(**json.load(f))
    with np.load(os.path.join(path, "weights.npz")) as w:
        return StandinAutoencoder(config, {k: w[k] for k in w.files})


LOADER = "tests.standin_autoencoder:load_autoencoder"
