"""`framesift rethreshold RUN_DIR --set filters.sharpness.min=0.01`: re-apply thresholds to a finished run from the
recorded scores (pipelines/curate/rethreshold.py does the work)."""
from __future__ import annotations


def add_arguments(parser):
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a finished curate run (local or gs://)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="threshold to change, e.g. --set filters.sharpness.min=0.01 (repeatable)")


def run(args, extra):
    from framesift.schemas.columns import Col
    from pipelines.curate.report import format_summary
    from pipelines.curate.rethreshold import rethreshold
    report = rethreshold(args.run_dir, args.overrides)
    log = report["rethreshold"]
    print(f"rethreshold: {log['rows_changed']} rows changed decision "
          f"(config {log['previous_config_hash']} -> {report[Col.CONFIG_HASH]})")
    if log["filters_without_scores"]:
        print("note: no recorded scores for " + ", ".join(log["filters_without_scores"]) +
              " in this run; their thresholds change nothing here (re-run curate to score them)")
    print(format_summary(report))
    return 0
