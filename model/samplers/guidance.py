"""Classifier-free guidance (Ho & Salimans 2022), with an optional guidance interval (Kynkäänniemi et al. 2024).

    v = v_cond + w * (v_cond - v_uncond)

w = 0 is the plain conditional model (no guidance), and w grows the push away from the unconditional prediction
(Ho & Salimans' w; Stable Diffusion's "scale" is 1 + w). With an interval (t_lo, t_hi), guidance is applied only
while t lies in it: guiding at high noise mostly costs diversity, guiding at the very end changes little.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import jax
import jax.numpy as jnp

# apply_fn(x, t, cond, drop) -> velocity; cond is a dict of batched condition arrays, drop (B,) bool
ApplyFn = Callable[[jax.Array, jax.Array, dict, jax.Array], jax.Array]


def guided_velocity(apply_fn: ApplyFn, cond: dict, guidance: float, conditional: bool = True,
                    interval: Optional[tuple[float, float]] = None) -> Callable[[jax.Array, Any], jax.Array]:
    """A velocity field v(x, t) (t a scalar) for sampling with condition `cond` at guidance scale `guidance`.
    Both halves go through the network in one batch."""
    def velocity(x, t):
        b = x.shape[0]
        tb = jnp.full((b,), t, jnp.float32)
        if not conditional or guidance == 0:
            return apply_fn(x, tb, cond, jnp.zeros((b,), bool))
        both = apply_fn(jnp.concatenate([x, x]), jnp.concatenate([tb, tb]),
                        jax.tree.map(lambda a: jnp.concatenate([a, a]), cond),
                        jnp.concatenate([jnp.zeros((b,), bool), jnp.ones((b,), bool)]))
        v_cond, v_uncond = both[:b], both[b:]
        w = jnp.asarray(guidance, jnp.float32)
        if interval is not None:
            w = jnp.where((t >= interval[0]) & (t <= interval[1]), w, 0.0)
        return v_cond + w * (v_cond - v_uncond)
    return velocity
