"""Eval of an autoencoder on held-out pictures: PSNR, SSIM, a reconstruction grid, and the radially averaged power
spectra of inputs vs reconstructions (which frequencies the autoencoder loses: the high bins fall first)."""
from __future__ import annotations

import json
import os

import numpy as np
from PIL import Image

SPECTRUM_BINS = 32


def radial_power_spectrum(images: np.ndarray, bins: int = SPECTRUM_BINS) -> np.ndarray:
    """Mean power per radial frequency bin (DC excluded, 0..Nyquist) of the luma of (N, H, W, 3) pictures in
    [-1, 1], Hann-windowed so the picture border does not read as an edge."""
    luma = images[..., 0] * 0.299 + images[..., 1] * 0.587 + images[..., 2] * 0.114
    n, h, w = luma.shape
    bins = min(bins, min(h, w) // 2)        # no more bins than frequencies along the shorter side
    windowed = (luma - luma.mean(axis=(1, 2), keepdims=True)) * np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.fft2(windowed)) ** 2
    radius = np.sqrt(np.fft.fftfreq(h)[:, None] ** 2 + np.fft.fftfreq(w)[None, :] ** 2) / 0.5
    inside = (radius > 0) & (radius <= 1.0)
    index = np.minimum((radius[inside] * bins).astype(np.int64), bins - 1)
    sums = np.bincount(index, power[:, inside].mean(axis=0), bins)
    counts = np.bincount(index, minlength=bins)
    return np.divide(sums, counts, out=np.zeros(bins), where=counts > 0)


def grid_png(inputs: np.ndarray, recons: np.ndarray, path: str, max_items: int = 8) -> None:
    """Inputs on the top row, their reconstructions below."""
    k = min(len(inputs), max_items)
    to_u8 = lambda a: np.clip((a + 1) * 127.5, 0, 255).round().astype(np.uint8)  # noqa: E731
    top, bottom = np.concatenate(list(to_u8(inputs[:k])), axis=1), np.concatenate(list(to_u8(recons[:k])), axis=1)
    Image.fromarray(np.concatenate([top, bottom], axis=0)).save(path)


def spectra_png(spectrum_in: np.ndarray, spectrum_out: np.ndarray, path: str, step: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    freq = (np.arange(len(spectrum_in)) + 0.5) / len(spectrum_in)
    # bins no frequency falls in (the lowest ones of a small picture) hold 0: leave them out of the log plot
    spectrum_in = np.where(spectrum_in > 0, spectrum_in, np.nan)
    spectrum_out = np.where(spectrum_out > 0, spectrum_out, np.nan)
    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
    ax.loglog(freq, spectrum_in, label="inputs")
    ax.loglog(freq, spectrum_out, label="reconstructions")
    ax.set_xlabel("spatial frequency (1 = Nyquist)")
    ax.set_ylabel("mean power")
    ax.set_title(f"radially averaged power spectrum, step {step}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_eval(workdir: str, step: int, inputs: np.ndarray, recons: np.ndarray, psnr: np.ndarray,
               ssim: np.ndarray) -> dict:
    """Append one line to W/eval.jsonl and write W/eval/step_N_{grid,spectra}.png; returns the line."""
    out_dir = os.path.join(workdir, "eval")
    os.makedirs(out_dir, exist_ok=True)
    s_in, s_out = radial_power_spectrum(inputs), radial_power_spectrum(recons)
    high = slice(len(s_in) // 2, None)
    line = {"step": step, "items": int(len(inputs)), "psnr": float(np.mean(psnr)), "ssim": float(np.mean(ssim)),
            # reconstruction/input power above half-Nyquist: 1.0 keeps fine detail, near 0 blurs it away
            "high_frequency_power_ratio": float(s_out[high].sum() / max(s_in[high].sum(), 1e-20)),
            "spectrum_inputs": [float(v) for v in s_in], "spectrum_reconstructions": [float(v) for v in s_out]}
    grid_png(inputs, recons, os.path.join(out_dir, f"step_{step:06d}_grid.png"))
    spectra_png(s_in, s_out, os.path.join(out_dir, f"step_{step:06d}_spectra.png"), step)
    with open(os.path.join(workdir, "eval.jsonl"), "a") as f:
        f.write(json.dumps(line) + "\n")
    return line
