"""The helper's side of helper_process.py, run as
`python -m pipelines.media.helper_process_main READ_FD WRITE_FD [MODULE ...]`.

A fresh interpreter (exec, never a fork of the Beam worker), importing only the standard library and the MODULEs
(a spare started ahead of need imports what its target will need while it waits) until the target object arrives;
unpickling it imports just the modules the target's class lives in (decoders, filters), so the helper carries no
Beam, gRPC or JAX state and may itself use threads freely.

Protocol, over two pipes (multiprocessing.connection framing, pickle):
  parent -> helper: the pickled target once, then (method, args) per call; EOF means stop.
  helper -> parent: ("ready", pid) once the target's `setup()` ran, then per call ("ok", result) or
  ("error", exception or None, "Type: message", traceback text).
"""
from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from multiprocessing.connection import Connection


def _error_reply(exc: BaseException) -> tuple:
    text = traceback.format_exc()
    summary = f"{type(exc).__name__}: {exc}"
    try:
        pickle.loads(pickle.dumps(exc))     # some exceptions cannot travel (unpicklable arguments)
    except Exception:
        exc = None
    return ("error", exc, summary, text)


def serve(inbox: Connection, outbox: Connection) -> None:
    try:
        target = pickle.loads(inbox.recv_bytes())
        setup = getattr(target, "setup", None)
        if setup is not None:
            setup()
    except EOFError:
        return
    except Exception as e:
        outbox.send(_error_reply(e))
        return
    outbox.send(("ready", os.getpid()))
    while True:
        try:
            method, args = inbox.recv()
        except EOFError:            # the parent closed the pipe or died: nothing more to do
            return
        try:
            reply = ("ok", getattr(target, method)(*args))
        except Exception as e:
            reply = _error_reply(e)
        try:
            outbox.send(reply)
        except Exception as e:      # an unpicklable result
            outbox.send(_error_reply(e))


def _preload(modules: list[str]) -> None:
    import importlib
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:   # only a head start: unpickling the target imports it again and reports what fails
            pass


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the whole process group; the parent decides what stops, and a helper's KeyboardInterrupt
    # traceback would only clutter the console
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inbox = Connection(int(argv[0]), writable=False)
    outbox = Connection(int(argv[1]), readable=False)
    _preload(argv[2:])
    try:
        serve(inbox, outbox)
    except (BrokenPipeError, EOFError):
        pass                        # the parent went away mid-reply
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
