"""`framesift convert-vae --diffusers DIR --output CKPT`: a diffusers AutoencoderKL / AutoencoderKLWan folder
(config.json + safetensors, e.g. the `vae/` folder of an SD, SDXL, SD3, FLUX.1 or Wan 2.1 download) -> a
framesift autoencoder checkpoint. When torch and diffusers are importable, the result is compared with diffusers
on a fixed input and nothing is written if they differ by more than --tolerance."""
from __future__ import annotations


def add_arguments(parser):
    parser.add_argument("--diffusers", required=True, metavar="DIR", help="diffusers save_pretrained folder")
    parser.add_argument("--output", required=True, metavar="CKPT", help="checkpoint directory to write")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="largest max-abs difference from diffusers (float32) that is accepted (default 1e-4)")
    parser.add_argument("--no-check", action="store_true", help="do not compare with diffusers even if importable")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint")


def run(args, extra):
    from framesift.errors import UsageError
    from model.autoencoder.convert import convert
    from model.autoencoder.diffusers_folder import ConversionError

    try:
        result = convert(args.diffusers, args.output, check=not args.no_check, tolerance=args.tolerance,
                         overwrite=args.overwrite)
    except ConversionError as e:
        raise UsageError(f"framesift convert-vae: {e}") from None
    cfg = result.ae.config
    print(f"{result.class_name}: {cfg.latent_channels} latent channels, {cfg.downsample_factor}x spatial"
          + (f" / {cfg.temporal_factor}x temporal" if cfg.temporal_factor > 1 else "")
          + f", scaling_factor {cfg.scaling_factor:g}, shift_factor {cfg.shift_factor:g}"
          + (", per-channel latents_mean/std" if cfg.latents_mean is not None else ""))
    if result.parity is None:
        print(f"parity check skipped: {result.skipped_because}")
    else:
        print(f"parity vs diffusers (float32, fixed input): posterior mean max|diff| {result.parity['mean']:.3g}, "
              f"decoded max|diff| {result.parity['decoded']:.3g} (tolerance {args.tolerance:g})")
    if result.written is None:
        print(f"error: the converted model differs from diffusers by more than {args.tolerance:g}; nothing written")
        return 1
    print(f"wrote {result.written}")
    return 0
