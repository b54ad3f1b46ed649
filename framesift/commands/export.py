"""`framesift export --run RUN_DIR [--db URL] --output approved.parquet [--policy NAME]`: the approved set.

Every manifest row that survives review under the policy, with its provenance (decision, source pipeline|human,
reviewer, decided_at, ...); see curation_ui/export.py for the policies.
"""
from __future__ import annotations

import os
import typing

from framesift import run_files
from framesift.commands.show_config import add_config_arguments
from framesift.config import ReviewConfig
from framesift.run_layout import MANIFEST_DIR

POLICY_NAMES = typing.get_args(typing.get_type_hints(ReviewConfig)["export_policy"])


def add_arguments(parser):
    parser.add_argument("--run", required=True, metavar="RUN_DIR", help="a finished curate run (local or gs://)")
    parser.add_argument("--db", metavar="URL",
                        help="SQLAlchemy URL of the decision store (default: the one `framesift review` uses: "
                             "sqlite:///RUN_DIR/review.sqlite, or for a gs:// run a local file named after the run)")
    parser.add_argument("--output", required=True, metavar="FILE", help="Parquet file to write (local or gs://)")
    parser.add_argument("--policy", choices=POLICY_NAMES,
                        help="pipeline_then_human (default): pipeline-kept minus human rejects plus human "
                             "approvals; pipeline_then_human_strict: also drops flagged; human_only: approvals only")
    add_config_arguments(parser)


def run(args, extra):
    from framesift.config import load_config
    from framesift.errors import UsageError
    from curation_ui.export import export_approved
    from curation_ui.store import DecisionStore, default_db_path, default_db_url

    cfg = load_config("review", args.config, args.overrides)
    if not run_files.is_dir(run_files.join(args.run, MANIFEST_DIR)):
        raise UsageError(f"framesift export: {args.run} is not a curate run (no manifest/ folder)")
    db_url = args.db or cfg.db_url
    if db_url is None and not os.path.exists(default_db_path(args.run)):
        print(f"framesift export: no review store for {args.run}: exporting the pipeline's decisions only")
        db_url = "sqlite://"    # an empty in-memory store; creates nothing in the run dir
    store = DecisionStore(db_url or default_db_url(args.run))
    policy = args.policy or cfg.export_policy
    stats = export_approved(args.run, store, args.output, policy)
    print(f"exported {stats.get('exported', 0):,} of {stats.get('rows', 0):,} items to {args.output} "
          f"(policy {policy})")
    for key in sorted(k for k in stats if ":" in k):
        source, decision = key.split(":")
        print(f"  {decision:15s} ({source}) {stats[key]:,}")
    return 0
