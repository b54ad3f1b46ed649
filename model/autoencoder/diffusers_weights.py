"""Fill an NNX autoencoder with a diffusers state dict (numpy), checking that every weight is used exactly once.

The NNX modules use diffusers' attribute names, so a parameter path maps to its state-dict key by a few rules:
the leaf name (`kernel`/`scale` -> `weight`), two renamed containers (`to_out` -> `to_out.0`, Wan's
`resample_conv` -> `resample.1`), and the layout change (PyTorch OIHW / OIDHW / (out, in) -> channels-last).
Older SD checkpoints name the attention weights `query/key/value/proj_attn` (sometimes as 1x1 convs); both
spellings load.
"""
from __future__ import annotations

import numpy as np
from flax import nnx

from model.autoencoder.build import abstract_autoencoder
from model.autoencoder.diffusers_folder import ConversionError

_LEAF = {"kernel": "weight", "scale": "weight", "bias": "bias", "gamma": "gamma"}
_CONTAINER = {"to_out": "to_out.0", "resample_conv": "resample.1"}
_LEGACY_ATTENTION = {"to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"}


def diffusers_key(path: tuple) -> str:
    *modules, leaf = path
    parts = [_CONTAINER.get(str(m), str(m)) for m in modules]
    return ".".join(parts + [_LEAF[leaf]])


def _candidates(key: str) -> list[str]:
    keys = [key]
    for new, old in _LEGACY_ATTENTION.items():
        if f".{new}." in key:
            keys.append(key.replace(f".{new}.", f".{old}."))
    return keys


def to_channels_last(value: np.ndarray, shape: tuple) -> np.ndarray:
    """PyTorch layout -> the NNX parameter's layout (`shape`)."""
    if len(shape) == 2 and value.ndim == 4:         # legacy attention stored as a 1x1 conv
        value = value[:, :, 0, 0]
    if len(shape) == 1:
        value = value.reshape(-1)                   # Wan's RMS-norm gammas are (C, 1, 1[, 1])
    elif len(shape) == 2:
        value = value.T
    elif len(shape) == 4:
        value = value.transpose(2, 3, 1, 0)
    elif len(shape) == 5:
        value = value.transpose(2, 3, 4, 1, 0)
    return value


def load_diffusers_weights(config, weights: dict[str, np.ndarray], dtype=None):
    """A module of `config`'s architecture holding `weights`. Raises ConversionError when a parameter is missing,
    has the wrong shape, or a weight in the file has no place in the architecture."""
    import jax.numpy as jnp

    model = abstract_autoencoder(config, dtype or jnp.float32)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    flat = nnx.to_flat_state(params)
    used, missing, problems, filled = set(), {}, [], []
    for path, variable in flat:
        shape = tuple(variable.get_value().shape)
        key = diffusers_key(path)
        source = next((k for k in _candidates(key) if k in weights), None)
        if source is None:
            missing.setdefault(key.rsplit(".", 2)[0], []).append(key)
            filled.append((path, variable))
            continue
        value = to_channels_last(weights[source], shape)
        if tuple(value.shape) != shape:
            problems.append(f"{source}: shape {tuple(weights[source].shape)} does not fit {shape}")
        used.add(source)
        filled.append((path, variable.replace(jnp.asarray(value, jnp.float32))))
    if missing:
        count = sum(len(keys) for keys in missing.values())
        problems.insert(0, f"missing {count} weights of {', '.join(sorted(missing)[:4])}"
                           + (f" and {len(missing) - 4} more modules" if len(missing) > 4 else ""))
    unused = sorted(set(weights) - used)
    if unused:
        problems.append(f"{len(unused)} weights the architecture has no place for, e.g. {unused[:3]}")
    if problems:
        raise ConversionError("weights do not match the config's architecture: " + "; ".join(problems[:6])
                              + (f" (+{len(problems) - 6} more)" if len(problems) > 6 else ""))
    return nnx.merge(graphdef, nnx.from_flat_state(filled), rest)
