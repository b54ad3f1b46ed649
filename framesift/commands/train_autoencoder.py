"""`framesift train-autoencoder --data approved.parquet --workdir W [--config FILE] [--set k=v] [--init CKPT]`:
train a KL autoencoder from scratch, or fine-tune a converted one, on the approved items (images and clip frames).
Rerunning the same command after an interruption resumes from W's last checkpoint."""
from __future__ import annotations

from framesift.commands.show_config import add_config_arguments


def add_arguments(parser):
    parser.add_argument("--data", required=True, metavar="PARQUET",
                        help="approved set (framesift export) or any manifest with item_id/source_uri/media_type; "
                             "local or gs:// (its media may be gs:// too)")
    parser.add_argument("--workdir", required=True, metavar="W",
                        help="run directory (resumes if it has checkpoints); local or gs:// (a local copy, uploaded "
                             "at the end)")
    parser.add_argument("--init", metavar="CKPT", help="framesift autoencoder checkpoint to fine-tune (local or gs://)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs only)")
    add_config_arguments(parser)


def run(args, extra):
    from framesift import run_files
    from framesift.commands.remote_paths import local_input, local_workdir
    from framesift.config import load_config
    from framesift.errors import UsageError
    from model.autoencoder_training.trainer import train
    from pipelines.media.frame_reader import read_frame   # curation's decoders, without Beam

    cfg = load_config("autoencoder", args.config, args.overrides)
    if run_files.stamp(args.data) is None:
        raise UsageError(f"framesift train-autoencoder: --data {args.data} is not a file")
    with local_workdir(args.workdir) as workdir:
        result = train(cfg, local_input(args.data), workdir, read_frame, init=local_input(args.init),
                       progress=not args.no_progress)
    evals = result["evals"]
    if evals:
        first, final = evals[0], evals[-1]
        print(f"eval PSNR {first['psnr']:.2f} dB (step {first['step']}) -> {final['psnr']:.2f} dB "
              f"(step {final['step']}); SSIM {first['ssim']:.3f} -> {final['ssim']:.3f}")
    print(f"trained steps {result['start_step']}..{result['end_step']}; autoencoder: "
          f"{run_files.join(args.workdir, 'autoencoder')}")
    return 0
