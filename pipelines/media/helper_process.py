"""Run crash-prone native work (decoders, encoders) in a long-lived helper process, so a segfault or abort in it
costs one input, not the Beam worker and with it the job.

Why not Beam's `with_exception_handling(use_subprocess=True)`: it starts its helper with fork() from a worker whose
gRPC threads are running; the child can inherit a lock another thread held and die in `mutex.cc`
(apache/beam#25374), which ends the whole job with BrokenProcessPool. Here the helper is a fresh interpreter,
started with fork+exec (subprocess, which runs no Python code and no fork handlers between the two), fed over a
pipe; it is started on first use, restarted after it dies, and stops when its pipe closes.

    pool = HelperPool(target)          # target: picklable; its `setup()` runs once in each helper
    result = pool.call("method", arg)  # target.method(arg) in a helper; raises HelperCrashed if the helper died

A launcher that will need helpers in its own process can start them ahead (start_spares): their interpreter start-up
and imports then run beside its own work (building the job) instead of after it, and the first pools adopt them.
"""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
from multiprocessing.connection import Connection
from typing import Any, Optional

_MAIN = "pipelines.media.helper_process_main"
_LAST_WORDS = 600       # characters of the helper's stderr quoted when it dies


class HelperCrashed(RuntimeError):
    """The helper process died (a signal or an exit) while working on one input."""


class HelperTimedOut(RuntimeError):
    """The helper took longer than its time limit on one input; it was killed."""


class HelperRemoteError(RuntimeError):
    """An exception in the helper that could not be sent back as itself."""


class _RemoteTraceback(Exception):
    """Carries the helper's traceback as the __cause__ of the re-raised exception."""

    def __str__(self):
        return self.args[0]


def _helper_env() -> dict:
    env = dict(os.environ)
    # the helper must import what this process imports from (a Beam worker adds staged packages at run time)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _describe(args: tuple) -> str:
    first = args[0] if args else ""
    if isinstance(first, dict):
        first = first.get("uri", "")
    return str(first)[:200]


class HelperProcess:
    """One helper process; not shared between threads (HelperPool does that)."""

    def __init__(self, payload: Optional[bytes], timeout_s: Optional[float] = None):
        self.payload, self.timeout_s = payload, timeout_s
        self.proc: Optional[subprocess.Popen] = None
        self.starts = 0

    def _spawn(self, preload: tuple[str, ...] = ()) -> None:
        """Start the interpreter; it imports `preload` and then waits for its target (_handshake)."""
        to_helper_r, to_helper_w = os.pipe()
        from_helper_r, from_helper_w = os.pipe()
        self.log = tempfile.TemporaryFile(mode="a+b")   # append mode: truncating it never leaves a hole
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", _MAIN, str(to_helper_r), str(from_helper_w), *preload],
                pass_fds=(to_helper_r, from_helper_w), stdin=subprocess.DEVNULL, stdout=self.log,
                stderr=self.log, env=_helper_env())
        finally:
            os.close(to_helper_r)
            os.close(from_helper_w)
        self.starts += 1
        self.outbox = Connection(to_helper_w, readable=False)
        self.inbox = Connection(from_helper_r, writable=False)

    def _handshake(self) -> None:
        try:
            self.outbox.send_bytes(self.payload)
            reply = self.inbox.recv()
        except (EOFError, OSError):
            raise self._died("starting") from None
        if reply[0] != "ready":
            self.close()
            raise HelperRemoteError(f"helper set-up failed: {reply[2]}")

    def _start(self) -> None:
        self._spawn()
        self._handshake()

    def adopt(self, payload: bytes, timeout_s: Optional[float]) -> bool:
        """Give a spare (started by start_spares) its target; False if it died in the meantime."""
        self.payload, self.timeout_s = payload, timeout_s
        try:
            self._handshake()
        except HelperCrashed:
            return False
        return True

    def call(self, method: str, *args) -> Any:
        if self.proc is None:
            self._start()
        self.log.truncate(0)
        try:
            self.outbox.send((method, args))
        except BrokenPipeError:     # it died while idle (e.g. the OOM killer): not this input's fault, so retry
            self.close(kill=True)
            self._start()
            self.log.truncate(0)
            try:
                self.outbox.send((method, args))
            except OSError:
                raise self._died(f"receiving {method} on {_describe(args)}") from None
        try:
            if self.timeout_s and not self.inbox.poll(self.timeout_s):
                self.close(kill=True)
                raise HelperTimedOut(f"{method} took over {self.timeout_s:g}s on {_describe(args)}; "
                                     f"the helper process was killed")
            reply = self.inbox.recv()
        except (EOFError, OSError):
            raise self._died(f"running {method} on {_describe(args)}") from None
        if reply[0] == "ok":
            return reply[1]
        _, exc, summary, remote_tb = reply
        if exc is None:
            exc = HelperRemoteError(summary)
        raise exc from _RemoteTraceback(remote_tb)

    def _died(self, doing: str) -> HelperCrashed:
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:    # the pipe broke but the process lingers: make sure it is gone
            self.proc.kill()
            code = self.proc.wait()
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
        self.log.seek(0)
        last = self.log.read().decode(errors="replace").strip()[-_LAST_WORDS:]
        self.close()
        hint = "a crash in native code (decoder, encoder)" if code < 0 else "unexpected exit"
        return HelperCrashed(f"helper process {how} while {doing}: {hint}"
                             + (f"; its last output: {last}" if last else ""))

    def close(self, kill: bool = False, wait: bool = True) -> None:
        """`wait=False`: only tell it to stop (close_all then waits for many at once)."""
        if self.proc is None:
            return
        for conn in (self.outbox, self.inbox):
            conn.close()            # EOF: an idle helper exits by itself
        if kill:
            self.proc.kill()
        if not wait:
            return
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.proc = None


