"""One step of each sampler, from time t down to time s < t, for a Gaussian-path objective (model/interfaces).

euler, heun: the probability-flow ODE dx/dt = v(x, t), first and second order (Heun falls back to Euler on the last
step into s = 0, as in EDM). ddim: deterministic DDIM written through the objective's (x0, noise) split — for
rectified flow it coincides with Euler, which the tests check. euler_ancestral: the same update with eta = 1 (the
DDPM posterior), fresh noise each step, so samples differ per key.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def euler(velocity, objective, x, t, s, key):
    return x + (s - t) * velocity(x, t)


def heun(velocity, objective, x, t, s, key):
    v1 = velocity(x, t)
    x_euler = x + (s - t) * v1
    v2 = velocity(x_euler, s)
    return jnp.where(s > 0, x + (s - t) * 0.5 * (v1 + v2), x_euler)


def _ddim(velocity, objective, x, t, s, key, eta: float):
    tb = jnp.full((x.shape[0],), t)
    x0, noise = objective.split(x, tb, velocity(x, t))
    a_t, s_t, a_s, s_s = objective.alpha(t), objective.sigma(t), objective.alpha(s), objective.sigma(s)
    # std of q(x_s | x_t, x0) for a Gaussian path, scaled by eta (0: deterministic DDIM, 1: ancestral/DDPM)
    ratio = (a_t * s_s) / jnp.maximum(a_s * s_t, 1e-12)
    c = eta * s_s * jnp.sqrt(jnp.clip(1.0 - ratio ** 2, 0.0, 1.0))
    fresh = jax.random.normal(key, x.shape, x.dtype)
    return a_s * x0 + jnp.sqrt(jnp.maximum(s_s ** 2 - c ** 2, 0.0)) * noise + c * fresh


def ddim(velocity, objective, x, t, s, key):
    return _ddim(velocity, objective, x, t, s, key, eta=0.0)


def euler_ancestral(velocity, objective, x, t, s, key):
    return _ddim(velocity, objective, x, t, s, key, eta=1.0)


STEPS = {"euler": euler, "heun": heun, "ddim": ddim, "euler_ancestral": euler_ancestral}
STOCHASTIC = {"euler_ancestral"}
