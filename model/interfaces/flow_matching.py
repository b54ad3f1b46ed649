"""Rectified flow (flow matching with a straight path, SD3 / SiT convention) with logit-normal time sampling.

Path:   x_t = (1 - t) * x0 + t * noise,   t in [0, 1]; t = 0 is data, t = 1 is pure Gaussian noise.
Target: the path's velocity  v = dx_t/dt = noise - x0; the network predicts v(x_t, t, cond).
Loss:   mean over elements of (v_pred - v)^2, averaged over the batch (uniform weighting: the weighting lives in
        where t is sampled).
Time:   t = sigmoid(m + s * n), n ~ N(0, 1) ("logit-normal", Esser et al. 2024): more training signal in the middle
        of the path, where the velocity is hardest to predict, than uniform t gives.

The prediction converts to the (x0, noise) pair that stochastic samplers need: x0 = x_t - t v, noise = x_t + (1-t) v,
and the path is a Gaussian path with alpha(t) = 1 - t, sigma(t) = t, which is all a sampler needs to know.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import jax
import jax.numpy as jnp

# velocity_fn(x_t, t, cond) -> predicted velocity, shaped like x_t; t has shape (batch,)
VelocityFn = Callable[[jax.Array, jax.Array, Any], jax.Array]


def _bcast(t: jax.Array, x: jax.Array) -> jax.Array:
    return t.reshape(t.shape + (1,) * (x.ndim - t.ndim))


@dataclass(frozen=True)
class RectifiedFlow:
    t_mean: float = 0.0     # m: location of logit(t)
    t_std: float = 1.0      # s: spread of logit(t)

    def alpha(self, t):
        return 1.0 - t

    def sigma(self, t):
        return t

    def sample_t(self, key: jax.Array, n: int) -> jax.Array:
        return jax.nn.sigmoid(self.t_mean + self.t_std * jax.random.normal(key, (n,)))

    def x_t(self, x0: jax.Array, noise: jax.Array, t: jax.Array) -> jax.Array:
        t = _bcast(t, x0)
        return (1.0 - t) * x0 + t * noise

    def target(self, x0: jax.Array, noise: jax.Array) -> jax.Array:
        return noise - x0

    def split(self, x_t: jax.Array, t: jax.Array, v: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The network's velocity as (x0 estimate, noise estimate) at (x_t, t)."""
        t = _bcast(t, x_t)
        return x_t - t * v, x_t + (1.0 - t) * v

    def per_example_loss(self, velocity_fn: VelocityFn, x0: jax.Array, cond: Any, key: jax.Array) -> jax.Array:
        t_key, noise_key = jax.random.split(key)
        t = self.sample_t(t_key, x0.shape[0])
        noise = jax.random.normal(noise_key, x0.shape, x0.dtype)
        pred = velocity_fn(self.x_t(x0, noise, t), t, cond)
        err = (pred.astype(jnp.float32) - self.target(x0, noise).astype(jnp.float32)) ** 2
        return err.reshape(err.shape[0], -1).mean(axis=1)

    def loss(self, velocity_fn: VelocityFn, x0: jax.Array, cond: Any, key: jax.Array) -> jax.Array:
        return self.per_example_loss(velocity_fn, x0, cond, key).mean()
