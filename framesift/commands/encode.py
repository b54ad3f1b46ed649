"""`framesift encode`: flags framesift knows; everything else goes to Beam's PipelineOptions.

Importing this module is cheap (no Beam, no JAX) so `framesift --help` stays fast.
"""
from __future__ import annotations

from framesift.commands.show_config import add_config_arguments


def add_arguments(parser):
    parser.add_argument("--approved", required=True, metavar="PARQUET",
                        help="the approved set (framesift export), local or gs://")
    parser.add_argument("--autoencoder", metavar="CKPT",
                        help="autoencoder checkpoint (model/autoencoder); default: autoencoder_checkpoint in "
                             "the config")
    parser.add_argument("--output", required=True, metavar="SHARDS",
                        help="dataset directory for the latent shards (local or gs://)")
    parser.add_argument("--run", action="append", default=[], metavar="RUN_DIR",
                        help="the curate run(s) the set was approved from: picture embeddings and provenance")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a dataset of other inputs or settings in SHARDS (a rerun of the same inputs "
                             "resumes without it: only missing shards are written)")
    add_config_arguments(parser)
    parser.epilog = ("Unrecognised flags are Beam pipeline options, e.g. --runner DataflowRunner --project P "
                     "--region R --temp_location gs://B/tmp. Default: DirectRunner in this process.")


def run(args, beam_args):
    from framesift.config import load_config
    from framesift.errors import UsageError
    from pipelines.encode.job import EncodeInputError, format_summary, run_encode

    cfg = load_config("encode", args.config, args.overrides)
    checkpoint = args.autoencoder or cfg.autoencoder_checkpoint
    if not checkpoint:
        raise UsageError("framesift encode: give --autoencoder CKPT (or autoencoder_checkpoint in the config)")
    try:
        report = run_encode(args.approved, checkpoint, args.output, cfg, runs=args.run, beam_args=beam_args,
                            overwrite=args.overwrite)
    except EncodeInputError as e:
        raise UsageError(str(e)) from None
    print(format_summary(report))
    print(f"shards: {report['shards_dir']}  (dead letters: {report['dead_letter_file']}; "
          f"check with: framesift shards verify {report['shards_dir']})")
    return 0 if report["reconciled"] else 1
