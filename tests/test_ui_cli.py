"""`framesift review` (how it starts Streamlit) and the rule that the UI never imports Apache Beam."""
import argparse
import subprocess
import sys

import pytest
import yaml

from framesift.commands import review
from framesift.errors import UsageError
from tests.ui_fixtures import make_run


def _args(run, **kw):
    ns = dict(run=str(run), db=None, port=None, media_root=[], config=None, overrides=[])
    ns.update(kw)
    return argparse.Namespace(**ns)


def test_review_command_runs_streamlit_on_localhost_with_the_run_in_the_environment(tmp_path):
    run = make_run(tmp_path / "run", n_images=3)
    argv, env, line = review.streamlit_command(_args(run, port=8642, media_root=[str(tmp_path)],
                                                     overrides=["page_size=12"]))
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("curation_ui/app.py")
    flags = dict(zip(argv[5::2], argv[6::2]))
    assert flags["--server.address"] == "127.0.0.1" and flags["--server.port"] == "8642"
    assert flags["--server.headless"] == "true" and flags["--browser.gatherUsageStats"] == "false"
    assert env["FRAMESIFT_RUN"] == run and env["FRAMESIFT_DB"] == f"sqlite:///{run}/review.sqlite"
    cfg = yaml.safe_load(env["FRAMESIFT_REVIEW_CONFIG"])
    assert cfg["page_size"] == 12 and cfg["media_roots"] == [str(tmp_path)]
    assert "4 items" in line and "8642" in line
    assert (tmp_path / "run" / "review.sqlite").exists()       # the store opened (and was created) up front


def test_review_command_passes_the_db_url_on(tmp_path):
    run = make_run(tmp_path / "run", n_images=1)
    url = f"sqlite:///{tmp_path}/other.sqlite"
    argv, env, line = review.streamlit_command(_args(run, db=url))
    assert env["FRAMESIFT_DB"] == url and url in line


def test_review_command_refuses_a_directory_that_is_not_a_run(tmp_path):
    with pytest.raises(UsageError, match="not a curate run"):
        review.streamlit_command(_args(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "framesift.cli", "review", "--run", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "not a curate run" in proc.stderr and "Traceback" not in proc.stderr
