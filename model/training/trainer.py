"""The diffusion trainer: one loop, everything else it needs lives beside it (data, mesh, run_dir).

Determinism (so a resumed run matches an uninterrupted one): step k's randomness (condition dropout, t, noise) is
fold_in(seed key, k), and the checkpoint holds the Grain iterator position beside the weights, optimizer state and
EMA, so after a restart the same step sees the same batch with the same noise.
"""
from __future__ import annotations

import json
import os
import time
from typing import Optional

import grain
import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
from flax import nnx
from tqdm.auto import tqdm

from framesift.config import DiffusionConfig
from model.interfaces import RectifiedFlow
from model.samplers import model_apply
from model.training import mesh as meshlib
from model.training.data import TrainingSet
from model.training.run_dir import ModelSpec, build_model, checkpoint_manager, write_spec


def learning_rate_schedule(cfg: DiffusionConfig) -> optax.Schedule:
    t = cfg.train
    if t.decay == "constant":
        return optax.join_schedules([optax.linear_schedule(0.0, t.learning_rate, max(t.warmup_steps, 1)),
                                     optax.constant_schedule(t.learning_rate)], [max(t.warmup_steps, 1)])
    return optax.warmup_cosine_decay_schedule(0.0, t.learning_rate, max(t.warmup_steps, 1),
                                              decay_steps=max(t.steps, t.warmup_steps + 1),
                                              end_value=t.learning_rate * t.min_lr_ratio)


def make_optimizer(cfg: DiffusionConfig) -> optax.GradientTransformation:
    parts = [optax.clip_by_global_norm(cfg.train.grad_clip)] if cfg.train.grad_clip > 0 else []
    parts.append(optax.adamw(learning_rate_schedule(cfg), b1=0.9, b2=0.999, weight_decay=cfg.train.weight_decay))
    return optax.chain(*parts)


def objective_for(cfg: DiffusionConfig) -> RectifiedFlow:
    return RectifiedFlow(t_mean=cfg.objective.t_mean, t_std=cfg.objective.t_std)


def make_train_step(cfg: DiffusionConfig, graphdef, rest, tx, objective: RectifiedFlow, conditional: bool,
                    prepare_latents=lambda batch, key: batch["latent"]):
    """step(params, opt_state, ema, batch, step) -> (params, opt_state, ema, metrics); pure, jit-able.
    prepare_latents(batch, key) turns the batch's latents into the normalised float32 the network trains on."""
    base_key = jax.random.key(cfg.train.seed)
    p_drop, ema_decay = cfg.cond_dropout, cfg.train.ema_decay

    def step_fn(params, opt_state, ema, batch, step):
        drop_key, loss_key, latent_key = jax.random.split(jax.random.fold_in(base_key, step), 3)
        x0 = prepare_latents({k: v for k, v in batch.items() if k in ("latent", "latent_logvar")}, latent_key)
        cond = {k: v for k, v in batch.items() if k in ("label", "embedding")}
        drop = jnp.zeros((x0.shape[0],), bool)
        if conditional:
            # examples without a condition train the null condition only
            drop = ~batch["cond_valid"] | (jax.random.bernoulli(drop_key, p_drop, drop.shape) if p_drop else drop)

        def loss_fn(p):
            apply = model_apply(nnx.merge(graphdef, p, rest))
            return objective.loss(lambda x, t, c: apply(x, t, c, drop), x0, cond, loss_key)

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        ema = jax.tree.map(lambda e, p: ema_decay * e + (1.0 - ema_decay) * p, ema, params)
        return params, opt_state, ema, {"loss": loss, "grad_norm": optax.tree.norm(grads)}
    return step_fn


class _Meter:
    """Loss and timing over one log interval; device values are fetched only when the interval closes."""

    def __init__(self):
        self.losses, self.grad_norms, self.data_wait, self.started = [], [], 0.0, time.perf_counter()

    def close(self, step: int, lr: float, examples_per_step: int) -> dict:
        losses = np.asarray(jax.device_get(self.losses), np.float64)   # waits for the interval's last step
        wall = time.perf_counter() - self.started
        return {"step": step, "loss": float(losses.mean()), "losses": [float(x) for x in losses],
                "grad_norm": float(np.mean(jax.device_get(self.grad_norms))), "lr": lr,
                "step_time_s": wall / len(losses), "examples_per_s": examples_per_step * len(losses) / wall,
                "data_wait_fraction": self.data_wait / wall}


