"""Latent <-> token layout for the DiT, and its fixed embeddings (positions, diffusion time).

Every input is handled as a clip (B, T, H, W, C); an image is a clip of one frame. Tokens are space-time patches of
pt x p x p latent pixels, ordered frame-major, then row, then column.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np


def patchify(x: jnp.ndarray, p: int, pt: int) -> jnp.ndarray:
    """(B, T, H, W, C) -> (B, T/pt * H/p * W/p, pt * p * p * C)."""
    b, t, h, w, c = x.shape
    x = x.reshape(b, t // pt, pt, h // p, p, w // p, p, c)
    x = x.transpose(0, 1, 3, 5, 2, 4, 6, 7)
    return x.reshape(b, (t // pt) * (h // p) * (w // p), pt * p * p * c)


def unpatchify(tokens: jnp.ndarray, grid: tuple[int, int, int], p: int, pt: int, c: int) -> jnp.ndarray:
    """Inverse of patchify: (B, N, pt * p * p * C) -> (B, T, H, W, C) with grid = (T/pt, H/p, W/p)."""
    gt, gh, gw = grid
    b = tokens.shape[0]
    x = tokens.reshape(b, gt, gh, gw, pt, p, p, c)
    x = x.transpose(0, 1, 4, 2, 5, 3, 6, 7)
    return x.reshape(b, gt * pt, gh * p, gw * p, c)


def _sincos_1d(dim: int, positions: np.ndarray) -> np.ndarray:
    omega = 1.0 / 10000 ** (np.arange(dim // 2, dtype=np.float64) / (dim / 2.0))
    out = positions.reshape(-1)[:, None] * omega[None]
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_position_embedding(dim: int, grid: tuple[int, int, int]) -> np.ndarray:
    """Fixed (N, dim) table, DiT/MAE style: half the channels encode the row, half the column; clips add a 1-D
    table over the frame index (so a one-frame clip gets exactly the 2-D image table)."""
    if dim % 4:
        raise ValueError(f"hidden size {dim} must be a multiple of 4 for 2-D sin-cos positions")
    gt, gh, gw = grid
    rows, cols = np.meshgrid(np.arange(gh, dtype=np.float64), np.arange(gw, dtype=np.float64), indexing="ij")
    spatial = np.concatenate([_sincos_1d(dim // 2, rows), _sincos_1d(dim // 2, cols)], axis=1)   # (gh*gw, dim)
    table = np.tile(spatial[None], (gt, 1, 1))
    if gt > 1:
        table = table + _sincos_1d(dim, np.arange(gt, dtype=np.float64))[:, None, :]
    return table.reshape(gt * gh * gw, dim).astype(np.float32)


def timestep_features(t: jnp.ndarray, dim: int, max_period: float = 10000.0) -> jnp.ndarray:
    """Sinusoidal features of t in [0, 1], scaled to [0, 1000] so the frequencies match DiT's integer timesteps."""
    half = dim // 2
    freqs = jnp.exp(-math.log(max_period) * jnp.arange(half, dtype=jnp.float32) / half)
    args = (1000.0 * t.astype(jnp.float32))[:, None] * freqs[None]
    return jnp.concatenate([jnp.cos(args), jnp.sin(args)], axis=-1)
