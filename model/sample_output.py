"""Samples to pixels and files: latents (as the network sees them) -> denormalised with the training set's channel
statistics -> decoded by the autoencoder that made the shards (or taken as pixels in [-1, 1] for pixel-space runs)
-> a PNG grid, and an mp4 per clip row when the samples are clips."""
from __future__ import annotations

import importlib
import os
from typing import Optional

import numpy as np
from PIL import Image

from model.training.data import denormalize


def load_autoencoder(path: str, loader: str):
    module, _, name = loader.partition(":")
    return getattr(importlib.import_module(module), name)(path)


def decode(latents: np.ndarray, spec, autoencoder=None) -> np.ndarray:
    """(N, [T,] h, w, C) network latents -> (N, [T,] H, W, 3 or 1) uint8 pixels."""
    z = denormalize(np.asarray(latents, np.float32), np.asarray(spec.latent_mean), np.asarray(spec.latent_std))
    if autoencoder is None:
        pixels = z
    elif z.ndim == 5:
        if hasattr(autoencoder, "decode_video"):
            pixels = np.asarray(autoencoder.decode_video(z))
        else:   # per-frame autoencoder: frames decode one by one
            n, t = z.shape[:2]
            frames = np.asarray(autoencoder.decode(z.reshape((n * t,) + z.shape[2:])))
            pixels = frames.reshape((n, t) + frames.shape[1:])
    else:
        pixels = np.asarray(autoencoder.decode(z))
    return np.clip(np.round((pixels + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid_image(images: np.ndarray, columns: int, upscale: int = 1) -> Image.Image:
    """(N, H, W, C) uint8 -> one image, `columns` across, 2 px gaps."""
    n, h, w, c = images.shape
    if upscale > 1:
        images = images.repeat(upscale, axis=1).repeat(upscale, axis=2)
        h, w = h * upscale, w * upscale
    rows = -(-n // columns)
    canvas = np.full((rows * (h + 2) + 2, columns * (w + 2) + 2, c), 255, np.uint8)
    for i, img in enumerate(images):
        r, q = divmod(i, columns)
        canvas[2 + r * (h + 2): 2 + r * (h + 2) + h, 2 + q * (w + 2): 2 + q * (w + 2) + w] = img
    return Image.fromarray(canvas[..., 0] if c == 1 else canvas)


def write_mp4(frames: np.ndarray, path: str, fps: int = 8) -> None:
    import av
    with av.open(path, mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames.shape[1] // 2 * 2, frames.shape[2] // 2 * 2
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            rgb = frame if frame.shape[-1] == 3 else np.repeat(frame, 3, axis=-1)
            rgb = np.ascontiguousarray(rgb[:stream.height, :stream.width])
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_samples(pixels: np.ndarray, output: str, columns: Optional[int] = None) -> list[str]:
    """A PNG grid (clips: their frames side by side, one clip per row) and, for clips, OUTPUT_stem_k.mp4 each."""
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    small = max(pixels.shape[-3], pixels.shape[-2]) < 64
    upscale = max(1, 64 // max(pixels.shape[-3], pixels.shape[-2])) if small else 1
    written = [output]
    if pixels.ndim == 5:
        n, t = pixels.shape[:2]
        grid_image(pixels.reshape((n * t,) + pixels.shape[2:]), t, upscale).save(output)
        stem = os.path.splitext(output)[0]
        for k, clip in enumerate(pixels):
            path = f"{stem}_{k}.mp4"
            write_mp4(clip.repeat(upscale, axis=1).repeat(upscale, axis=2) if small else clip, path)
            written.append(path)
    else:
        grid_image(pixels, columns or int(np.ceil(np.sqrt(len(pixels)))), upscale).save(output)
    return written
