"""Radially averaged power spectrum of an image's luma, and the share of power at high frequencies.

Natural photos have power falling off roughly as 1/f^2 all the way to the Nyquist frequency ("diffusion is
spectral autoregression": a generator learns images coarse-to-fine along exactly this curve). Resampling and
compression cut the top of the curve off: an image upscaled 4x has almost no power above 1/4 of its Nyquist
frequency, heavy JPEG and soft focus thin it out. So the score is the share of power above half-Nyquist, on a
log10 scale (an unprocessed photo sits around -2 to -1, a 2x bicubic upscale near -3, 4x below -4).

Measured on an unscaled centre crop where one is available: at a reduced analysis size an upscaled original is
indistinguishable from a sharp one. The profile (SPECTRUM_BINS mean powers over linear radial bins from 0 to
Nyquist, summing to 1) is stored per item for the review UI's log-log plots.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from pipelines.media.luma import luma

SPECTRUM_BINS = 32
SPECTRUM_CROP = 256             # centre crop side: a 256^2 FFT costs ~2 ms and sees plenty of texture
_FLOOR = 1e-8                   # log10 floor for flat images (no power at all above DC)


@dataclass
class Spectrum:
    profile: np.ndarray         # (SPECTRUM_BINS,) float32, mean power per radial bin, normalised to sum 1
    hf_share: float             # share of (non-DC) power at radius > 0.5 Nyquist

    @property
    def hf_log10(self) -> float:
        return float(np.log10(max(self.hf_share, _FLOOR)))


def centre_crop(a: np.ndarray, side: int = SPECTRUM_CROP) -> np.ndarray:
    h, w = a.shape[:2]
    ch, cw = min(h, side), min(w, side)
    top, left = (h - ch) // 2, (w - cw) // 2
    return a[top:top + ch, left:left + cw]


def power_spectrum(gray: np.ndarray, bins: int = SPECTRUM_BINS) -> Spectrum:
    """`gray`: 2-d float array. A Hann window first, so the image border does not read as a sharp edge."""
    h, w = gray.shape
    if h < 4 or w < 4:
        return Spectrum(np.zeros(bins, np.float32), 0.0)
    y = (gray - gray.mean()) * np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.rfft2(y)) ** 2
    # rfft2 keeps only non-negative x frequencies; every column except DC (and Nyquist for even w) stands for two
    weight = np.full(power.shape[1], 2.0)
    weight[0] = 1.0
    if w % 2 == 0:
        weight[-1] = 1.0
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    radius = np.sqrt(fx ** 2 + fy ** 2) / 0.5          # 1.0 = Nyquist along an axis
    inside = (radius > 0) & (radius <= 1.0)
    r, p, wt = radius[inside], power[inside], np.broadcast_to(weight, power.shape)[inside]
    index = np.minimum((r * bins).astype(np.int64), bins - 1)
    sums = np.bincount(index, p * wt, bins)
    counts = np.bincount(index, wt, bins)
    mean = np.divide(sums, counts, out=np.zeros(bins), where=counts > 0)
    total = (p * wt).sum()
    profile = mean / mean.sum() if mean.sum() > 0 else mean
    hf = float((p * wt)[r > 0.5].sum() / total) if total > 0 else 0.0
    return Spectrum(profile.astype(np.float32), hf)


def image_spectrum(rgb: np.ndarray) -> Spectrum:
    return power_spectrum(centre_crop(luma(rgb)))


def frames_spectrum(frames: Sequence[np.ndarray], max_frames: int = 3) -> Spectrum:
    """For clips: frames sampled evenly; mean profile, median high-frequency share (one blurred frame should not
    decide)."""
    step = max(1, len(frames) // max_frames)
    spectra = [image_spectrum(f) for f in list(frames)[::step][:max_frames]]
    profile = np.mean([s.profile for s in spectra], axis=0).astype(np.float32)
    return Spectrum(profile, float(np.median([s.hf_share for s in spectra])))
