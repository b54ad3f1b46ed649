"""Spectral: flags upscaled, over-compressed and soft items by how little of their power is at high frequencies.

spectral_hf: log10 of the share of luma power above half the Nyquist frequency (pipelines/media/spectrum.py).
Unprocessed photos score about -2.5 to -1; a 2x bicubic upscale about -3.5 to -2.3; a 4x upscale below -4.
Images are measured on an unscaled centre crop (`Sample.detail`) when the decoder provides one, since at the
reduced analysis size an upscaled original looks sharp; clips on a few of their analysis frames (median).
The full profile is stored on the manifest row (`spectral_profile`) by the curate job, for the review UI.
"""
from dataclasses import dataclass
from typing import Optional

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter
from pipelines.media.spectrum import Spectrum, frames_spectrum, image_spectrum


def sample_spectrum(sample: Sample) -> Spectrum:
    """The spectrum the filter judges and the curate job stores: one definition for both, computed once."""
    def compute():
        if sample.media_type == "image":
            return image_spectrum(sample.detail if sample.detail is not None else sample.frames[0])
        return frames_spectrum(sample.frames)
    return sample.derived("spectrum", compute)


@register_filter
class SpectralFilter(Filter):
    name = "spectral"

    @dataclass
    class Params:
        min_hf: Optional[float] = -3.0

    checks = (Check("spectral_hf", "min", "min_hf", "soft_or_upscaled"),)

    def score(self, sample: Sample) -> dict[str, float]:
        return {"spectral_hf": sample_spectrum(sample).hf_log10}
