"""The layering (ARCHITECTURE.md), checked the way it can break: import contracts (lint-imports, .importlinter), and
what actually lands in sys.modules when the UI, the model half or `framesift --help` is imported."""
import os
import pkgutil
import re
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


def test_encode_pixels_need_no_beam():
    """The encoder's per-item decoding reads local files with plain calls: it can run where Beam is not loaded."""
    proc = _run("import sys, pipelines.encode.pixels; print('BEAM', 'apache_beam' in sys.modules)")
    assert proc.returncode == 0 and "BEAM False" in proc.stdout, proc.stdout + proc.stderr[-3000:]


def test_dedupe_index_imports_first():
    """The run directory and the dedupe index once imported each other: importing the index first failed."""
    proc = _run("import pipelines.dedupe.dedupe_index, pipelines.curate.run_dir; print('ok')")
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]


# Manifest column names are spelled once, in framesift/schemas/columns.py (`Col`). A quoted column name used as a key
# (`row["keep"]`, `rec.get("caption")`, `{"width": w}`), a column selector (`table.column("item_id")`,
# `pc.field("keep")`, `columns=[...]`, a list of columns), a comparison or a membership test anywhere else is a
# second spelling that can drift.
# Allowed: records of their own that merely share a word with the manifest, as a whole file below or, for a key of
# something else (a URL parameter, a UI event), by a comment saying so ("not a manifest column") on its line or the
# line above.
_SCANNED = ("framesift", "pipelines", "curation_ui", "model", "benchmarks")
_COLUMN_NAME_ALLOWED = {
    "framesift/schemas": "the definition itself",
    "framesift/demo_data": "labels.csv / sidecar.csv columns of the demo corpus (its own records)",
    "model/autoencoder/checkpoint.py": "the checkpoint file's own 'format' key",
    "model/data/latent_pipeline.py": "latent example fields (framesift/schemas/latent.py), not manifest columns",
    "model/training/shards.py": "latent example fields (framesift/schemas/latent.py)",
    "benchmarks/latent_read_throughput.py": "latent example fields (framesift/schemas/latent.py)",
}
_NOT_A_COLUMN = re.compile(r"#.*not (a )?manifest columns?")
_SELECTORS = {"get", "pop", "setdefault", "column", "field", "select", "drop", "drop_columns", "set_column",
              "append_column", "add_column", "remove_column", "sort_by", "group_by", "rename_columns",
              "get_field_index"}


def _strings(node):
    import ast
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for elt in node.elts:
            yield from _strings(elt)


def quoted_column_names(path: str, columns: set) -> list:
    """(line, name) of every quoted manifest column name used as a key, selector or membership test in a file."""
    import ast
    with open(path, encoding="utf-8") as f:
        source = f.read()
    tree = ast.parse(source)
    found = []
    exports = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
               and any(getattr(target, "id", None) == "__all__" for target in node.targets)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and id(node) not in exports:   # columns to read/show
            found += _strings(node)
        if isinstance(node, ast.Subscript):
            found += _strings(node.slice)
        elif isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func in _SELECTORS:
                for arg in node.args:
                    found += _strings(arg)
            found += [s for kw in node.keywords if kw.arg in ("columns", "column", "keys", "by")
                      for s in _strings(kw.value)]
        elif isinstance(node, ast.Dict):
            found += [k for k in node.keys if k is not None for k in _strings(k)]
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            found += _strings(node.left)
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            for side in [node.left] + node.comparators:
                found += _strings(side)
    lines = source.splitlines()
    exempt = {i + 1 for i, line in enumerate(lines) if _NOT_A_COLUMN.search(line)}
    return sorted({(s.lineno, s.value) for s in found
                   if s.value in columns and s.lineno not in exempt and s.lineno - 1 not in exempt})


def test_manifest_column_names_are_spelled_once():
    from framesift.schemas.manifest import MANIFEST_SCHEMA
    columns = set(MANIFEST_SCHEMA.names)
    stray = []
    for top in _SCANNED:
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for name in sorted(n for n in files if n.endswith(".py")):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
                if any(rel == a or rel.startswith(a + "/") for a in _COLUMN_NAME_ALLOWED):
                    continue
                stray += [f"{rel}:{line}: {col!r}" for line, col in quoted_column_names(path, columns)]
    assert not stray, (f"{len(stray)} quoted manifest column names outside framesift/schemas; use "
                       "framesift.schemas.columns.Col:\n" + "\n".join(stray))


def test_the_column_scan_finds_a_quoted_column(tmp_path):
    """The scan above must be able to fail: each shape of use it looks for is caught, a plain string is not."""
    from framesift.schemas.manifest import MANIFEST_SCHEMA
    src = tmp_path / "sample.py"
    src.write_text('row["keep"]\nrow.get("caption")\nt.column("item_id")\nx = {"width": 1}\n'
                   'pq.read_table(p, columns=["scores"])\nif "fps" in row: pass\nok = f.name == "codec"\n'
                   'print("keep")\nCOLUMNS = ("mode", "phash")\n'
                   'row["width"]  # a URL parameter, not a manifest column\n')
    assert quoted_column_names(str(src), set(MANIFEST_SCHEMA.names)) == [
        (1, "keep"), (2, "caption"), (3, "item_id"), (4, "width"), (5, "scores"), (6, "fps"), (7, "codec"),
        (9, "mode"), (9, "phash")]
