"""The per-item work (item_work.py) behind one picklable object, so it runs the same in a Beam worker or in a decoder
helper process (helper_process.HelperPool calls its methods by name there).

Light to import on purpose: the launcher and Beam's workers build and pickle it, but when decoding is isolated only
the helper runs it, so only the helper imports item_work's decoders, hashes and encoders (PyAV, SciPy: ~0.4 s)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from framesift.config import CurateConfig
from framesift.schemas import ManifestRow
from pipelines.filters import Filter, curate_filters

ITEM_WORK_MODULE = "pipelines.curate.item_work"     # what setup imports: a helper started ahead preloads it


class ItemAnalyzer:
    """Filters are built and item_work imported by `setup`, where the work runs."""

    def __init__(self, cfg: CurateConfig, run_dir: str, input_root: str = ""):
        self.cfg, self.run_dir, self.input_root = cfg, run_dir, input_root
        self.filters: Optional[list[Filter]] = None

    def setup(self) -> None:
        if self.filters is None:
            from pipelines.curate import item_work
            self._work = item_work
            self.filters = curate_filters(self.cfg)

    def __getstate__(self):
        # filters are rebuilt where it runs
        return {"cfg": self.cfg, "run_dir": self.run_dir, "input_root": self.input_root, "filters": None}

    def _for_scoring(self, picture: np.ndarray) -> Optional[np.ndarray]:
        # the picture only travels on (from a helper process, between Beam stages) when a model will look at it
        return picture if self.cfg.scoring.enabled else None

    def analyze_image(self, uri: str) -> tuple[ManifestRow, Optional[np.ndarray]]:
        row, picture = self._work.analyze_image(uri, self.cfg, self.filters, self.run_dir, self.input_root)
        return row, self._for_scoring(picture)

    def split_video(self, uri: str) -> list[dict]:
        return self._work.split_video(uri, self.cfg)

    def analyze_clip(self, task: dict) -> tuple[ManifestRow, Optional[np.ndarray]]:
        row, keyframe = self._work.analyze_clip(task, self.cfg, self.filters, self.run_dir, self.input_root)
        return row, self._for_scoring(keyframe)
