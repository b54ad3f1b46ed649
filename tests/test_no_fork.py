"""No code path forks a process that may have gRPC, JAX or torch threads running (issue 9, apache/beam#25374):
a forked child can inherit a lock another thread held and die at random under load. Child processes are started
fresh (subprocess, multiprocessing 'spawn'/'forkserver', os.exec*): see pipelines/media/helper_process.py.

Where processes start, and why none is a fork of a threaded process (each justified where it happens):
- decoding in curate and encode: pipelines/media/helper_process.py (fork+exec of a fresh interpreter)
- Beam DirectRunner multi_processing workers: subprocess.Popen of sdk_worker_main (pipelines/curate/job.py)
- RunInference share_model_across_processes: a server thread, no process (pipelines/scoring/clip_handler.py)
- `framesift review`: os.execve into Streamlit (framesift/commands/review.py)
- Grain worker_count / mp_prefetch: grain's 'spawn' context (model/data/latent_pipeline.py)
- benchmarks: subprocess, or a 'spawn' pool (benchmarks/curate_throughput.py)
Library code that would fork is caught below by its call: preexec_fn, the default multiprocessing context, torch's
DataLoader workers, Beam's use_subprocess=True."""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("framesift", "pipelines", "curation_ui", "model", "benchmarks")


def _name(node) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def forking_calls(source: str) -> list[tuple[int, str]]:
    """(line, why) for each call that forks the calling process."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        keywords = {k.arg: k.value for k in node.keywords}
        first = node.args[0] if node.args else None
        literal = first.value if isinstance(first, ast.Constant) else None
        use_subprocess = keywords.get("use_subprocess")
        if isinstance(use_subprocess, ast.Constant) and use_subprocess.value is True:
            found.append((node.lineno, "Beam's use_subprocess=True forks the worker"))
        elif name in ("os.fork", "os.forkpty", "fork", "forkpty", "pty.fork"):
            found.append((node.lineno, "os.fork"))
        elif "preexec_fn" in keywords:
            found.append((node.lineno, "preexec_fn runs Python in the forked child before exec"))
        elif name.endswith(("get_context", "set_start_method")) and (literal == "fork" or (
                name.endswith("get_context") and not node.args and "method" not in keywords)):
            found.append((node.lineno, "the 'fork' start method (the default context on Linux)"))
        elif name.endswith("DataLoader") and "num_workers" in keywords and \
                "multiprocessing_context" not in keywords:
            found.append((node.lineno, "torch's DataLoader workers fork by default"))
        elif name.endswith("ProcessPoolExecutor") and "mp_context" not in keywords:
            found.append((node.lineno, "ProcessPoolExecutor without mp_context forks on Linux"))
        elif name in ("multiprocessing.Pool", "multiprocessing.Process", "mp.Pool", "mp.Process", "Pool",
                      "Process"):
            found.append((node.lineno, "the default multiprocessing context forks on Linux"))
    return found


def test_no_code_forks_a_threaded_process():
    found = []
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in (n for n in files if n.endswith(".py")):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    found += [f"{os.path.relpath(path, ROOT)}:{line}: {why}" for line, why in forking_calls(f.read())]
    assert not found, "\n".join(found)


def test_the_guard_catches_what_it_should():
    for bad in ["beam.ParDo(fn).with_exception_handling(use_subprocess=True)", "pid = os.fork()",
                "multiprocessing.get_context('fork')", "ProcessPoolExecutor(2)", "mp.Pool(4)",
                "multiprocessing.Process(target=f)", "subprocess.Popen(argv, preexec_fn=os.setsid)",
                "multiprocessing.get_context().Pool(2)", "DataLoader(ds, num_workers=4)"]:
        assert forking_calls(bad), bad
    for fine in ["ProcessPoolExecutor(2, mp_context=multiprocessing.get_context('spawn'))",
                 "mp.get_context('spawn').Pool(4)", "subprocess.Popen([sys.executable, '-m', 'x'])",
                 "'''with_exception_handling(use_subprocess=True) forks'''",
                 "subprocess.Popen(argv, start_new_session=True)",
                 "DataLoader(ds, num_workers=4, multiprocessing_context='spawn')"]:
        assert not forking_calls(fine), fine
