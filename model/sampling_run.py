"""Sample a trained work directory to a file (what `framesift sample` and the demo call)."""
from __future__ import annotations

from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from model.sample_output import decode, load_autoencoder, write_samples
from model.samplers import generate
from model.training.run_dir import load_trained
from model.training.shards import DEFAULT_AUTOENCODER_LOADER
from model.training.trainer import objective_for


def conditions(spec, num: int, labels: Optional[Sequence[int]] = None) -> dict:
    """Class labels cycled 0..K-1 (or the given ones, cycled) for a class-conditional model; {} otherwise.
    An embedding-conditioned model samples its null condition here (no embeddings to condition on)."""
    if spec.condition == "label":
        chosen = list(labels) if labels else list(range(spec.num_classes))
        bad = [l for l in chosen if not 0 <= l < spec.num_classes]
        if bad:
            raise ValueError(f"labels {bad} are outside 0..{spec.num_classes - 1}")
        return {"label": jnp.asarray([chosen[i % len(chosen)] for i in range(num)], jnp.int32)}
    if spec.condition == "embedding":
        return {"embedding": jnp.zeros((num, spec.embedding_dim), jnp.float32)}
    return {}


def sample_latents(model, cfg, spec, num: int, *, guidance=None, steps=None, sampler=None, interval=None,
                   labels=None, seed: int = 0) -> np.ndarray:
    s = cfg.sampling
    guidance = s.guidance if guidance is None else guidance
    interval = interval if interval is not None else s.guidance_interval
    cond = conditions(spec, num, labels)
    if spec.condition == "embedding":
        guidance = 0.0      # null condition on both halves: guidance would change nothing
    out = generate(model, objective_for(cfg), cond, jax.random.key(seed), num=num, sampler=sampler or s.sampler,
                   steps=steps or s.steps, guidance=guidance, interval=interval, shift=s.shift)
    return np.asarray(jax.device_get(out), np.float32)


def sample_to_file(workdir: str, output: str, *, num: int = 16, guidance=None, steps=None, sampler=None,
                   interval=None, labels=None, seed: int = 0, use_ema: bool = True,
                   autoencoder: Optional[str] = None) -> tuple[list[str], dict]:
    model, cfg, spec, step = load_trained(workdir, use_ema=use_ema)
    latents = sample_latents(model, cfg, spec, num, guidance=guidance, steps=steps, sampler=sampler,
                             interval=interval, labels=labels, seed=seed)
    ckpt = autoencoder or spec.autoencoder
    ae = load_autoencoder(ckpt, spec.autoencoder_loader or DEFAULT_AUTOENCODER_LOADER) if ckpt else None
    written = write_samples(decode(latents, spec, ae), output,
                            columns=spec.num_classes if spec.condition == "label" and num >= spec.num_classes
                            else None)
    info = {"step": step, "sampler": sampler or cfg.sampling.sampler, "steps": steps or cfg.sampling.steps,
            "guidance": cfg.sampling.guidance if guidance is None else guidance,
            "decoded": f"decoded by {ckpt}" if ckpt else "pixel-space latents"}
    return written, info
