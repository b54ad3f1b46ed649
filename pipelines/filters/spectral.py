"""Spectral: soft pictures and upscaled ones, told apart by where their high frequencies are missing.

spectral_hf: log10 of the share of luma power above half the Nyquist frequency (pipelines/media/spectrum.py) on the
decoder's unscaled centre crop (`Sample.detail`): the picture's own pixels. Unprocessed photos score about -2.5 to
-1, a 2x bicubic upscale -3.5 to -2, a 4x upscale below -4 -- and so does a soft (blurred, out of focus) photo.
spectral_hf_analysis: the same at the analysis size (longer side 512, relative to the picture's size). A soft
picture is soft there too; an upscaled one, brought back down, looks as sharp as its source.
So soft = `spectral_hf_analysis` below `min_hf` (reason soft), and upscaled = the detail missing only at the
native scale, `spectral_upscale_gap` = spectral_hf_analysis - spectral_hf above `max_upscale_gap` (reason upscaled).
On 10 photos at their own size: blurred by 0.3-0.6 % of the longer side, analysis -4.6..-3.5 (20/20 soft), originals
and 1.6-4x upscales -2.6..-1.3 (none soft); gap: originals <= 0.7, 2x upscales 0.3-1.8, 4x 1.7-2.8, blurred <= 0.2.
A picture no larger than the analysis size has one scale only: its gap is 0, and an upscale shows as soft.
Clips are measured on a few analysis frames (median), so they have no gap either. The full profile (of the detail
crop) is stored on the manifest row (`spectral_profile`) by the curate job, for the review UI.
"""
from dataclasses import dataclass
from typing import Optional

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter
from pipelines.media.spectrum import Spectrum, frames_spectrum, image_spectrum


def sample_spectrum(sample: Sample) -> Spectrum:
    """The spectrum the curate job stores (and the filter's `spectral_hf`): one definition for both, computed once."""
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
        min_hf: Optional[float] = -3.0              # at the analysis size: below is soft
        max_upscale_gap: Optional[float] = None     # e.g. 1.0 rejects 2x+ upscales; null: record only

    checks = (Check("spectral_hf_analysis", "min", "min_hf", "soft"),
              Check("spectral_upscale_gap", "max", "max_upscale_gap", "upscaled"))

    def score(self, sample: Sample) -> dict[str, float]:
        native = sample_spectrum(sample).hf_log10
        # the analysis-size luma the other filters use (cropping commutes with the per-pixel luma)
        analysis = (image_spectrum(sample.luma(0)).hf_log10 if sample.media_type == "image" else native)
        return {"spectral_hf": native, "spectral_hf_analysis": analysis,
                "spectral_upscale_gap": max(0.0, analysis - native)}
