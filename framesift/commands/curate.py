"""`framesift curate`: flags framesift knows; everything else goes to Beam's PipelineOptions.

Importing this module is cheap (no Beam) so `framesift --help` stays fast.
"""
from __future__ import annotations

from framesift.commands.show_config import add_config_arguments


def add_arguments(parser):
    parser.add_argument("--input", action="append", default=[], metavar="URI",
                        help="file, directory or glob (local or gs://); repeatable")
    parser.add_argument("--input-list", action="append", default=[], metavar="FILE",
                        help="file of URIs, one per line, or a dead_letter/*.jsonl to re-run its failures")
    parser.add_argument("--output", required=True, metavar="RUN_DIR", help="run directory (local or gs://)")
    parser.add_argument("--sidecar", action="append", default=[], metavar="FILE",
                        help="CSV/JSONL/Parquet metadata keyed by file path (caption, label, ...)")
    parser.add_argument("--dedupe-against", action="append", default=[], metavar="PATH",
                        help="earlier run dir or eval-set index: new items that duplicate its items are rejected "
                             "(eval sets: flagged as leakage); repeatable")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier run in RUN_DIR")
    add_config_arguments(parser)
    parser.epilog = ("Unrecognised flags are Beam pipeline options, e.g. --runner DataflowRunner --project P "
                     "--region R --temp_location gs://B/tmp --setup_file ./setup.py. "
                     "Default: DirectRunner on every core.")


def run(args, beam_args):
    from framesift.errors import UsageError
    from framesift.config import load_config
    import sys
    from pipelines.curate.job import InputError, JobFailed, format_summary, run_curate

    cfg = load_config("curate", args.config, args.overrides)
    cfg.ingest.sidecars = list(cfg.ingest.sidecars) + list(args.sidecar)
    cfg.dedupe.against = list(cfg.dedupe.against) + list(args.dedupe_against)
    try:
        report = run_curate(cfg, args.input, args.output, args.input_list, beam_args, args.overwrite,
                            console=True)
    except InputError as e:
        raise UsageError(str(e)) from None
    except JobFailed as e:      # one line here; the traceback is in the run directory
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(format_summary(report))
    print(f"outputs: {report['run_dir']}/ (manifest/, dead_letter/, previews/, report.json, report.html)")
    return 0 if report["reconciled"] else 1
