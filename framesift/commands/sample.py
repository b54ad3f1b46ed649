"""`framesift sample --workdir W [--guidance G] [--steps N] [--sampler S] [--num K] [--output grid.png]`: draw
samples from a trained diffusion transformer (EMA weights), decode them with the shards' autoencoder and write a
grid (and an mp4 per clip)."""
from __future__ import annotations


def add_arguments(parser):
    parser.add_argument("--workdir", required=True, metavar="W",
                        help="a `framesift train` work directory, local or gs:// (read from a local copy)")
    parser.add_argument("--guidance", type=float, help="classifier-free guidance w (0: none; default: config)")
    parser.add_argument("--interval", type=float, nargs=2, metavar=("T_LO", "T_HI"),
                        help="apply guidance only for t in [T_LO, T_HI] (t = 1 is noise)")
    parser.add_argument("--steps", type=int, help="sampling steps (default: config)")
    parser.add_argument("--sampler", choices=["euler", "heun", "euler_ancestral", "ddim"],
                        help="default: config")
    parser.add_argument("--num", type=int, default=16, help="samples (default 16)")
    parser.add_argument("--label", type=int, action="append",
                        help="class labels to sample (repeatable; default: cycle through the classes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--raw-weights", action="store_true", help="sample with the raw weights instead of EMA")
    parser.add_argument("--autoencoder", metavar="CKPT",
                        help="decode with this checkpoint, local or gs:// (default: the shards')")
    parser.add_argument("--output", default="samples.png", metavar="PNG", help="local or gs:// (mp4s go beside it)")


def _upload_beside(path: str, local_output: str, output: str) -> str:
    import os
    from framesift import run_files
    uri = run_files.join(output.rsplit("/", 1)[0], os.path.relpath(path, os.path.dirname(local_output)))
    run_files.upload(path, uri)
    return uri


def run(args, extra):
    from framesift.errors import UsageError
    if args.num < 1:
        raise UsageError("framesift sample: --num must be >= 1")
    from framesift import run_files
    from framesift.commands.remote_paths import local_input
    from model.sampling_run import sample_to_file
    output = run_files.cache_path(args.output) if run_files.is_remote(args.output) else args.output
    written, info = sample_to_file(local_input(args.workdir), output, num=args.num, guidance=args.guidance,
                                   steps=args.steps, sampler=args.sampler, interval=args.interval,
                                   labels=args.label, seed=args.seed, use_ema=not args.raw_weights,
                                   autoencoder=local_input(args.autoencoder))
    if output != args.output:       # the grid and the clips' mp4s beside it, uploaded once all are written
        written = [_upload_beside(path, output, args.output) for path in written]
    print(f"{args.num} samples (step {info['step']}, {info['sampler']}, {info['steps']} steps, guidance "
          f"{info['guidance']}, {info['decoded']}) -> {', '.join(written)}")
    return 0
