"""Targets for pipelines/media/helper_process.py tests. Module-level classes, so the helper process can import
them by name (it is a fresh interpreter and inherits nothing from the test process)."""
import os
import sys
import time

from pipelines.curate.item_analyzer import ItemAnalyzer
from pipelines.encode.pixels import ItemPreparer


class Probe:
    def setup(self):
        self.calls = 0

    def echo(self, value):
        self.calls += 1
        return value, self.calls, os.getpid()

    def fail(self, message):
        raise ValueError(message)

    def abort(self):
        import faulthandler
        faulthandler.disable()      # no crash dump in the log: the parent reports the signal
        os.abort()

    def sleep(self, seconds):
        time.sleep(seconds)
        return seconds

    def loaded_modules(self) -> list[str]:
        return sorted(sys.modules)


def _crash_on(uri: str) -> None:
    """Inputs named crash.* die the way a native decoder crash does (SIGABRT, no Python exception)."""
    if os.path.basename(uri).startswith("crash."):
        import faulthandler
        faulthandler.disable()
        os.abort()


class CrashingAnalyzer(ItemAnalyzer):
    """The real per-item work, except that inputs named crash.* die the way a native decoder crash does."""

    def analyze_image(self, uri):
        _crash_on(uri)
        return super().analyze_image(uri)

    def split_video(self, uri):
        _crash_on(uri)
        return super().split_video(uri)

    def loaded_modules(self) -> list[str]:
        return sorted(sys.modules)


class CrashingPreparer(ItemPreparer):
    """The encode job's real decoding (pipelines/encode/pixels.py), except for inputs named crash.*."""

    def prepare(self, row):
        _crash_on(row["source_uri"])
        return super().prepare(row)

    def loaded_modules(self) -> list[str]:
        return sorted(sys.modules)
