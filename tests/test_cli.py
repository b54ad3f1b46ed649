import subprocess
import sys

import pytest

from framesift.cli import COMMANDS, main


def _run(*args):
    return subprocess.run([sys.executable, "-m", "framesift.cli", *args], capture_output=True, text=True)


def test_help_lists_every_subcommand():
    proc = _run("--help")
    assert proc.returncode == 0
    for cmd in COMMANDS:
        assert cmd.name in proc.stdout


@pytest.mark.parametrize("name", [c.name for c in COMMANDS])
def test_each_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert "usage: framesift " + name in capsys.readouterr().out


def test_unknown_flag_is_one_line_error():
    proc = _run("demo-data", "x", "--frobnicate")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--frobnicate" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_required_argument_is_one_line_error():
    proc = _run("curate", "--input", "x")
    assert proc.returncode == 2 and "--output" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_input_is_one_line_error(tmp_path):
    proc = _run("curate", "--input", str(tmp_path / "nope"), "--output", str(tmp_path / "run"))
    assert proc.returncode == 2
    assert "matches no files" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_unknown_command():
    proc = _run("frobnicate")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
