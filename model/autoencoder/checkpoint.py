"""A framesift autoencoder checkpoint: a directory with `autoencoder.json` (architecture, latent statistics,
provenance) and `params/` (orbax, float32 weights).

    CKPT/autoencoder.json   {"format": "framesift.autoencoder", "version": 1, "arch": {...}, "source": {...}}
    CKPT/params/            orbax StandardCheckpointer tree of the module's nnx.Param state
"""
from __future__ import annotations

import json
import os
import shutil
from typing import Optional

import jax.numpy as jnp
from flax import nnx

from model.autoencoder.build import abstract_autoencoder, arch_from_dict, arch_to_dict

FORMAT = "framesift.autoencoder"
VERSION = 1
CONFIG_FILE = "autoencoder.json"
PARAMS_DIR = "params"


def read_checkpoint_config(path: str) -> dict:
    meta_path = os.path.join(path, CONFIG_FILE)
    if not os.path.exists(meta_path):
        raise FileNotFoundError(f"{path} is not a framesift autoencoder checkpoint (no {CONFIG_FILE}); "
                                f"convert diffusers weights with `framesift convert-vae`")
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise ValueError(f"{meta_path}: format {meta.get('format')!r} version {meta.get('version')!r} is not "
                         f"{FORMAT!r} version {VERSION}")
    return meta


def save_autoencoder(ae, path: str, source: Optional[dict] = None, overwrite: bool = False) -> str:
    """Write `ae` to the directory `path` (which must not exist unless `overwrite`); returns the absolute path.
    Written to a temporary sibling and renamed, so a crash never leaves a half checkpoint under `path`."""
    import orbax.checkpoint as ocp

    path = os.path.abspath(path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists (pass overwrite to replace it)")
    tmp = f"{path}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    params = nnx.state(ae, nnx.Param)
    checkpointer = ocp.StandardCheckpointer()
    checkpointer.save(os.path.join(tmp, PARAMS_DIR), params)
    checkpointer.wait_until_finished()
    meta = {"format": FORMAT, "version": VERSION, "arch": arch_to_dict(ae.config), "source": source or {}}
    with open(os.path.join(tmp, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    if os.path.exists(path):
        shutil.rmtree(path)
    os.replace(tmp, path)
    return path


def load_autoencoder(path: str, dtype=jnp.float32):
    """The autoencoder saved at `path`, computing in `dtype` (weights stay float32)."""
    import orbax.checkpoint as ocp

    path = os.path.abspath(path)
    config = arch_from_dict(read_checkpoint_config(path)["arch"])
    graphdef, abstract_params, rest = nnx.split(abstract_autoencoder(config, dtype), nnx.Param, ...)
    params = ocp.StandardCheckpointer().restore(os.path.join(path, PARAMS_DIR), abstract_params)
    return nnx.merge(graphdef, params, rest)
