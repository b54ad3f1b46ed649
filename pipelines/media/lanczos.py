"""Pillow's 8-bit Lanczos resize (`Image.resize(..., LANCZOS)` on an "L" picture), byte for byte, as matrix products.

Why: the perceptual hashes (perceptual_hash.py) resize ~30 crops of every picture to 32x32, and Pillow's C loop
(one multiply-add per tap, per pixel, per crop) was the largest per-item cost of `framesift curate`. The same
arithmetic as float64 matrix products is exact: Pillow's coefficients are integers (fixed point, PRECISION_BITS),
pixel x coefficient products and their sums stay far below 2^53, so any summation order gives the same integer,
and the rounding and clipping after each pass are reproduced as Pillow does them (libImaging/Resample.c:
`precompute_coeffs`, `normalize_coeffs_8bpc`, `ImagingResample{Horizontal,Vertical}_8bpc`, `clip8`).
A pass's weights form a band: output column j reads ~6x(in/out) inputs around its centre, so the product runs on
blocks of output columns over the inputs they read (`Kernel.blocks`), not over the whole width.
tests/test_phash_exact.py checks the result against the installed Pillow at random sizes.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

PRECISION_BITS = 22                 # 32 - 8 - 2 in Resample.c
_ONE = float(1 << PRECISION_BITS)
_HALF = float(1 << (PRECISION_BITS - 1))
_SUPPORT = 3.0                      # Lanczos-3
_BLOCK = 6                          # outputs per matrix product (the fastest of 4-16 on 384x512 pictures)

_vector_sin = np.sin                # a module name, so tests can make it differ from the C library's sin


def _lanczos(x: np.ndarray, sin) -> np.ndarray:
    """Resample.c's lanczos_filter: sinc(x) * sinc(x / 3) on [-3, 3), each sinc as sin(x*pi) / (x*pi)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = x * math.pi, (x / 3) * math.pi
        w = np.where(x == 0.0, 1.0, sin(a) / a) * np.where(x == 0.0, 1.0, sin(b) / b)
    return np.where((x >= -_SUPPORT) & (x < _SUPPORT), w, 0.0)


def _exact_sin(x: np.ndarray) -> np.ndarray:
    return np.array([math.sin(v) for v in np.ravel(x)], dtype=np.float64).reshape(np.shape(x))


def _fixed_point(k: np.ndarray) -> np.ndarray:
    """normalize_coeffs_8bpc: (int)(k * 2^22 -/+ 0.5), truncated toward zero."""
    return np.trunc(k * _ONE + np.where(k < 0, -0.5, 0.5))


@dataclass(frozen=True)
class Kernel:
    """One pass resizing a line of `weights.shape[0]` pixels to `weights.shape[1]`."""
    weights: np.ndarray             # (in, out) Pillow's integer coefficients, as float64
    blocks: tuple                   # (out0, out1, in0, in1): outputs [out0, out1) read only inputs [in0, in1)
    identity: bool                  # in == out: Pillow skips the pass

    @functools.cached_property
    def symmetric(self) -> bool:
        """Reversing the input reverses the output exactly: true of every size to 32 from 1 to 5000 (measured), but
        Pillow's rounding of a tap window's ends could break it by a tap, so it is checked, not assumed."""
        return bool(np.array_equal(self.weights, self.weights[::-1, ::-1]))

    @functools.cached_property
    def reversed(self) -> "Kernel":
        """The pass applied to the reversed line, written over the line as it is (weights flipped along the input)."""
        n = self.weights.shape[0]
        return Kernel(self.weights[::-1], tuple((o0, o1, n - i1, n - i0) for o0, o1, i0, i1 in self.blocks),
                      self.identity and n <= 1)

    def __call__(self, lines: np.ndarray) -> np.ndarray:
        """Resize each column of `lines` (in, n) of 8-bit values; returns (out, n) float64 holding 8-bit values.
        Lines run down the columns because weights.T @ lines runs fastest when the lines' pixels are contiguous."""
        if self.identity:
            return np.asarray(lines, dtype=np.float64)
        acc = np.empty((self.weights.shape[1], lines.shape[1]))
        for o0, o1, i0, i1 in self.blocks:
            np.matmul(self.weights[i0:i1, o0:o1].T, lines[i0:i1], out=acc[o0:o1])
        # clip8: the sum >> PRECISION_BITS (an arithmetic shift: floor), clipped to 0..255
        acc += _HALF
        acc *= 1.0 / _ONE
        return np.clip(np.floor(acc, out=acc), 0.0, 255.0, out=acc)


