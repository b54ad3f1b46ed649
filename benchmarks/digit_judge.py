"""The judge of generated digits: an MLP classifier trained on real digits the generator never saw, whose hidden
layer is also the feature space for diversity and Fréchet distance (like Inception features for FID, at 8x8 scale).
Shared by guidance_sweep.py and curation_pays_off.py."""
from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.neural_network import MLPClassifier


class DigitJudge:
    def __init__(self, images_0_16: np.ndarray, labels: np.ndarray, seed: int = 0):
        """images: (N, 8, 8) on sklearn's 0..16 scale."""
        self.clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=seed)
        self.clf.fit(self._flat(images_0_16), labels)

    @staticmethod
    def _flat(images):
        return np.asarray(images, np.float64).reshape(len(images), -1) / 16.0

    def accuracy(self, images, labels) -> float:
        return float(np.mean(self.clf.predict(self._flat(images)) == np.asarray(labels)))

    def features(self, images) -> np.ndarray:
        x = self._flat(images)
        return np.maximum(x @ self.clf.coefs_[0] + self.clf.intercepts_[0], 0.0)

    def diversity(self, images, labels) -> float:
        """Mean pairwise feature distance between samples of the same class, averaged over classes."""
        feats, labels = self.features(images), np.asarray(labels)
        out = []
        for c in np.unique(labels):
            f = feats[labels == c]
            if len(f) > 1:
                d = np.sqrt(((f[:, None] - f[None]) ** 2).sum(-1))
                out.append(d.sum() / (len(f) * (len(f) - 1)))
        return float(np.mean(out))

    def frechet(self, images_a, images_b) -> float:
        fa, fb = self.features(images_a), self.features(images_b)
        mu_a, mu_b = fa.mean(0), fb.mean(0)
        # ReLU features have dead units (zero variance): a small diagonal offset keeps sqrtm well defined
        # (pytorch-fid does the same when the product is singular)
        eye = 1e-6 * np.eye(fa.shape[1])
        ca, cb = np.cov(fa, rowvar=False) + eye, np.cov(fb, rowvar=False) + eye
        covmean = linalg.sqrtm(ca @ cb)
        covmean = covmean.real if np.iscomplexobj(covmean) else covmean
        return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca + cb - 2 * covmean))
