"""`framesift shards inspect SHARDS`: what a latent dataset holds, and a grid of latents decoded back to pixels.

The grid shows, per example, the latent decoded by the autoencoder that made it (its checkpoint from the metadata,
or --autoencoder), beside the first three latent channels shown as colours; without a loadable autoencoder only the
channel view is drawn. Clips show their first latent frame.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Optional

import numpy as np
from PIL import Image

from framesift.schemas.latent import FastExampleDecoder
from pipelines.encode import dataset_files as files
from pipelines.encode.verify import local_copy, tfds_view


def read_examples(shards_dir: str, count: int) -> list[dict]:
    """The first `count` examples in dataset order."""
    import tensorflow_datasets as tfds
    from array_record.python.array_record_module import ArrayRecordReader
    from apache_beam.io.filesystems import FileSystems
    with tfds_view(shards_dir) as view:
        decode = FastExampleDecoder(tfds.builder_from_directory(view).info.features)
    out = []
    for shard in files.read_metadata(shards_dir).shards:
        if len(out) >= count:
            break
        with local_copy(FileSystems.join(shards_dir, shard.file)) as local:
            reader = ArrayRecordReader(local)
            out.extend(decode(r) for r in reader.read(list(range(min(shard.examples, count - len(out))))))
            reader.close()
    return out


def summary(shards_dir: str) -> str:
    meta = files.read_metadata(shards_dir)
    ae = meta.autoencoder
    dead = [line for line in files.read_text(f"{shards_dir.rstrip('/')}/{files.DEAD_LETTER_FILE}").splitlines()
            if line]
    reasons = Counter(json.loads(line)["error_type"] for line in dead)
    lines = [
        f"{shards_dir}: {meta.num_examples:,} examples in {len(meta.shards)} shard(s) "
        f"({sum(s.num_bytes for s in meta.shards) / 1e6:.1f} MB), {meta.examples_per_shard} planned per shard",
        f"  counts        {meta.counts}",
        f"  buckets       {meta.buckets}  (latent T x h x w)",
        f"  latent        {meta.latent_channels} channels, {meta.latent_dtype}, sampling: {meta.sampling}",
        f"  channel mean  {[round(v, 4) for v in meta.latent_channel_mean]}",
        f"  channel std   {[round(v, 4) for v in meta.latent_channel_std]}",
        # the checkpoint's digest, not a manifest column
        f"  autoencoder   {ae.get('checkpoint')} sha256 {str(ae.get('sha256'))[:16]}  config {ae.get('config')}",
        f"  sources       {meta.sources}",
        f"  embeddings    {meta.embedding_dims}",
        f"  dead letters  {len(dead)} {dict(reasons) if reasons else ''}",
    ]
    return "\n".join(lines)


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip((x + 1.0) * 127.5, 0, 255).astype(np.uint8)


def _channels_as_rgb(latent: np.ndarray) -> np.ndarray:
    """(h, w, C) -> (h, w, 3) uint8: the first three channels (repeated when fewer), each stretched to 0..255."""
    chans = [latent[..., min(c, latent.shape[-1] - 1)] for c in range(3)]
    out = []
    for c in chans:
        lo, hi = float(c.min()), float(c.max())
        out.append((c - lo) / (hi - lo) if hi > lo else np.zeros_like(c))
    return (np.stack(out, -1) * 255).astype(np.uint8)


def latent_grid(examples: list[dict], ae=None, cell: int = 128, columns: int = 4) -> Image.Image:
    tiles = []
    for ex in examples:
        latent = np.asarray(ex["latent"], np.float32)[0]      # first frame of a clip; the image itself
        parts = [_channels_as_rgb(latent)]
        if ae is not None:
            parts.insert(0, _to_uint8(np.asarray(ae.decode(latent[None]))[0]))
        tiles.append(np.concatenate([np.asarray(Image.fromarray(p).resize((cell, cell), Image.NEAREST))
                                     for p in parts], axis=1))
    if not tiles:
        return Image.new("RGB", (cell, cell))
    rows = -(-len(tiles) // columns)
    h, w = tiles[0].shape[:2]
    grid = np.zeros((rows * h, min(columns, len(tiles)) * w, 3), np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        grid[r * h:(r + 1) * h, c * w:(c + 1) * w] = tile
    return Image.fromarray(grid)


def load_decoder(shards_dir: str, checkpoint: Optional[str], loader: str):
    """The autoencoder to decode with, or (None, why not)."""
    from pipelines.encode.autoencoder_handler import checkpoint_digest, resolve_loader
    meta = files.read_metadata(shards_dir)
    path = checkpoint or meta.autoencoder.get("checkpoint")
    try:
        ae = resolve_loader(loader)(path)
    except Exception as e:
        return None, f"autoencoder {path} not loadable ({type(e).__name__}: {e}); showing latent channels only"
    # the checkpoint's digest, not a manifest column
    if checkpoint is None and checkpoint_digest(path) != meta.autoencoder.get("sha256"):
        return None, f"autoencoder at {path} is not the one that made the shards (sha256 differs)"
    return ae, None
