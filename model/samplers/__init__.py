"""Samplers: integrate from noise (t = 1) to data (t = 0) with the objective's prediction, under guidance.

`generate(model, objective, cond, key, num=..., sampler=..., steps=..., guidance=...)` is the one entry point; the
step rules live in steps.py and guidance in guidance.py.
"""
from __future__ import annotations

from functools import partial
from typing import Optional

import jax
import jax.numpy as jnp
from flax import nnx

from model.samplers.guidance import guided_velocity
from model.samplers.steps import STEPS, STOCHASTIC

SAMPLERS = tuple(STEPS)


def time_grid(steps: int, shift: float = 1.0) -> jnp.ndarray:
    """steps + 1 times from 1 to 0; shift > 1 spends more steps at high noise (SD3's timestep shift)."""
    t = jnp.linspace(1.0, 0.0, steps + 1)
    return shift * t / (1.0 + (shift - 1.0) * t)


def model_apply(model):
    """The (x, t, cond, drop) -> velocity call samplers and the trainer share."""
    return lambda x, t, cond, drop: model(x, t, label=cond.get("label"), embedding=cond.get("embedding"), drop=drop)


@partial(jax.jit, static_argnames=("graphdef", "objective", "sampler", "steps", "guidance", "interval", "shift"))
def _generate(graphdef, state, objective, cond, noise, key, sampler, steps, guidance, interval, shift):
    model = nnx.merge(graphdef, state)
    velocity = guided_velocity(model_apply(model), cond, guidance, model.conditional, interval)
    step = STEPS[sampler]
    times = time_grid(steps, shift)

    def body(x, inputs):
        t, s, k = inputs
        return step(velocity, objective, x, t, s, k), None

    x, _ = jax.lax.scan(body, noise, (times[:-1], times[1:], jax.random.split(key, steps)))
    return x


def generate(model, objective, cond: dict, key: jax.Array, *, num: int, sampler: str = "euler", steps: int = 50,
             guidance: float = 0.0, interval: Optional[tuple[float, float]] = None, shift: float = 1.0):
    """`num` latents (normalised, as the network sees them) for condition `cond` (a dict of arrays of length num,
    or {} for an unconditional model)."""
    if sampler not in STEPS:
        raise ValueError(f"unknown sampler '{sampler}' (known: {', '.join(SAMPLERS)})")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    noise_key, step_key = jax.random.split(key)
    noise = jax.random.normal(noise_key, (num, *model.latent_shape), jnp.float32)
    graphdef, state = nnx.split(model)
    interval = None if interval is None else (float(interval[0]), float(interval[1]))
    return _generate(graphdef, state, objective, cond, noise, step_key, sampler, int(steps), float(guidance),
                     interval, float(shift))


__all__ = ["SAMPLERS", "STOCHASTIC", "generate", "guided_velocity", "model_apply", "time_grid"]
