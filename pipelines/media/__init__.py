"""Decoding and encoding media for the pipelines (Pillow for images, PyAV for video). No Beam in here."""