def _weights(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """precompute_coeffs + normalize_coeffs_8bpc for the box (0, in_size): the (in_size, out_size) matrix, and
    each output's first and end input (Pillow's bounds)."""
    scale = float(np.float32(in_size)) / out_size          # the box corners are C floats
    filterscale = max(scale, 1.0)
    support = _SUPPORT * filterscale
    taps = np.arange(int(math.ceil(support)) * 2 + 1)
    centre = (np.arange(out_size) + 0.5) * scale
    # (int) truncates toward zero; a negative xmin is clamped to 0 either way
    first = np.maximum(np.trunc(centre - support + 0.5), 0).astype(np.int64)
    end = np.minimum(np.trunc(centre + support + 0.5), in_size).astype(np.int64)
    used = taps[None, :] < (end - first)[:, None]
    x = ((taps[None, :] + first[:, None]) - centre[:, None] + 0.5) * (1.0 / filterscale)

    def normalised(w, used):
        w = np.where(used, w, 0.0)
        ww = np.cumsum(w, axis=1)[:, -1:]                   # summed in tap order, as the C loop does
        return np.where(ww != 0.0, w / np.where(ww == 0.0, 1.0, ww), w)
    k = normalised(_lanczos(x, _vector_sin), used)
    # numpy's sin may differ from the C library's by an ulp on some CPUs; that can only move a coefficient whose
    # fixed-point value lies next to a rounding tie, so the lines holding one are recomputed with the C library's
    # sin (math.sin, the one Pillow calls)
    scaled = np.abs(k * _ONE)
    near_tie = np.any(used & (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-4), axis=1)
    if near_tie.any():
        k[near_tie] = normalised(_lanczos(x[near_tie], _exact_sin), used[near_tie])
    out = np.zeros((in_size, out_size))
    rows = first[:, None] + taps[None, :]
    cols = np.broadcast_to(np.arange(out_size)[:, None], rows.shape)
    out[rows[used], cols[used]] = _fixed_point(k)[used]
    return out, first, end


@functools.lru_cache(maxsize=256)
def lanczos_kernel(in_size: int, out_size: int) -> Kernel:
    """Pillow's Lanczos pass from in_size to out_size pixels (cached: a run sees few distinct crop sizes)."""
    if in_size < 1 or out_size < 1:
        raise ValueError(f"cannot resize {in_size} pixels to {out_size}")
    if in_size == out_size:     # Pillow skips the pass; as weights, the identity (used reversed for a mirror crop)
        weights, first, end = np.eye(in_size) * _ONE, np.arange(in_size), np.arange(1, in_size + 1)
    else:
        weights, first, end = _weights(in_size, out_size)
    weights.setflags(write=False)
    # the outputs' first inputs grow with the output, so a block reads from its first output's first input
    blocks = tuple((o0, min(o0 + _BLOCK, out_size), int(first[o0]), int(end[o0:o0 + _BLOCK].max()))
                   for o0 in range(0, out_size, _BLOCK))
    return Kernel(weights, blocks, in_size == out_size)


def tall(height: int, width: int, out_height: int) -> bool:
    """Pillow's Image.resize shrinks a picture over 100 times taller than wide vertically first (two C calls)."""
    return height > width * 100 and out_height < height


def resize_grey(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """`Image.fromarray(pixels).resize((width, height), Image.LANCZOS)` for a 2-d uint8 array, as uint8."""
    across, down = lanczos_kernel(pixels.shape[1], width), lanczos_kernel(pixels.shape[0], height)
    if tall(*pixels.shape, height):
        return across(down(pixels).T).T.astype(np.uint8)
    return down(across(pixels.T).T).astype(np.uint8)
