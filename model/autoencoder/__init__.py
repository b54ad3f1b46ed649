"""KL autoencoders for framesift's latent space (see README.md in this folder for the contract).

    ae = load_autoencoder("ckpt/sdxl-vae")          # written by `framesift convert-vae` or `train-autoencoder`
    mean, logvar = ae.encode(images)                # images (N, H, W, 3) float32 in [-1, 1]
    z = ae.normalize(mean)                          # what a diffusion model trains on
    images = ae.decode(ae.denormalize(z))
    clip_latents, _ = ae.encode_video(clips)        # (N, T, H, W, 3) -> (N, T', H/8, W/8, C)
"""
from framesift.config.autoencoder import KLArch, WanArch
from model.autoencoder.base import Autoencoder, sample_posterior
from model.autoencoder.build import build_autoencoder
from model.autoencoder.checkpoint import load_autoencoder, save_autoencoder

__all__ = ["Autoencoder", "KLArch", "WanArch", "build_autoencoder", "load_autoencoder", "save_autoencoder",
           "sample_posterior"]
