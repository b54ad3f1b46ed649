"""A training work directory: what was trained on what, its checkpoints, and loading the result back.

    W/config.yaml      the resolved DiffusionConfig
    W/spec.json        what the network was built for: latent shape, condition, latent statistics, autoencoder
    W/metrics.jsonl    one line per log interval
    W/checkpoints/N/   orbax: "state" (step, params, optimizer state, EMA) and "data" (the Grain iterator state)
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from flax import nnx

from framesift.config import DiffusionConfig, config_to_yaml, load_config
from model.networks import DiT
from model.training.data import TrainingSet


@dataclass
class ModelSpec:
    latent_shape: list[int]
    condition: str                  # label | embedding | none
    num_classes: int
    embedding_dim: int
    latent_mean: list[float]
    latent_std: list[float]
    autoencoder: Optional[str]
    autoencoder_loader: Optional[str]
    class_names: list[str] = field(default_factory=list)

    @classmethod
    def for_data(cls, data: TrainingSet, condition: str) -> "ModelSpec":
        if condition == "auto":
            condition = "label" if data.num_classes else ("embedding" if data.embedding_dim else "none")
        if condition == "label" and not data.num_classes:
            raise ValueError("condition 'label' but the training set has no labels")
        if condition == "embedding" and not data.embedding_dim:
            raise ValueError("condition 'embedding' but the training set has no embeddings")
        mean, std = data.stats()
        return cls(list(data.latent_shape), condition, data.num_classes if condition == "label" else 0,
                   data.embedding_dim if condition == "embedding" else 0, mean.tolist(), std.tolist(),
                   data.autoencoder, data.autoencoder_loader, list(data.class_names))


def build_model(cfg: DiffusionConfig, spec: ModelSpec, seed: int) -> DiT:
    a = cfg.arch
    return DiT(tuple(spec.latent_shape), patch_size=a.patch_size, patch_frames=a.patch_frames,
               hidden_size=a.hidden_size, depth=a.depth, num_heads=a.num_heads, mlp_ratio=a.mlp_ratio,
               num_classes=spec.num_classes, embedding_dim=spec.embedding_dim,
               dtype=jnp.bfloat16 if a.dtype == "bfloat16" else jnp.float32, rngs=nnx.Rngs(seed))


def write_spec(workdir: str, cfg: DiffusionConfig, spec: ModelSpec) -> None:
    """First run: write config + spec. A resumed run must have been started with the same ones."""
    os.makedirs(workdir, exist_ok=True)
    spec_path, cfg_path = os.path.join(workdir, "spec.json"), os.path.join(workdir, "config.yaml")
    spec_text, cfg_text = json.dumps(asdict(spec), indent=1), config_to_yaml(cfg)
    if os.path.exists(spec_path):
        with open(spec_path) as f:
            old_spec = f.read()
        with open(cfg_path) as f:
            old_cfg = f.read()
        if old_spec != spec_text or old_cfg != cfg_text:
            raise FileExistsError(f"{workdir} holds a run with a different config or data spec; resume it with the "
                                  "same ones or pick another --workdir")
        return
    for path, text in ((cfg_path, cfg_text), (spec_path, spec_text)):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


def read_run(workdir: str) -> tuple[DiffusionConfig, ModelSpec]:
    spec_path = os.path.join(workdir, "spec.json")
    if not os.path.exists(spec_path):
        raise FileNotFoundError(f"{workdir} is not a training work directory (no spec.json)")
    with open(spec_path) as f:
        spec = ModelSpec(**json.load(f))
    return load_config("diffusion", os.path.join(workdir, "config.yaml")), spec


def checkpoint_manager(workdir: str, keep: int) -> ocp.CheckpointManager:
    return ocp.CheckpointManager(os.path.abspath(os.path.join(workdir, "checkpoints")),
                                 options=ocp.CheckpointManagerOptions(max_to_keep=keep, create=True),
                                 item_names=("state", "data"))


def load_trained(workdir: str, use_ema: bool = True, step: Optional[int] = None):
    """(model with the trained (EMA) weights, config, spec, step) from the latest (or given) checkpoint."""
    cfg, spec = read_run(workdir)
    model = build_model(cfg, spec, cfg.train.seed)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    mngr = checkpoint_manager(workdir, cfg.train.keep_checkpoints)
    step = mngr.latest_step() if step is None else step
    if step is None:
        raise FileNotFoundError(f"{workdir} has no checkpoint yet")
    which = "ema" if use_ema else "params"
    # restore just the weights: the optimizer state is not needed to sample
    device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
    target = {which: jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device),
                                  nnx.to_pure_dict(params))}
    restored = mngr.restore(step, args=ocp.args.Composite(state=ocp.args.PyTreeRestore(
        item=target, restore_args=ocp.checkpoint_utils.construct_restore_args(target), partial_restore=True)))
    mngr.close()
    nnx.replace_by_pure_dict(params, restored["state"][which])
    return nnx.merge(graphdef, params, rest), cfg, spec, step


def latents_to_numpy(x) -> np.ndarray:
    return np.asarray(jax.device_get(x), np.float32)
