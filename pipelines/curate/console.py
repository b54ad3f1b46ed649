"""What a user sees while `framesift curate` runs on a local runner: one progress line, then the summary or one
`error:` line. Everything the job's processes print (Beam worker logs, gRPC/absl lines, decoder warnings) goes to
RUN/job.log instead, with the full traceback when the job fails.

The progress line counts items analysed so far, out of how many input files, and the time elapsed. On the local
runners Beam's counters reach the launcher only when the job ends, so what is watched is the run directory itself:
every analysed item (image or clip) writes its thumbnail there first. It is shown once the job has run for a few
seconds; rewritten in place on a terminal, one line every `log_interval_s` otherwise (CI logs), cleared at the end.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from typing import Optional, TextIO

from pipelines.curate import run_dir as rd


@contextlib.contextmanager
def output_to_log(path: str):
    """Point file descriptor 2 at `path` while the job runs: this process's logging and C libraries, and every
    process started meanwhile (Beam workers, decoder helpers), write there. Yields a stream on the real console."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
    console = os.fdopen(os.dup(saved), "w", buffering=1)
    try:
        yield console
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        console.close()


def summarize_error(exc: BaseException) -> str:
    """One line from an exception whose message may hold a whole worker traceback (Beam's do): its last
    `Type: message` line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in reversed(lines):
        head = line.split(":", 1)[0]
        if head.endswith(("Error", "Exception", "Interrupt", "Exit")) and " " not in head:
            return line[:300]
    return f"{type(exc).__name__}: {lines[-1][:300] if lines else ''}"


def count_thumbnails(run_dir: str) -> int:
    total = 0
    for _, _, files in os.walk(os.path.join(run_dir, rd.PREVIEWS_DIR)):
        total += sum(1 for f in files if f.endswith(".jpg"))
    return total


def format_elapsed(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


class JobProgress:
    """`with JobProgress(run_dir, input_files): job.run()`; does nothing for a remote run directory (the runner's
    own UI shows the job's counters there)."""

    def __init__(self, run_dir: str, input_files: int, stream: Optional[TextIO] = None, delay_s: float = 3.0,
                 log_interval_s: float = 30.0):
        self.run_dir, self.inputs = run_dir, input_files
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.delay_s, self.interval_s = delay_s, (0.5 if self.tty else log_interval_s)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._shown = False

    def line(self, elapsed_s: float) -> str:
        return (f"curate: {count_thumbnails(self.run_dir)} items analysed from {self.inputs} input files, "
                f"{format_elapsed(elapsed_s)} elapsed")

    def _watch(self) -> None:
        started = time.monotonic()
        if self._stop.wait(self.delay_s):
            return
        while True:
            text = self.line(time.monotonic() - started)
            self.stream.write(f"\r{text}\x1b[K" if self.tty else text + "\n")
            self.stream.flush()
            self._shown = True
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self):
        if "://" not in self.run_dir:
            self._thread = threading.Thread(target=self._watch, name="curate-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._shown and self.tty:
            self.stream.write("\r\x1b[K")   # the summary printed next replaces the progress line
            self.stream.flush()
        return False
