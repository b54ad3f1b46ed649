"""Pick the module class for an architecture config, and build one with random or abstract weights."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from flax import nnx

from framesift.config.autoencoder import ARCHS, KLArch, WanArch
from framesift.config.typed import from_dict, to_dict


def autoencoder_class(config):
    if isinstance(config, KLArch):
        from model.autoencoder.kl import KLAutoencoder
        return KLAutoencoder
    if isinstance(config, WanArch):
        from model.autoencoder.wan import WanAutoencoder
        return WanAutoencoder
    raise TypeError(f"not an autoencoder architecture: {config!r}")


def abstract_autoencoder(config, dtype=jnp.float32):
    """The module with shapes but no weights: the target that conversion and checkpoint restore fill in."""
    return nnx.eval_shape(lambda: autoencoder_class(config)(config, rngs=nnx.Rngs(0), dtype=dtype))


def host_initialized(abstract_module, seed: int = 0):
    """`abstract_module` (from nnx.eval_shape) with weights drawn on the host with numpy: LeCun-normal kernels,
    zero biases, unit norm scales (Flax's defaults). Initialising through XLA instead compiles one random-number
    kernel per parameter shape, tens of seconds on a busy CPU before any training starts."""
    rng = np.random.default_rng(seed)
    graphdef, params, rest = nnx.split(abstract_module, nnx.Param, ...)
    filled = []
    for path, variable in nnx.to_flat_state(params):
        shape = variable.get_value().shape
        if path[-1] == "kernel":
            value = rng.standard_normal(shape, dtype=np.float32) / np.sqrt(int(np.prod(shape[:-1])))
        elif path[-1] == "bias":
            value = np.zeros(shape, np.float32)
        else:                                   # GroupNorm scale, RMS-norm gamma
            value = np.ones(shape, np.float32)
        filled.append((path, variable.replace(jnp.asarray(value))))
    return nnx.merge(graphdef, nnx.from_flat_state(filled), rest)


def build_autoencoder(config, seed: int = 0, dtype=jnp.float32):
    """A freshly initialised autoencoder (tests, the demo, training from scratch)."""
    return host_initialized(abstract_autoencoder(config, dtype), seed)


def arch_from_dict(data: dict):
    """`{"kind": "kl" | "wan", ...}` -> KLArch / WanArch, validated like any framesift config."""
    kind = data.get("kind", "kl")
    if kind not in ARCHS:
        raise ValueError(f"unknown autoencoder kind {kind!r} (known: {', '.join(ARCHS)})")
    return from_dict(ARCHS[kind], data, "arch")


def arch_to_dict(config) -> dict:
    return to_dict(config)
