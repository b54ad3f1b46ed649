"""scikit-learn's 1,797 handwritten digits (8x8, 0..16) as a pixel-space TrainingSet: the "latents" are the pixels
scaled to [-1, 1] with one channel, and no autoencoder decodes them. Tests and the guidance sweep train on these
(where the shard path is not what is being measured)."""
from __future__ import annotations

import numpy as np

from model.training.data import ArraySource, ArrayTrainingSet


def load_digit_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8, 1) in [-1, 1], labels (1797,))."""
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.images[..., None] / 8.0 - 1.0).astype(np.float32), d.target.astype(np.int32)


def pixels_to_digits(x: np.ndarray) -> np.ndarray:
    """[-1, 1] pixels back to sklearn's 0..16 scale (what a digit classifier trained on load_digits expects)."""
    return np.clip((np.asarray(x, np.float32) + 1.0) * 8.0, 0.0, 16.0)


def digits_training_set(images: np.ndarray, labels: np.ndarray) -> ArrayTrainingSet:
    return ArrayTrainingSet(latent_shape=tuple(images.shape[1:]), num_classes=10,
                            class_names=[str(i) for i in range(10)], source=ArraySource(images, labels))
