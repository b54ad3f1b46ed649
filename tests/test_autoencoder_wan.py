"""The causal video VAE (diffusers AutoencoderKLWan layout) against diffusers, chunked and whole-clip."""
import jax.numpy as jnp
import pytest
import torch
from flax import nnx

from model.autoencoder import load_autoencoder
from model.autoencoder.convert import convert, load_from_diffusers
from tests.autoencoder_fixtures import (TINY_WAN, decode_video, encode, encode_video, from_torch, max_diff, pixels,
                                        save_diffusers_wan, to_torch)

BOUND = 1e-4


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("diffusers_wan")
    reference = save_diffusers_wan(folder)
    ae, class_name = load_from_diffusers(str(folder))
    assert class_name == "AutoencoderKLWan"
    return folder, reference, ae


def test_parity_and_clip_shapes(wan):
    _, reference, ae = wan
    clips = pixels((1, 9, 32, 32, 3))
    with torch.no_grad():
        posterior = reference.encode(to_torch(clips)).latent_dist
        decoded = reference.decode(posterior.mean).sample
    mean, logvar = encode_video(ae, jnp.asarray(clips))
    assert mean.shape == (1, 3, 4, 4, 4)            # T' = 1 + (9 - 1) / 4, 8x spatial
    assert max_diff(mean, from_torch(posterior.mean)) <= BOUND
    assert max_diff(logvar, from_torch(posterior.logvar)) <= BOUND
    frames = decode_video(ae, mean)
    assert frames.shape == clips.shape
    assert max_diff(frames, from_torch(decoded)) <= BOUND
    # chunks of 4 frames with the causal cache == the whole clip at once
    whole = nnx.jit(lambda m, x: m.encode_video(x, chunked=False)[0])(ae, jnp.asarray(clips))
    assert max_diff(whole, mean) < 1e-5


def test_causality_and_images(wan):
    _, _, ae = wan
    clips = jnp.asarray(pixels((1, 9, 32, 32, 3), seed=4))
    changed = clips.at[:, 5:].set(0.0)              # only frames of the last chunk differ
    a, b = encode_video(ae, clips)[0], encode_video(ae, changed)[0]
    assert max_diff(a[:, :2], b[:, :2]) == 0.0 and max_diff(a[:, 2], b[:, 2]) > 1e-3
    # an image is a one-frame clip: the first latent frame of any clip starting with it
    image_mean = encode(ae, clips[:, 0])[0]
    assert image_mean.shape == (1, 4, 4, 4) and max_diff(image_mean, a[:, 0]) < 1e-5
    with pytest.raises(ValueError, match="1 \\+ 4k frames"):
        ae.encode_video(clips[:, :6])


def test_convert_checks_against_diffusers_and_round_trips(wan, tmp_path):
    folder, _, ae = wan
    result = convert(str(folder), str(tmp_path / "ckpt"))
    assert result.parity is not None and max(result.parity.values()) <= BOUND
    again = load_autoencoder(result.written)
    assert again.config.temporal_factor == 4 and again.config.latent_channels == TINY_WAN["z_dim"]
    z = jnp.ones((1, 2, 2, 2, 4))
    expected = (1.0 - jnp.asarray(TINY_WAN["latents_mean"])) / jnp.asarray(TINY_WAN["latents_std"])
    assert max_diff(again.normalize(z)[0, 0, 0, 0], expected) < 1e-6
