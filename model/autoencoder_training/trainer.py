"""The autoencoder trainer: L1 + (1 - SSIM) + KL, an optional PatchGAN after a warm-up, AdamW; periodic eval;
orbax checkpoints holding the Grain iterator, so a killed run restarts where its last checkpoint left off and then
matches an uninterrupted run (step k's posterior noise is fold_in(seed, k)).

    W/config.yaml        the resolved AutoencoderConfig          W/run.json     data counts, init checkpoint
    W/metrics.jsonl      one line per log interval               W/eval.jsonl   one line per eval (+ W/eval/*.png)
    W/checkpoints/N/     orbax: "state" and "data"               W/autoencoder/ the latest weights as a framesift
                                                                                autoencoder checkpoint
"""
from __future__ import annotations

import json
import os
import time
from typing import Callable, Optional

import grain
import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
from flax import nnx
from tqdm.auto import tqdm

from framesift.config import config_to_yaml
from framesift.config.autoencoder import AutoencoderConfig
from model.autoencoder import build_autoencoder, load_autoencoder, sample_posterior, save_autoencoder
from model.autoencoder_training import losses
from model.autoencoder_training.data import (FrameSource, eval_images, frame_records, read_approved, split_items,
                                             to_model_input, training_batches)
from model.autoencoder_training.discriminator import build_discriminator
from model.autoencoder_training.evaluation import write_eval


def make_optimizer(learning_rate: float, cfg: AutoencoderConfig) -> optax.GradientTransformation:
    t = cfg.train
    schedule = optax.warmup_cosine_decay_schedule(0.0, learning_rate, max(t.warmup_steps, 1),
                                                  decay_steps=max(t.steps, t.warmup_steps + 1),
                                                  end_value=learning_rate * 0.1)
    parts = [optax.clip_by_global_norm(t.grad_clip)] if t.grad_clip > 0 else []
    return optax.chain(*parts, optax.adamw(schedule, b1=0.5 if cfg.loss.disc_weight > 0 else 0.9, b2=0.999,
                                           weight_decay=t.weight_decay))


def make_train_step(cfg: AutoencoderConfig, graphdef, rest, tx, disc_graphdef, disc_tx, adversarial: bool):
    """step(state, x, step) -> (state, metrics); `adversarial` adds the generator term and the discriminator
    update (a separate compiled step, used from loss.disc_start on)."""
    w, base_key = cfg.loss, jax.random.key(cfg.train.seed)

    def ae_loss(params, disc_params, x, key):
        ae = nnx.merge(graphdef, params, rest)
        mean, logvar = ae.encode(x)
        recon = ae.decode(sample_posterior(mean, logvar, key))
        l1 = jnp.mean(jnp.abs(x - recon))
        ssim = jnp.mean(losses.ssim(x, recon))
        kl = losses.kl_divergence(mean, logvar)
        total = w.l1_weight * l1 + w.ssim_weight * (1.0 - ssim) + w.kl_weight * kl
        metrics = {"l1": l1, "ssim": ssim, "kl": kl}
        if adversarial:
            g = losses.generator_adversarial_loss(nnx.merge(disc_graphdef, disc_params)(recon))
            total = total + w.disc_weight * g
            metrics["g_adv"] = g
        return total, (metrics, recon)

    def disc_loss(disc_params, x, recon):
        disc = nnx.merge(disc_graphdef, disc_params)
        return losses.hinge_discriminator_loss(disc(x), disc(jax.lax.stop_gradient(recon)))

    def step_fn(state, x, step):
        key = jax.random.fold_in(base_key, step)
        (loss, (metrics, recon)), grads = jax.value_and_grad(ae_loss, has_aux=True)(
            state["params"], state.get("disc_params"), x, key)
        updates, opt_state = tx.update(grads, state["opt_state"], state["params"])
        state = {**state, "params": optax.apply_updates(state["params"], updates), "opt_state": opt_state}
        metrics = {**metrics, "loss": loss, "grad_norm": optax.tree.norm(grads)}
        if adversarial:
            d_loss, d_grads = jax.value_and_grad(disc_loss)(state["disc_params"], x, recon)
            d_updates, d_opt = disc_tx.update(d_grads, state["disc_opt_state"], state["disc_params"])
            state = {**state, "disc_params": optax.apply_updates(state["disc_params"], d_updates),
                     "disc_opt_state": d_opt}
            metrics["d_loss"] = d_loss
        return state, metrics
    return step_fn


def evaluate(ae_of: Callable, params, images_u8: np.ndarray, batch_size: int):
    """(inputs, reconstructions of the posterior mean, PSNR per image, SSIM per image)."""
    recon_fn = jax.jit(lambda p, x: _reconstruct(ae_of(p), x))
    inputs = to_model_input(images_u8)
    outs, psnrs, ssims = [], [], []
    for i in range(0, len(inputs), batch_size):
        x = jnp.asarray(inputs[i:i + batch_size])
        recon = recon_fn(params, x)
        outs.append(np.asarray(recon))
        psnrs.append(np.asarray(losses.psnr(x, recon)))
        ssims.append(np.asarray(losses.ssim(x, recon)))
    return inputs, np.concatenate(outs), np.concatenate(psnrs), np.concatenate(ssims)


def _reconstruct(ae, x):
    return ae.decode(ae.encode(x)[0])


def _evaluated_steps(workdir: str) -> set[int]:
    path = os.path.join(workdir, "eval.jsonl")
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {json.loads(line)["step"] for line in f if line.strip()}