class HelperPool:
    """Helpers for one target, shared by the threads of a process: a call takes an idle helper or starts one, so
    there are never more helpers than concurrent calls (one per worker thread on a single-threaded runner)."""

    def __init__(self, target: Any, timeout_s: Optional[float] = None):
        self.payload = pickle.dumps(target)      # fails here, not in the helper, if the target cannot travel
        self.timeout_s = timeout_s
        self._idle: list[HelperProcess] = []
        self._all: list[HelperProcess] = []
        self._lock = threading.Lock()

    def call(self, method: str, *args) -> Any:
        with self._lock:
            helper = self._idle.pop() if self._idle else None
        if helper is None:      # a spare's hand-shake may wait for its imports: not under the lock
            helper = _take_spare(self.payload, self.timeout_s) or HelperProcess(self.payload, self.timeout_s)
            with self._lock:
                self._all.append(helper)
        try:
            return helper.call(method, *args)
        finally:
            with self._lock:
                self._idle.append(helper)

    @property
    def starts(self) -> int:
        return sum(h.starts for h in self._all)

    def close(self) -> None:
        with self._lock:
            helpers, self._all, self._idle = self._all, [], []
        close_all(helpers)


_SPARES: list[HelperProcess] = []       # started by start_spares, not yet given a target
_SPARES_LOCK = threading.Lock()


def start_spares(count: int, preload: tuple[str, ...] = ()) -> None:
    """Start `count` helpers in this process ahead of need, each importing the modules `preload` names (those its
    target will need) while the caller goes on; the next pools in this process that need a helper adopt them
    instead of starting one. Only for helpers this process itself will use (an in-process runner): a pool in
    another process never sees them. close_spares ends the ones left."""
    for _ in range(count):
        spare = HelperProcess(None)
        spare._spawn(tuple(preload))
        with _SPARES_LOCK:
            _SPARES.append(spare)


def _take_spare(payload: bytes, timeout_s: Optional[float]) -> Optional[HelperProcess]:
    while True:
        with _SPARES_LOCK:
            if not _SPARES:
                return None
            spare = _SPARES.pop(0)
        if spare.adopt(payload, timeout_s):
            return spare


def close_spares() -> None:
    """End the spares no pool adopted (their pipes close: a helper waiting for its target exits)."""
    with _SPARES_LOCK:
        spares = list(_SPARES)
        _SPARES.clear()
    close_all(spares)


def close_all(helpers: list[HelperProcess]) -> None:
    """Stop every helper, then wait for them: they exit side by side (~0.1 s each), not one after another."""
    for helper in helpers:
        helper.close(wait=False)
    for helper in helpers:
        helper.close()


_SHARED: dict[tuple, list] = {}     # (payload, timeout) -> [pool, users]
_SHARED_LOCK = threading.Lock()


def acquire_shared_pool(target: Any, timeout_s: Optional[float] = None) -> HelperPool:
    """The process-wide pool for an equal target (same pickled bytes): the DoFns of one job (images, video split,
    clips) share their helpers instead of starting one each. Pair with release_shared_pool."""
    pool = HelperPool(target, timeout_s)
    key = (pool.payload, timeout_s)
    with _SHARED_LOCK:
        entry = _SHARED.setdefault(key, [pool, 0])
        entry[1] += 1
        return entry[0]


def release_shared_pool(pool: HelperPool) -> None:
    """The last user closes the pool's helpers (DoFn.teardown); helpers of a process that dies see EOF and exit."""
    key = (pool.payload, pool.timeout_s)
    with _SHARED_LOCK:
        entry = _SHARED.get(key)
        if entry is None or entry[0] is not pool:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _SHARED[key]
    pool.close()
