"""The decoder helper process: results and errors come back as themselves, a crash or a hang costs one call and
the next call gets a fresh helper, and the helper carries no Beam, gRPC or JAX."""
import os

import pytest

from pipelines.media.helper_process import (HelperCrashed, HelperPool, HelperTimedOut, acquire_shared_pool,
                                            close_spares, release_shared_pool, start_spares)
from tests.helper_targets import CrashingAnalyzer, Probe
from tests.media_fixtures import jpeg_bytes


@pytest.fixture
def pool():
    p = HelperPool(Probe())
    yield p
    p.close()


def test_calls_run_in_one_long_lived_helper(pool):
    first = pool.call("echo", {"a": [1, 2]})
    second = pool.call("echo", "b")
    assert first[0] == {"a": [1, 2]} and second[0] == "b"
    assert (first[1], second[1]) == (1, 2), "setup ran once and the helper kept its state"
    assert first[2] == second[2] != os.getpid()


def test_an_exception_comes_back_as_itself_with_the_helpers_traceback(pool):
    with pytest.raises(ValueError, match="bad input") as info:
        pool.call("fail", "bad input")
    assert "def fail" in str(info.value.__cause__) or "fail" in str(info.value.__cause__)
    assert pool.call("echo", 1)[1] == 1, "an ordinary exception does not restart the helper"


def test_a_native_crash_costs_one_call_and_the_helper_restarts(pool):
    pid = pool.call("echo", 0)[2]
    with pytest.raises(HelperCrashed, match="SIGABRT"):
        pool.call("abort")
    value, calls, new_pid = pool.call("echo", 2)
    assert (value, calls) == (2, 1) and new_pid != pid
    assert pool.starts == 2


def test_a_helper_that_died_while_idle_is_restarted_without_failing_the_next_input(pool):
    import signal
    import time
    pid = pool.call("echo", 0)[2]
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    assert pool.call("echo", 1)[:2] == (1, 1)


def test_a_hang_is_killed_after_the_time_limit():
    pool = HelperPool(Probe(), timeout_s=1)
    try:
        with pytest.raises(HelperTimedOut, match="over 1s"):
            pool.call("sleep", 30)
        assert pool.call("sleep", 0) == 0
    finally:
        pool.close()


def test_the_helper_imports_no_beam_grpc_or_jax(tmp_path):
    from framesift.config import load_config
    image = tmp_path / "a.jpg"
    import skimage.data
    image.write_bytes(jpeg_bytes(skimage.data.astronaut()))
    cfg = load_config("curate", overrides=["scoring.enabled=false"])
    pool = HelperPool(CrashingAnalyzer(cfg, str(tmp_path / "run")))
    try:
        row, picture = pool.call("analyze_image", str(image))
        assert row.width == 512 and picture is None       # scoring off: no picture travels back
        loaded = pool.call("loaded_modules")
    finally:
        pool.close()
    heavy = [m for m in loaded if m.split(".")[0] in ("apache_beam", "grpc", "jax", "jaxlib", "tensorflow")]
    assert not heavy, heavy[:5]


def test_dofns_of_one_job_share_a_pool_and_the_last_user_closes_it():
    a, b = acquire_shared_pool(Probe()), acquire_shared_pool(Probe())
    assert a is b
    pid = a.call("echo", 0)[2]
    release_shared_pool(a)
    assert b.call("echo", 0)[2] == pid
    release_shared_pool(b)
    c = acquire_shared_pool(Probe())
    try:
        assert c is not a
    finally:
        release_shared_pool(c)


def test_a_spare_started_ahead_is_adopted_by_the_next_pool_and_has_its_modules_loaded():
    from pipelines.media import helper_process
    start_spares(1, ("json.tool",))
    spare = helper_process._SPARES[0]
    pool = HelperPool(Probe())
    try:
        value, calls, pid = pool.call("echo", 1)
        assert (value, calls, pid) == (1, 1, spare.proc.pid), "the pool adopted the spare, it started no helper"
        assert not helper_process._SPARES and pool.starts == 1
        assert "json.tool" in pool.call("loaded_modules")
    finally:
        pool.close()


def test_a_spare_that_died_is_skipped_and_unadopted_spares_are_closed():
    import signal
    from pipelines.media import helper_process
    start_spares(2)
    dead, spare = helper_process._SPARES
    os.kill(dead.proc.pid, signal.SIGKILL)
    dead.proc.wait()
    pool = HelperPool(Probe())
    try:
        assert pool.call("echo", 0)[2] == spare.proc.pid
    finally:
        pool.close()
    start_spares(1)
    left = helper_process._SPARES[0].proc
    close_spares()
    assert left.wait(timeout=10) == 0 and not helper_process._SPARES, "a spare with no target exits on EOF"


def test_with_decoding_isolated_the_launcher_never_imports_the_decoders(tmp_path):
    """Only the helper runs item_work (PyAV, SciPy's FFTs, the encoders): the launcher, whose single core builds the job,
    does not pay for importing them."""
    import subprocess
    import sys
    import skimage.data
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jpg").write_bytes(jpeg_bytes(skimage.data.astronaut()))
    code = ("import sys\n"
            "from framesift.config import load_config\n"
            "from pipelines.curate.job import run_curate\n"
            "cfg = load_config('curate', overrides=['scoring.enabled=false'])\n"
            f"report = run_curate(cfg, [{str(tmp_path / 'in')!r}], {str(tmp_path / 'run')!r},"
            " beam_args=['--direct_running_mode=in_memory'])\n"
            "assert report['items']['total'] == 1, report\n"
            "print(sorted(m for m in sys.modules if m in ('av', 'scipy.fft', 'pipelines.curate.item_work')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
