"""Losses, metrics and spectra of the autoencoder trainer, and one adversarial training step."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from PIL import Image, ImageFilter

from framesift.config import load_config
from model.autoencoder import build_autoencoder
from model.autoencoder_training import losses
from model.autoencoder_training.discriminator import build_discriminator
from model.autoencoder_training.evaluation import radial_power_spectrum
from model.autoencoder_training.trainer import make_optimizer, make_train_step
from tests.autoencoder_training_fixtures import TINY_TRAIN_OVERRIDES


def _photo(side=64):
    import skimage.data
    rgb = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((side, side), Image.BICUBIC))
    return rgb, rgb.astype(np.float32)[None] / 127.5 - 1


def test_ssim_psnr_and_spectra_on_a_photo():
    rgb, x = _photo()
    blurred = np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(1.5)), np.float32)[None] / 127.5 - 1
    assert float(losses.ssim(jnp.asarray(x), jnp.asarray(x))[0]) > 0.9999
    assert 0.3 < float(losses.ssim(jnp.asarray(x), jnp.asarray(blurred))[0]) < 0.95
    noisy = np.clip(x + 0.1, -1, 1)
    mse = np.mean((noisy - x) ** 2)
    assert abs(float(losses.psnr(jnp.asarray(x), jnp.asarray(noisy))[0]) - 10 * np.log10(4 / mse)) < 1e-3
    sharp, soft = radial_power_spectrum(x), radial_power_spectrum(blurred)
    assert len(sharp) == 32
    assert np.allclose(sharp[:2], soft[:2], rtol=0.2)            # coarse structure kept
    assert soft[-8:].sum() < 0.1 * sharp[-8:].sum()              # the blur removes the top of the spectrum


def test_kl_is_zero_for_the_prior_and_positive_otherwise():
    zeros = jnp.zeros((2, 4, 4, 3))
    assert float(losses.kl_divergence(zeros, zeros)) == 0.0
    assert float(losses.kl_divergence(zeros + 1.0, zeros)) == 0.5 * 4 * 4 * 3


def test_adversarial_step_updates_generator_and_discriminator():
    cfg = load_config("autoencoder", overrides=TINY_TRAIN_OVERRIDES + ["loss.disc_weight=0.5", "loss.disc_start=0",
                                                                       "loss.disc_channels=8", "loss.disc_layers=2"])
    graphdef, params, rest = nnx.split(build_autoencoder(cfg.arch, seed=0), nnx.Param, ...)
    disc_graphdef, disc_params = nnx.split(build_discriminator(8, 2, seed=1))
    tx, disc_tx = make_optimizer(1e-3, cfg), optax.adamw(1e-3)
    state = {"step": np.array(0, np.int64), "params": nnx.to_pure_dict(params),
             "disc_params": nnx.to_pure_dict(disc_params)}
    state["opt_state"], state["disc_opt_state"] = tx.init(state["params"]), disc_tx.init(state["disc_params"])
    before = jax.tree.map(np.array, state["disc_params"])
    step = jax.jit(make_train_step(cfg, graphdef, rest, tx, disc_graphdef, disc_tx, adversarial=True))
    new_state, metrics = step(state, jnp.asarray(_photo(32)[1].repeat(2, axis=0)), np.int32(0))
    assert {"g_adv", "d_loss", "l1", "ssim", "kl", "loss"} <= set(metrics)
    assert all(np.isfinite(float(v)) for v in metrics.values())
    changed = jax.tree.map(lambda a, b: float(np.abs(np.asarray(a) - b).max()), new_state["disc_params"], before)
    assert max(jax.tree.leaves(changed)) > 0
