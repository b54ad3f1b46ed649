"""The layering (ARCHITECTURE.md), checked the way it can break: import contracts (lint-imports, .importlinter), and
what actually lands in sys.modules when the UI, the model half or `framesift --help` is imported."""
import os
import pkgutil
import subprocess
import sys

import pytest

import framesift

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the parts of the framesift package that are not the core
NOT_CORE = {"cli", "commands", "demo_data"}


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)


def test_import_contracts_hold():
    lint = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([lint, "--no-cache"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_every_core_module_is_under_contract():
    """A new module in framesift/ is core unless it is the CLI or the demo corpus: the core contracts must name it."""
    with open(os.path.join(ROOT, ".importlinter"), encoding="utf-8") as f:
        text = f.read()
    core = sorted(m.name for m in pkgutil.iter_modules(framesift.__path__) if m.name not in NOT_CORE)
    assert core, "no core modules found"
    missing = [name for name in core if text.count(f"framesift.{name}\n") < 2]   # both core contracts
    assert not missing, f"core modules missing from the core contracts in .importlinter: {missing}"


_IMPORT_ALL = """
import importlib, pkgutil, sys
for name in {packages!r}:
    pkg = importlib.import_module(name)
    for info in pkgutil.walk_packages(pkg.__path__, name + "."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            importlib.import_module(info.name)
bad = sorted({{m.split(".")[0] for m in sys.modules}} & {forbidden!r})
print("FORBIDDEN", bad)
"""


@pytest.mark.parametrize("package", ["curation_ui", "model"])
def test_ui_and_model_import_neither_beam_nor_opencv(package):
    # Streamlit pages run their code on import (they need a session), so the UI is checked through its modules
    packages = ["curation_ui", "curation_ui.ui"] if package == "curation_ui" else ["model"]
    proc = _run(_IMPORT_ALL.format(packages=packages, forbidden={"apache_beam", "cv2"}))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "FORBIDDEN []" in proc.stdout, proc.stdout


def test_help_imports_no_beam_torch_or_jax():
    proc = _run("import sys\n"
                "from framesift.cli import main\n"
                "code = None\n"
                "try:\n"
                "    main(['--help'])\n"
                "except SystemExit as e:\n"
                "    code = e.code\n"
                "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'apache_beam', 'torch', 'jax', 'streamlit'})\n"
                "print('EXIT', code, 'HEAVY', heavy)\n")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "EXIT 0 HEAVY []" in proc.stdout, proc.stdout


def test_dedupe_index_imports_first():
    """The run directory and the dedupe index once imported each other: importing the index first failed."""
    proc = _run("import pipelines.dedupe.dedupe_index, pipelines.curate.run_dir; print('ok')")
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]
