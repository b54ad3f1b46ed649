"""The dead-letter record: an input that could not be read or decoded, and why. One JSON object per line."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Optional

DEAD_LETTER_VERSION = 1


@dataclass
class DeadLetter:
    uri: str
    stage: str                      # "ingest", "probe", "split", "analyze", ...
    error_type: str                 # exception class name, e.g. "UnidentifiedImageError"
    message: str
    detail: Optional[str] = None    # last lines of the traceback, for debugging
    config_hash: str = ""
    item_id: Optional[str] = None   # set when the input was an item (an image or clip) rather than a file
    version: int = DEAD_LETTER_VERSION

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> "DeadLetter":
        data = json.loads(line)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_exception(cls, uri: str, stage: str, exc: BaseException, config_hash: str = "",
                       detail: Optional[str] = None) -> "DeadLetter":
        message = str(exc) or repr(exc)
        return cls(uri=uri, stage=stage, error_type=type(exc).__name__, message=message[:2000],
                   detail=detail, config_hash=config_hash)
