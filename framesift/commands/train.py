"""`framesift train --data SHARDS --workdir W [--config FILE] [--set k=v]`: train (or resume) the diffusion
transformer on latent shards. Re-running with the same --workdir resumes from its last checkpoint."""
from __future__ import annotations

from framesift.commands.show_config import add_config_arguments


def add_arguments(parser):
    parser.add_argument("--data", required=True, metavar="SHARDS",
                        help="latent dataset directory (framesift encode), local or gs:// (read from a local copy)")
    parser.add_argument("--workdir", required=True, metavar="W",
                        help="checkpoints, metrics.jsonl, config, spec; local or gs:// (a local copy, uploaded at "
                             "the end)")
    parser.add_argument("--bucket", metavar="TxHxW", help="latent shape to train on (default: the most common)")
    parser.add_argument("--stop-at", type=int, metavar="STEP", help="stop (with a checkpoint) at this step")
    add_config_arguments(parser)


def run(args, extra):
    from framesift import run_files
    from framesift.commands.remote_paths import local_input, local_workdir
    from framesift.config import load_config
    from framesift.errors import UsageError
    if not run_files.exists(run_files.join(args.data, "dataset_info.json")):
        raise UsageError(f"framesift train: {args.data} is not a latent dataset (no dataset_info.json)")
    cfg = load_config("diffusion", args.config, args.overrides)
    data_dir = local_input(args.data)
    from model.training.shards import ShardTrainingSet
    from model.training.trainer import train
    data = ShardTrainingSet.open(data_dir, bucket=args.bucket)
    print(f"training on {args.data}: latents {tuple(data.latent_shape)} (bucket {data.bucket}), "
          f"{data.num_classes} classes, embedding dim {data.embedding_dim}"
          + (f"; {data.left_out} records of other shapes left out" if data.left_out else ""))
    with local_workdir(args.workdir) as workdir:
        summary = train(cfg, data, workdir, stop_at=args.stop_at)
    print(f"step {summary['end_step']}: loss {summary.get('loss', float('nan')):.4f}, "
          f"{summary.get('step_time_s', 0) * 1000:.0f} ms/step, data wait "
          f"{summary.get('data_wait_fraction', 0):.1%} -> {args.workdir}")
    return 0
