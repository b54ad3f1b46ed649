"""`framesift train-autoencoder --data approved.parquet --workdir W [--config FILE] [--set k=v] [--init CKPT]`:
train a KL autoencoder from scratch, or fine-tune a converted one, on the approved items (images and clip frames).
Rerunning the same command after an interruption resumes from W's last checkpoint."""
from __future__ import annotations

from framesift.commands.show_config import add_config_arguments


def add_arguments(parser):
    parser.add_argument("--data", required=True, metavar="PARQUET",
                        help="approved set (framesift export) or any manifest with item_id/source_uri/media_type")
    parser.add_argument("--workdir", required=True, metavar="W", help="run directory (resumes if it has checkpoints)")
    parser.add_argument("--init", metavar="CKPT", help="framesift autoencoder checkpoint to fine-tune")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs only)")
    add_config_arguments(parser)


def run(args, extra):
    import os

    from framesift.config import load_config
    from framesift.errors import UsageError
    from model.autoencoder_training.trainer import train
    from pipelines.media.frame_reader import read_frame   # curation's decoders, without Beam

    cfg = load_config("autoencoder", args.config, args.overrides)
    if not os.path.isfile(args.data):
        raise UsageError(f"framesift train-autoencoder: --data {args.data} is not a file")
    result = train(cfg, args.data, args.workdir, read_frame, init=args.init, progress=not args.no_progress)
    evals = result["evals"]
    if evals:
        first, final = evals[0], evals[-1]
        print(f"eval PSNR {first['psnr']:.2f} dB (step {first['step']}) -> {final['psnr']:.2f} dB "
              f"(step {final['step']}); SSIM {first['ssim']:.3f} -> {final['ssim']:.3f}")
    print(f"trained steps {result['start_step']}..{result['end_step']}; autoencoder: "
          f"{os.path.join(args.workdir, 'autoencoder')}")
    return 0
