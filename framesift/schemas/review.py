"""The review decision: what a person decided about one manifest item, and the audit trail it extends.

Also the reviewer's choice of a duplicate group's representative, one audit entry, and the provenance columns
`framesift export` appends to every approved manifest row. The review store (curation_ui/store.py) derives its
tables from these schemas.
"""
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


@dataclass
class RepresentativeChoice:
    """A reviewer's pick of the item that stands for a duplicate group (overrides the pipeline's pick)."""
    group_id: str
    item_id: str
    reviewer: str
    decided_at: str                 # ISO-8601 UTC
    previous: Optional[str] = None  # the item that was the human-chosen representative before
    version: int = 1

    def to_record(self) -> dict:
        return dataclasses.asdict(self)


REPRESENTATIVE_SCHEMA = pa.schema([
    ("group_id", pa.string()), ("item_id", pa.string()), ("reviewer", pa.string()), ("decided_at", pa.string()),
    ("previous", pa.string()), ("version", pa.int64()),
])
assert REPRESENTATIVE_SCHEMA.names == [f.name for f in dataclasses.fields(RepresentativeChoice)]

# "undo": a reviewer took back their own latest decision; the item returns to the state before it (its `value`
# is that decision, or UNDECIDED when there was none). The audit log only ever grows.
AUDIT_KINDS = ("decision", "representative", "undo")
UNDECIDED = "undecided"


@dataclass
class AuditEntry:
    """One append-only line of the audit log: who changed what, when, and what it was before."""
    at: str                         # ISO-8601 UTC
    reviewer: str
    kind: str                       # one of AUDIT_KINDS
    subject: str                    # item_id for a decision, group_id for a representative
    value: str                      # the new decision, or the new representative's item_id
    previous: Optional[str] = None
    reason: Optional[str] = None
    version: int = 1                # the subject's version after this change
    id: Optional[int] = None        # assigned by the store, increasing


AUDIT_SCHEMA = pa.schema([
    ("at", pa.string()), ("reviewer", pa.string()), ("kind", pa.string()), ("subject", pa.string()),
    ("value", pa.string()), ("previous", pa.string()), ("reason", pa.string()), ("version", pa.int64()),
    ("id", pa.int64()),
])
assert AUDIT_SCHEMA.names == [f.name for f in dataclasses.fields(AuditEntry)]

# What `framesift export` appends to each manifest row: why the row is in the approved set.
#   decision: "keep" (the pipeline kept it), "approve" (a reviewer approved it) or "representative" (a reviewer chose
#   it to stand for its duplicate group); source: "pipeline" or "human"; human_decision: the latest review decision
#   on the item, whatever it was (a "flag" or "skip" leaves the pipeline's call standing).
PROVENANCE_SCHEMA = pa.schema([
    ("decision", pa.string()), ("source", pa.string()), ("reviewer", pa.string()), ("decided_at", pa.string()),
    ("decision_reason", pa.string()), ("human_decision", pa.string()),
])