def train(cfg: DiffusionConfig, data: TrainingSet, workdir: str, *, stop_at: Optional[int] = None,
          progress: bool = True, measure_flops: bool = False) -> dict:
    """Train (or resume) in `workdir` up to cfg.train.steps, or only up to `stop_at` (a checkpoint is written
    there; the schedule is still the full run's). Returns the last logged metrics plus totals (and, with
    measure_flops, XLA's count of the compiled step's floating-point operations, "flops_per_step")."""
    meshlib.maybe_initialize_distributed()
    spec = ModelSpec.for_data(data, cfg.condition)
    if jax.process_index() == 0:
        write_spec(workdir, cfg, spec)
    mesh = meshlib.make_mesh()
    n_proc = jax.process_count()
    if cfg.train.batch_size % mesh.size or cfg.train.batch_size % n_proc:
        raise ValueError(f"train.batch_size {cfg.train.batch_size} must be divisible by the {mesh.size} devices")
    model = build_model(cfg, spec, cfg.train.seed)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    tx = make_optimizer(cfg)
    state = {"step": np.array(0, np.int64), "params": nnx.to_pure_dict(params),
             "ema": jax.tree.map(np.array, nnx.to_pure_dict(params))}   # a copy: params and EMA are donated apart
    state["opt_state"] = tx.init(state["params"])
    shardings = {"step": meshlib.replicated(mesh),
                 **{k: meshlib.tree_shardings(mesh, state[k], cfg.train.fsdp) for k in ("params", "ema", "opt_state")}}

    it = iter(data.dataset(spec.condition, local_batch=cfg.train.batch_size // n_proc, seed=cfg.train.seed,
                           shard_index=jax.process_index(), shard_count=n_proc, threads=cfg.train.data_threads,
                           prefetch=cfg.train.prefetch))
    mngr = checkpoint_manager(workdir, cfg.train.keep_checkpoints)
    if mngr.latest_step() is not None:
        abstract = jax.tree.map(lambda x, s: jax.ShapeDtypeStruct(np.shape(x), np.asarray(x).dtype, sharding=s),
                                state, shardings)
        restored = mngr.restore(mngr.latest_step(), args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract), data=grain.checkpoint.CheckpointRestore(it)))
        state = restored["state"]
    state = jax.device_put(state, shardings)
    start = int(state["step"])

    step_fn = make_train_step(cfg, graphdef, rest, tx, objective_for(cfg), spec.num_classes or spec.embedding_dim,
                              data.device_latents)
    sh = [shardings[k] for k in ("params", "opt_state", "ema")]
    jitted = jax.jit(step_fn, in_shardings=(*sh, meshlib.batch_sharding(mesh), None),
                     out_shardings=(*sh, meshlib.replicated(mesh)), donate_argnums=(0, 1, 2))
    schedule = learning_rate_schedule(cfg)
    end = min(cfg.train.steps, stop_at if stop_at is not None else cfg.train.steps)
    params, opt_state, ema = state["params"], state["opt_state"], state["ema"]
    metrics_path = os.path.join(workdir, "metrics.jsonl")
    bar = tqdm(total=end, initial=start, desc="train", disable=not progress or jax.process_index() != 0,
               dynamic_ncols=True)
    meter, last, batch_sharding = _Meter(), {}, meshlib.batch_sharding(mesh)
    flops = None
    for step in range(start, end):
        waited = time.perf_counter()
        batch = meshlib.global_batch(next(it), batch_sharding)
        meter.data_wait += time.perf_counter() - waited
        if measure_flops and flops is None:
            cost = jitted.lower(params, opt_state, ema, batch, np.int32(step)).compile().cost_analysis()
            flops = float((cost[0] if isinstance(cost, list) else cost).get("flops", 0.0))
        params, opt_state, ema, m = jitted(params, opt_state, ema, batch, np.int32(step))
        meter.losses.append(m["loss"])
        meter.grad_norms.append(m["grad_norm"])
        done = step + 1
        if done % cfg.train.log_every == 0 or done == end:
            last = meter.close(done, float(schedule(step)), cfg.train.batch_size)
            if jax.process_index() == 0:
                with open(metrics_path, "a") as f:
                    f.write(json.dumps(last) + "\n")
            bar.set_postfix(loss=f"{last['loss']:.4f}")
            meter = _Meter()
        bar.update(1)
        if done % cfg.train.checkpoint_every == 0 or done == end:
            mngr.save(done, args=ocp.args.Composite(
                state=ocp.args.StandardSave({"step": np.array(done, np.int64), "params": params,
                                             "opt_state": opt_state, "ema": ema}),
                data=grain.checkpoint.CheckpointSave(it)))
    bar.close()
    mngr.wait_until_finished()
    mngr.close()
    return {**last, "start_step": start, "end_step": end, "devices": mesh.size, "flops_per_step": flops}
