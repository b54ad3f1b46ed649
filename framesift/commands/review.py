"""`framesift review --run RUN_DIR [--db URL] [--port N]`: the review UI (Streamlit) on 127.0.0.1.

Resolves the review config, indexes the manifest and opens the decision store first (so a wrong run dir or DB URL
fails here, in one line), then replaces this process with `streamlit run curation_ui/app.py`, passing the run,
the store URL and the resolved config through the environment (curation_ui/ui/context.py reads them).
"""
from __future__ import annotations

import os
import sys

from framesift.commands.show_config import add_config_arguments
from framesift import run_files
from framesift.errors import UsageError
from framesift.run_layout import MANIFEST_DIR

APP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "curation_ui", "app.py")


def add_arguments(parser):
    parser.add_argument("--run", required=True, metavar="RUN_DIR", help="a finished curate run (local or gs://)")
    parser.add_argument("--db", metavar="URL",
                        help="SQLAlchemy URL of the decision store (default: sqlite:///RUN_DIR/review.sqlite; for a "
                             "gs:// run, a local SQLite file named after the run in framesift's state directory)")
    parser.add_argument("--port", type=int, metavar="N", help="port on 127.0.0.1 (default: config port, 8501)")
    parser.add_argument("--media-root", action="append", default=[], metavar="DIR",
                        help="directory (or gs:// prefix) the Item page may show original media from "
                             "(repeatable; the run dir is always allowed, nothing else is unless named here)")
    add_config_arguments(parser)


def _absolute(path: str) -> str:
    return path.rstrip("/") if run_files.is_remote(path) else os.path.abspath(path)


def streamlit_command(args) -> tuple[list[str], dict[str, str], str]:
    """(argv, environment, one-line description) for the Streamlit server; also prepares index and store."""
    from framesift.config import config_to_yaml, load_config
    cfg = load_config("review", args.config, args.overrides)
    run_dir = _absolute(args.run)
    if not run_files.is_dir(run_files.join(run_dir, MANIFEST_DIR)):
        raise UsageError(f"framesift review: {args.run} is not a curate run (no manifest/ folder)")
    cfg.port = args.port or cfg.port
    cfg.db_url = args.db or cfg.db_url
    cfg.media_roots = [_absolute(p) for p in list(cfg.media_roots) + list(args.media_root)]

    from sqlalchemy.engine import make_url
    from curation_ui.manifest_index import ensure_index
    from curation_ui.store import DecisionStore, default_db_url
    db_url = cfg.db_url or default_db_url(run_dir)
    try:
        DecisionStore(db_url).engine.dispose()
        _, meta = ensure_index(run_dir)
    except ValueError as e:
        raise UsageError(f"framesift review: {e}") from None
    env = dict(os.environ, FRAMESIFT_RUN=run_dir, FRAMESIFT_DB=db_url, FRAMESIFT_REVIEW_CONFIG=config_to_yaml(cfg))
    argv = [sys.executable, "-m", "streamlit", "run", APP, "--server.address", cfg.host,
            "--server.port", str(cfg.port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            "--client.toolbarMode", "viewer"]
    shown = make_url(db_url).render_as_string(hide_password=True)
    return argv, env, f"reviewing {meta['rows']:,} items of {run_dir} at http://{cfg.host}:{cfg.port}/ (store {shown})"


def run(args, extra):
    argv, env, line = streamlit_command(args)
    print(f"framesift review: {line}", flush=True)
    os.execve(argv[0], argv, env)    # Streamlit takes over this process: Ctrl-C and signals reach it directly
