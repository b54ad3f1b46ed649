"""Text overlay: the fraction of the frame covered by detected text (captions, watermarks, slides, screenshots).

A generator trained on burnt-in text learns to draw garbled text. Text boxes come from rapidocr-onnxruntime (PP-OCRv4
ONNX models shipped in the wheel, no download): detection, then recognition, and only boxes whose text is read
with confidence count, which drops the detector's false positives on texture (fur, foliage). The boxes are
rasterised, so overlapping boxes are not counted twice.

text_fraction: covered area / frame area, in [0, 1]; for clips the mean over `sample_frames` frames spread evenly.
Optional extra (see README, "OCR"): configuring this filter without rapidocr installed fails when the filters are
built, naming the install command. The OCR engine is created once per process, on first use.
"""
from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from framesift.config import ConfigError
from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter

# --no-deps: rapidocr requires opencv-python, which would clash with the headless OpenCV installed here
INSTALL_HINT = "pip install -c constraints.txt -e '.[ocr]' && pip install --no-deps rapidocr-onnxruntime==1.4.4"
_ENGINE = None
_ENGINE_LOCK = threading.Lock()


def ocr_engine():
    """One RapidOCR per process: its ONNX sessions take ~0.2 s to build and are safe to share between items."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR
            _ENGINE = RapidOCR()
        return _ENGINE


def text_boxes(rgb: np.ndarray, recognise: bool = True) -> list[np.ndarray]:
    """Quadrilaterals (4, 2) in pixel coordinates of the text found in an RGB uint8 frame."""
    result, _ = ocr_engine()(np.ascontiguousarray(rgb[..., ::-1]), use_det=True, use_cls=False, use_rec=recognise)
    if not result:
        return []
    return [np.asarray(r[0] if recognise else r, np.float32) for r in result]


def text_fraction(rgb: np.ndarray, recognise: bool = True) -> float:
    mask = np.zeros(rgb.shape[:2], np.uint8)
    boxes = text_boxes(rgb, recognise)
    if boxes:
        cv2.fillPoly(mask, [np.round(b).astype(np.int32) for b in boxes], 1)
    return float(mask.mean())


@register_filter
class TextOverlayFilter(Filter):
    name = "text_overlay"

    @dataclass
    class Params:
        max: Optional[float] = 0.1      # a subtitle line covers ~3-5 % of a frame; a document page 30 % or more
        sample_frames: int = 3          # clips: frames OCR'd, spread evenly (OCR costs ~0.1-0.4 s a frame on CPU)
        recognise: bool = True          # count only boxes whose text is read; False: detector boxes (faster, noisier)

    checks = (Check("text_fraction", "max", "max", "text_overlay"),)

    def __init__(self, params):
        super().__init__(params)
        if importlib.util.find_spec("rapidocr_onnxruntime") is None:
            raise ConfigError(f"filters.text_overlay needs the optional OCR package rapidocr-onnxruntime, which is "
                              f"not installed: {INSTALL_HINT} (or remove text_overlay from filters)")

    def score(self, sample: Sample) -> dict[str, float]:
        frames = sample.frames
        if sample.media_type == "clip" and len(frames) > self.params.sample_frames:
            picks = np.linspace(0, len(frames) - 1, self.params.sample_frames).round().astype(int)
            frames = [frames[i] for i in picks]
        return {"text_fraction": float(np.mean([text_fraction(f, self.params.recognise) for f in frames]))}
