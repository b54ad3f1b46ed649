"""Anonymous access to a local GCS emulator in every process of a Beam job, with no credential look-up.

Beam's GCS client looks credentials up once per process: `google.auth.default()`, retried four times with backoff
(~26 s, a traceback logged on each try), before it connects anonymously. Against an emulator (STORAGE_EMULATOR_HOST)
anonymous access is the intended case, so `connect_anonymously()` records that answer up front: the launching
process calls it (framesift/commands/gcs_credentials.py), and DirectRunner's worker processes import this module
at start-up as a Beam plugin (`--beam_plugins`, added by `add_worker_plugin`), which does the same on import.
Without an emulator nothing here runs: real GCS keeps the real look-up.
"""
from __future__ import annotations

import os

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"


def connect_anonymously() -> None:
    try:
        from apache_beam.internal.gcp import auth
    except ImportError:
        return
    creds = getattr(auth, "_Credentials", None)
    if creds is not None and hasattr(creds, "_credentials_init"):
        creds._credentials = None
        creds._credentials_init = True


def add_worker_plugin(options) -> None:
    """With an emulator set, make every worker process of the job import this module first (PipelineOptions)."""
    if not os.environ.get(EMULATOR_ENV):
        return
    from apache_beam.options.pipeline_options import SetupOptions
    setup = options.view_as(SetupOptions)
    plugins = list(setup.beam_plugins or [])
    if __name__ not in plugins:
        setup.beam_plugins = plugins + [__name__]


if os.environ.get(EMULATOR_ENV):        # imported as a Beam plugin by a worker process
    connect_anonymously()
