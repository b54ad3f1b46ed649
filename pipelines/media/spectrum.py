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

import functools
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


@dataclass(frozen=True)
class _Geometry:
    """What power_spectrum derives from the crop's shape alone, built once per shape (every image's detail crop and
    most analysis crops are 256 x 256): the window, and for the frequencies inside Nyquist their radial bin, their
    weight and whether they count as high."""
    window: np.ndarray          # (h, w) float64 Hann window
    inside: np.ndarray          # (h, w // 2 + 1) bool: 0 < radius <= Nyquist
    index: np.ndarray           # radial bin of each frequency inside
    weight: np.ndarray          # 1 or 2 (rfft2 keeps one of each mirrored pair of columns) per frequency inside
    high: np.ndarray            # radius > 0.5 Nyquist, per frequency inside
    counts: np.ndarray          # (bins,) summed weight per radial bin


@functools.lru_cache(maxsize=16)
def _geometry(h: int, w: int, bins: int) -> _Geometry:
    window = np.outer(np.hanning(h), np.hanning(w))
    # rfft2 keeps only non-negative x frequencies; every column except DC (and Nyquist for even w) stands for two
    weight = np.full(w // 2 + 1, 2.0)
    weight[0] = 1.0
    if w % 2 == 0:
        weight[-1] = 1.0
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    radius = np.sqrt(fx ** 2 + fy ** 2) / 0.5          # 1.0 = Nyquist along an axis
    inside = (radius > 0) & (radius <= 1.0)
    r, wt = radius[inside], np.broadcast_to(weight, radius.shape)[inside]
    index = np.minimum((r * bins).astype(np.int64), bins - 1)
    geometry = _Geometry(window, inside, index, wt, r > 0.5, np.bincount(index, wt, bins))
    for a in (geometry.window, geometry.inside, geometry.index, geometry.weight, geometry.high, geometry.counts):
        a.flags.writeable = False      # shared by every call with this shape
    return geometry


def power_spectrum(gray: np.ndarray, bins: int = SPECTRUM_BINS) -> Spectrum:
    """`gray`: 2-d float array. A Hann window first, so the image border does not read as a sharp edge."""
    h, w = gray.shape
    if h < 4 or w < 4:
        return Spectrum(np.zeros(bins, np.float32), 0.0)
    g = _geometry(h, w, bins)
    y = (gray - gray.mean()) * g.window
    power = np.abs(np.fft.rfft2(y)) ** 2
    weighted = power[g.inside] * g.weight
    sums = np.bincount(g.index, weighted, bins)
    mean = np.divide(sums, g.counts, out=np.zeros(bins), where=g.counts > 0)
    total = weighted.sum()
    profile = mean / mean.sum() if mean.sum() > 0 else mean
    hf = float(weighted[g.high].sum() / total) if total > 0 else 0.0
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
