"""Reconstruction, KL and adversarial losses, and the image-quality metrics eval reports (jit-able, NHWC)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

_SSIM_C1, _SSIM_C2 = 0.01 ** 2, 0.03 ** 2


def _gaussian_window(size: int = 11, sigma: float = 1.5):
    x = jnp.arange(size, dtype=jnp.float32) - (size - 1) / 2
    g = jnp.exp(-x ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def _blur(x, window):
    """Separable Gaussian filter per channel ('valid' borders, as in the SSIM paper's reference code)."""
    c = x.shape[-1]
    kh = jnp.tile(window[:, None, None, None], (1, 1, 1, c))
    kw = jnp.tile(window[None, :, None, None], (1, 1, 1, c))
    dn = ("NHWC", "HWIO", "NHWC")
    x = jax.lax.conv_general_dilated(x, kh, (1, 1), "VALID", dimension_numbers=dn, feature_group_count=c)
    return jax.lax.conv_general_dilated(x, kw, (1, 1), "VALID", dimension_numbers=dn, feature_group_count=c)


def ssim(a, b):
    """Mean SSIM per image (N,) of pictures in [-1, 1] (computed on [0, 1]); 11x11 Gaussian window, sigma 1.5."""
    a, b = (a.astype(jnp.float32) + 1) / 2, (b.astype(jnp.float32) + 1) / 2
    size = min(11, a.shape[1], a.shape[2])
    w = _gaussian_window(size if size % 2 else size - 1)
    mu_a, mu_b = _blur(a, w), _blur(b, w)
    var_a = _blur(a * a, w) - mu_a ** 2
    var_b = _blur(b * b, w) - mu_b ** 2
    cov = _blur(a * b, w) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + _SSIM_C1) * (2 * cov + _SSIM_C2)) / (
        (mu_a ** 2 + mu_b ** 2 + _SSIM_C1) * (var_a + var_b + _SSIM_C2))
    return s.mean(axis=(1, 2, 3))


def psnr(a, b):
    """PSNR in dB per image (N,) of pictures in [-1, 1] (peak 2, i.e. 255 on a 0-255 scale)."""
    mse = jnp.mean(jnp.square(jnp.clip(a, -1, 1) - jnp.clip(b, -1, 1)).astype(jnp.float32), axis=(1, 2, 3))
    return 10 * jnp.log10(4.0 / jnp.maximum(mse, 1e-10))


def kl_divergence(mean, logvar):
    """KL(posterior || N(0, 1)) summed over latent elements, averaged over the batch (as diffusers' VAEs train)."""
    kl = 0.5 * (jnp.square(mean) + jnp.exp(logvar) - 1.0 - logvar)
    return kl.reshape(kl.shape[0], -1).sum(axis=1).mean()


def hinge_discriminator_loss(real_logits, fake_logits):
    return jnp.mean(jax.nn.relu(1.0 - real_logits)) + jnp.mean(jax.nn.relu(1.0 + fake_logits))


def generator_adversarial_loss(fake_logits):
    return -jnp.mean(fake_logits)
