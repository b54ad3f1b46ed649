"""The review decision: what a person decided about one manifest item, and the audit trail it extends."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

import pyarrow as pa

DECISIONS = ("approve", "reject", "flag", "skip")


@dataclass
class ReviewDecision:
    item_id: str
    decision: str                   # one of DECISIONS
    reviewer: str
    decided_at: str                 # ISO-8601 UTC
    reason: Optional[str] = None    # required for "reject"
    previous: Optional[str] = None  # the decision this one replaced, for the audit log
    version: int = 1                # optimistic-concurrency counter: a write must name the version it saw

    def __post_init__(self):
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, got {self.decision!r}")
        if self.decision == "reject" and not self.reason:
            raise ValueError("a reject decision needs a reason")
        if not self.reviewer:
            raise ValueError("a decision needs a reviewer")

    def to_record(self) -> dict:
        return dataclasses.asdict(self)


REVIEW_DECISION_SCHEMA = pa.schema([
    ("item_id", pa.string()), ("decision", pa.string()), ("reviewer", pa.string()),
    ("decided_at", pa.string()), ("reason", pa.string()), ("previous", pa.string()), ("version", pa.int64()),
])
assert REVIEW_DECISION_SCHEMA.names == [f.name for f in dataclasses.fields(ReviewDecision)]