def train(cfg: AutoencoderConfig, data_path: str, workdir: str, read_frame, *, init: Optional[str] = None,
          stop_at: Optional[int] = None, time_limit_s: Optional[float] = None, progress: bool = True) -> dict:
    """Train (or resume) in `workdir` up to cfg.train.steps (or `stop_at`, or the step that is running when
    `time_limit_s` of training has passed); returns the last metrics and evals."""
    os.makedirs(workdir, exist_ok=True)
    init = init or cfg.init_checkpoint
    train_rows, eval_rows = split_items(read_approved(data_path), cfg.data.eval_items)
    size, fpc = cfg.data.image_size, cfg.data.frames_per_clip
    train_source = FrameSource(frame_records(train_rows, fpc), read_frame, size)
    eval_u8 = eval_images(FrameSource(frame_records(eval_rows, fpc), read_frame, size))
    ae = load_autoencoder(init) if init else build_autoencoder(cfg.arch, cfg.train.seed)
    if size % ae.config.downsample_factor:
        raise ValueError(f"data.image_size {size} is not a multiple of the downsampling {ae.config.downsample_factor}")
    with open(os.path.join(workdir, "config.yaml"), "w") as f:
        f.write(config_to_yaml(cfg))
    with open(os.path.join(workdir, "run.json"), "w") as f:
        json.dump({"data": os.path.abspath(data_path), "init_checkpoint": init, "train_items": len(train_rows),
                   "train_pictures": len(train_source), "eval_items": len(eval_rows),
                   "eval_pictures": int(len(eval_u8))}, f, indent=1)

    graphdef, params, rest = nnx.split(ae, nnx.Param, ...)
    tx = make_optimizer(cfg.train.learning_rate, cfg)
    state = {"step": np.array(0, np.int64), "params": nnx.to_pure_dict(params)}
    state["opt_state"] = tx.init(state["params"])
    disc_graphdef = disc_tx = None
    if cfg.loss.disc_weight > 0:
        disc_graphdef, disc_params = nnx.split(build_discriminator(cfg.loss.disc_channels, cfg.loss.disc_layers,
                                                                   cfg.train.seed + 1))
        disc_tx = optax.adamw(cfg.loss.disc_learning_rate, b1=0.5, b2=0.999)
        state["disc_params"] = nnx.to_pure_dict(disc_params)
        state["disc_opt_state"] = disc_tx.init(state["disc_params"])

    it = training_batches(train_source, cfg.train.batch_size, cfg.train.seed, cfg.data.threads)
    mngr = ocp.CheckpointManager(os.path.abspath(os.path.join(workdir, "checkpoints")),
                                 options=ocp.CheckpointManagerOptions(max_to_keep=cfg.train.keep_checkpoints,
                                                                      create=True), item_names=("state", "data"))
    if mngr.latest_step() is not None:
        abstract = jax.tree.map(lambda v: jax.ShapeDtypeStruct(np.shape(v), np.asarray(v).dtype), state)
        restored = mngr.restore(mngr.latest_step(), args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract), data=grain.checkpoint.CheckpointRestore(it)))
        state = restored["state"]
    state = jax.device_put(state)
    start = int(state["step"])
    end = min(cfg.train.steps, stop_at if stop_at is not None else cfg.train.steps)

    ae_of = lambda p: nnx.merge(graphdef, p, rest)  # noqa: E731
    evals = []

    def run_eval(step, params_now):
        if len(eval_u8) and step not in _evaluated_steps(workdir):
            evals.append(write_eval(workdir, step, *evaluate(ae_of, params_now, eval_u8, cfg.train.batch_size)))

    if start == 0:
        run_eval(0, state["params"])     # the baseline every later eval is compared with
    steps = {adv: jax.jit(make_train_step(cfg, graphdef, rest, tx, disc_graphdef, disc_tx, adv), donate_argnums=0)
             for adv in ({False, True} if disc_tx else {False})}
    bar = tqdm(total=end, initial=start, desc="train-autoencoder", disable=not progress, dynamic_ncols=True)
    window, last, started = [], {}, time.perf_counter()
    deadline = None
    for step in range(start, end):
        x = jnp.asarray(to_model_input(next(it)["image"]))
        state, metrics = steps[bool(disc_tx) and step >= cfg.loss.disc_start](state, x, np.int32(step))
        window.append(metrics)
        done = step + 1
        if time_limit_s is not None and deadline is None:
            deadline = time.monotonic() + time_limit_s     # counted from the first step: compiling is not training
        if deadline is not None and time.monotonic() > deadline:
            end = done                  # out of time: this step is the last, with its log, eval and checkpoint
        if done % cfg.train.log_every == 0 or done == end:
            means = {k: float(np.mean([m[k] for m in jax.device_get(window)])) for k in window[-1]}
            wall = time.perf_counter() - started
            last = {"step": done, **means, "step_time_s": wall / len(window),
                    "images_per_s": cfg.train.batch_size * len(window) / wall}
            with open(os.path.join(workdir, "metrics.jsonl"), "a") as f:
                f.write(json.dumps(last) + "\n")
            bar.set_postfix(loss=f"{last['loss']:.4f}", l1=f"{last['l1']:.4f}")
            window, started = [], time.perf_counter()
        bar.update(1)
        if done % cfg.train.eval_every == 0 or done == end:
            run_eval(done, state["params"])
        if done % cfg.train.checkpoint_every == 0 or done == end:
            mngr.save(done, args=ocp.args.Composite(state=ocp.args.StandardSave({**state, "step": np.array(
                done, np.int64)}), data=grain.checkpoint.CheckpointSave(it)))
            state["step"] = np.array(done, np.int64)
        if done == end:
            break
    bar.close()
    mngr.wait_until_finished()
    mngr.close()
    save_autoencoder(ae_of(state["params"]), os.path.join(workdir, "autoencoder"), overwrite=True,
                     source={"trained_in": os.path.abspath(workdir), "step": end, "init_checkpoint": init})
    return {"start_step": start, "end_step": end, "last_metrics": last, "evals": evals}
