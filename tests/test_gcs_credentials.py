"""Credentials for gs:// paths: one line saying what to run when none exist, silence against an emulator."""
import logging

import google.auth
import pytest
from apache_beam.internal.gcp import auth as beam_auth
from google.auth.exceptions import DefaultCredentialsError

from framesift import cli


@pytest.fixture
def no_login(monkeypatch):
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    calls = []

    def no_credentials(*args, **kwargs):
        calls.append(args)
        raise DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.setattr(google.auth, "default", no_credentials)
    # Beam's per-process credential cache: restored after the test
    monkeypatch.setattr(beam_auth._Credentials, "_credentials_init", False)
    monkeypatch.setattr(beam_auth._Credentials, "_credentials", None)
    return calls


def test_missing_credentials_against_gcs_is_one_line(no_login, capsys):
    rc = cli.main(["curate", "--input", "gs://some-bucket/raw/", "--output", "gs://some-bucket/runs/r1"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "gcloud auth application-default login" in err
    assert len(no_login) == 1                      # looked up once, no retries


def test_local_paths_never_look_credentials_up(no_login, tmp_path, capsys):
    rc = cli.main(["curate", "--input", str(tmp_path / "missing"), "--output", str(tmp_path / "run")])
    assert rc == 2 and no_login == []
    assert "credentials" not in capsys.readouterr().err


def test_emulator_access_is_anonymous_and_quiet(no_login, monkeypatch, caplog):
    from framesift.commands.gcs_credentials import check_gcs_credentials
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    caplog.set_level(logging.DEBUG)
    check_gcs_credentials(["--input", "gs://b/raw/"])
    from apache_beam.options.pipeline_options import PipelineOptions
    # what Beam's GCS client asks for: answered from the cache, no look-up, no retry, no warning
    assert beam_auth.get_service_credentials(PipelineOptions([])) is None
    assert no_login == []
    assert not [r for r in caplog.records if "credentials" in r.getMessage().lower()], caplog.records


def test_job_worker_processes_skip_the_lookup_against_an_emulator(monkeypatch):
    """DirectRunner's worker processes import pipelines.gcs_emulator_access as a Beam plugin first, so their GCS
    client connects anonymously at once instead of retrying the look-up (~26 s and a logged traceback each)."""
    import os
    import subprocess
    import sys
    from apache_beam.options.pipeline_options import SetupOptions
    from pipelines.curate.job import pipeline_options
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    plugins = pipeline_options(["--direct_running_mode=multi_processing"]).view_as(SetupOptions).beam_plugins
    assert plugins == ["pipelines.gcs_emulator_access"]
    worker = ("import logging, time\n"
              "logging.basicConfig(level=logging.WARNING)\n"
              "from apache_beam.runners.worker.sdk_worker_main import _import_beam_plugins\n"
              f"_import_beam_plugins({plugins!r})\n"
              "from apache_beam.internal.gcp import auth\n"
              "from apache_beam.options.pipeline_options import PipelineOptions\n"
              "t = time.time()\n"
              "print(auth.get_service_credentials(PipelineOptions([])), time.time() - t)\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", worker], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": root})
    creds, took = done.stdout.split()
    assert creds == "None" and float(took) < 1.0, done.stderr[-2000:]
    assert "credentials" not in done.stderr.lower() and "Traceback" not in done.stderr, done.stderr[-2000:]

    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    assert not pipeline_options([]).view_as(SetupOptions).beam_plugins     # real GCS keeps the real look-up
