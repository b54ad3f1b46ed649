"""Beam RunInference ModelHandler for the JAX autoencoder (model/autoencoder's contract), and the batch encoder
the handler, the benchmark's standalone baseline and the tests all call.

Each RunInference element is a whole batch the pipeline put together deterministically (one shard's items of one
bucket, sorted by item id, `batch_size` at a time), so the same inputs meet the model in the same batches on every
run and the latents come out bit for bit the same. Batches are padded to `batch_size`, so XLA compiles one program
per bucket shape. `load_model` runs once per worker (RunInference's shared handle); the model runs in the worker
process itself: no fork ever happens with JAX threads running.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
from typing import Any, Callable, Iterable, Optional, Sequence

import numpy as np
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.ml.inference.base import ModelHandler

DEFAULT_LOADER = "model.autoencoder:load_autoencoder"


def resolve_loader(spec: str) -> Callable[[str], Any]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


_LOADED: dict[tuple[str, str], Any] = {}


def local_checkpoint(path: str) -> str:
    """A local path holding the checkpoint at `path`. A gs:// checkpoint is brought into framesift's file cache
    (framesift/run_files.py, the same cache the model commands use: a folder is refreshed file by file from its
    listing, a single file downloaded once) by each worker that loads it: the loaders (orbax, safetensors) read
    local files, and on Dataflow a copy made by the launcher would not exist on the workers."""
    from framesift import run_files
    if not run_files.is_remote(path):
        return path
    return run_files.local_tree(path) if run_files.is_dir(path) else run_files.local_copy(path)


def load_once(loader: str, checkpoint: str):
    """One autoencoder per process and checkpoint: the launcher's up-front check and an in-process worker (the
    default DirectRunner) share it instead of restoring the weights twice."""
    key = (loader, checkpoint)
    if key not in _LOADED:
        _LOADED.clear()     # never hold two models' weights
        _LOADED[key] = resolve_loader(loader)(local_checkpoint(checkpoint))
    return _LOADED[key]


def checkpoint_digest(path: str) -> str:
    """sha256 over a checkpoint's files (relative name and bytes, in name order): a directory or one file, local
    or gs://. The dataset metadata records it, so shards say exactly which weights made them."""
    base = path.rstrip("/")
    try:
        inside = FileSystems.match([base + "/**"])[0].metadata_list
    except Exception:   # a plain file: nothing beneath it
        inside = []
    files = sorted(m.path for m in inside) or [base]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f[len(base):].encode() + b"\0")
        with FileSystems.open(f, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def autoencoder_config(ae) -> dict:
    cfg = ae.config
    return dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else dict(vars(cfg))


class BatchEncoder:
    """pixels (N, T, H, W, 3) uint8 -> (mean, logvar or None), each (N, T', h, w, C) float32 numpy; jitted once
    per input shape. Images (T = 1) go through `ae.encode`, clips through `ae.encode_video`."""

    def __init__(self, ae, batch_size: int):
        import jax
        self.ae, self.batch_size = ae, batch_size
        try:
            from flax import nnx
            is_nnx = isinstance(ae, nnx.Module)
        except ImportError:
            is_nnx = False
        if is_nnx:
            # weights travel as arguments, not as constants baked into the compiled program
            graphdef, state = nnx.split(ae)
            self._state = state
            self._image = jax.jit(lambda s, x: nnx.merge(graphdef, s).encode(x))
            self._video = jax.jit(lambda s, x: nnx.merge(graphdef, s).encode_video(x))
        else:
            self._state = None
            self._image = jax.jit(lambda s, x: ae.encode(x))
            self._video = jax.jit(lambda s, x: ae.encode_video(x))

    def __call__(self, pixels: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        n = pixels.shape[0]
        if n > self.batch_size:
            raise ValueError(f"batch of {n} exceeds batch_size {self.batch_size}")
        x = pixels.astype(np.float32) / 127.5 - 1.0
        if n < self.batch_size:     # pad: one compiled program per bucket, whatever the batch's fill
            x = np.concatenate([x, np.zeros((self.batch_size - n,) + x.shape[1:], np.float32)])
        if x.shape[1] == 1:
            out = self._image(self._state, x[:, 0])
            mean, logvar = out if isinstance(out, tuple) else (out, None)
            mean, logvar = mean[:, None], (None if logvar is None else logvar[:, None])
        else:
            out = self._video(self._state, x)
            mean, logvar = out if isinstance(out, tuple) else (out, None)
        mean = np.asarray(mean, np.float32)[:n]
        return mean, (None if logvar is None else np.asarray(logvar, np.float32)[:n])


class AutoencoderHandler(ModelHandler[Sequence[Any], tuple, BatchEncoder]):
    """One element = one prepared batch (a list of PreparedItem); result = (items, mean, logvar)."""

    def __init__(self, checkpoint: str, batch_size: int, loader: str = DEFAULT_LOADER):
        super().__init__(min_batch_size=1, max_batch_size=1)
        self.checkpoint, self.batch_size, self.loader = checkpoint, batch_size, loader

    def load_model(self) -> BatchEncoder:
        return BatchEncoder(load_once(self.loader, self.checkpoint), self.batch_size)

    def run_inference(self, batch: Sequence[Sequence[Any]], model: BatchEncoder,
                      inference_args: Optional[dict[str, Any]] = None) -> Iterable[tuple]:
        results = []
        for items in batch:
            mean, logvar = model(np.stack([item.pixels for item in items]))
            results.append((list(items), mean, logvar))
        return results

    def get_num_bytes(self, batch: Sequence[Sequence[Any]]) -> int:
        return sum(item.pixels.nbytes for items in batch for item in items)

    def get_metrics_namespace(self) -> str:
        return "framesift_encode"

    def share_model_across_processes(self) -> bool:
        return False
