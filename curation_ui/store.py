"""The review decision store: current decision per item, representative per duplicate group, append-only audit.

Any SQLAlchemy URL works; the default is SQLite in the run directory in WAL mode, so several reviewers (Streamlit
sessions or processes) can read while one writes. Concurrency is optimistic: every write names the version of the
row it saw; if another reviewer changed it in between, the write is refused with a `Conflict` carrying the
current value, for the UI to show, instead of being silently overwritten. Each change and its audit line are one
transaction. Table columns are derived from the record schemas in framesift/schemas/review.py.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Iterable, Optional

import pyarrow as pa
from sqlalchemy import (Column, Engine, Float, Integer, MetaData, String, Table, Text, create_engine, delete, event,
                        func, insert, select, update)
from sqlalchemy.exc import IntegrityError

from framesift import run_files
from framesift.run_layout import REVIEW_DB_FILE
from framesift.schemas import (AUDIT_SCHEMA, REPRESENTATIVE_SCHEMA, REVIEW_DECISION_SCHEMA, AuditEntry,
                               RepresentativeChoice, ReviewDecision)
from framesift.schemas.review import UNDECIDED

DB_FILE = REVIEW_DB_FILE      # the default store, in the run directory
_SQL_TYPES = {pa.string(): Text, pa.int64(): Integer, pa.float64(): Float}


def default_db_path(run_dir: str) -> str:
    """SQLite beside a local run; for a bucket's run (gs://...) a local file named after the run, in framesift's
    state directory (framesift/run_files.py), since SQLite cannot live in an object store."""
    if run_files.is_remote(run_dir):
        return os.path.join(run_files.state_dir(), "review", run_files.run_name(run_dir) + ".sqlite")
    return os.path.abspath(os.path.join(run_dir, DB_FILE))


def default_db_url(run_dir: str) -> str:
    path = default_db_path(run_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return f"sqlite:///{path}"


def _table(name: str, schema: pa.Schema, metadata: MetaData, key: str) -> Table:
    cols = []
    for f in schema:
        if f.name == key == "id":
            cols.append(Column("id", Integer, primary_key=True, autoincrement=True))
        elif f.name == key:
            cols.append(Column(f.name, String(255), primary_key=True))
        else:
            cols.append(Column(f.name, _SQL_TYPES[f.type], nullable=f.name in ("reason", "previous")))
    return Table(name, metadata, *cols)


METADATA = MetaData()
DECISIONS_T = _table("review_decisions", REVIEW_DECISION_SCHEMA, METADATA, key="item_id")
REPRESENTATIVES_T = _table("review_representatives", REPRESENTATIVE_SCHEMA, METADATA, key="group_id")
AUDIT_T = _table("review_audit", AUDIT_SCHEMA, METADATA, key="id")


class Conflict(Exception):
    """Someone changed the subject since this reviewer saw it; `current` is what is stored now."""

    def __init__(self, subject: str, expected_version: int, current):
        self.subject, self.expected_version, self.current = subject, expected_version, current
        who = f"{current.reviewer} set it to {getattr(current, 'decision', None) or current.item_id} " \
              f"at {current.decided_at}" if current else "it was removed"
        super().__init__(f"{subject} changed while you were looking (you saw version {expected_version}): {who}")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    METADATA.create_all(engine)
    return engine


class DecisionStore:
    def __init__(self, url_or_engine):
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        METADATA.create_all(self.engine)

    # ---- item decisions -------------------------------------------------------------------------------------
    def get(self, item_id: str) -> Optional[ReviewDecision]:
        return self.get_many([item_id]).get(item_id)

    def get_many(self, item_ids: Iterable[str]) -> dict[str, ReviewDecision]:
        ids, out = list(item_ids), {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 900):
                for r in conn.execute(select(DECISIONS_T).where(DECISIONS_T.c.item_id.in_(ids[i:i + 900]))):
                    out[r.item_id] = ReviewDecision(**r._mapping)
        return out

    def decide(self, item_id: str, decision: str, reviewer: str, reason: Optional[str] = None,
               expected_version: int = 0) -> ReviewDecision:
        """Record a decision if the item is still at `expected_version` (0: never decided); else raise Conflict."""
        applied, conflicts = self.decide_many([(item_id, expected_version)], decision, reviewer, reason)
        if conflicts:
            raise conflicts[0]
        return applied[0]

    def decide_many(self, items: list[tuple[str, int]], decision: str, reviewer: str,
                    reason: Optional[str] = None) -> tuple[list[ReviewDecision], list[Conflict]]:
        """Batch form: each (item_id, expected_version) is applied or reported as a conflict, never overwritten."""
        ReviewDecision(items[0][0] if items else "-", decision, reviewer, now_iso(), reason)  # validate once
        applied, conflicts = [], []
        for i in range(0, len(items), 500):
            a, c = self._decide_chunk(items[i:i + 500], decision, reviewer, reason)
            applied += a
            conflicts += c
        return applied, conflicts

    def _decide_chunk(self, chunk, decision, reviewer, reason, attempts: int = 5):
        for attempt in range(attempts):
            try:
                return self._try_chunk(chunk, decision, reviewer, reason)
            except IntegrityError:
                # another writer inserted one of these items first: re-read, and it shows up as a conflict
                if attempt == attempts - 1:
                    raise

    def _try_chunk(self, chunk, decision, reviewer, reason):
        applied, conflicts = [], []
        with self.engine.begin() as conn:
            current = {r.item_id: ReviewDecision(**r._mapping) for r in conn.execute(
                select(DECISIONS_T).where(DECISIONS_T.c.item_id.in_([i for i, _ in chunk])))}
            # an item undone back to undecided has no row but a history: its versions continue from there, so a
            # reviewer who saw the undone decision gets a conflict, not a silent overwrite of a later one
            cleared = self._last_versions(conn, [i for i, _ in chunk if i not in current])
            for item_id, expected in chunk:
                cur = current.get(item_id)
                if (cur.version if cur else 0) != expected:
                    conflicts.append(Conflict(item_id, expected, cur))
                    continue
                version = expected + 1 if cur else cleared.get(item_id, 0) + 1
                new = ReviewDecision(item_id, decision, reviewer, now_iso(), reason,
                                     previous=cur.decision if cur else None, version=version)
                if cur is None:
                    conn.execute(insert(DECISIONS_T).values(**new.to_record()))
                else:
                    res = conn.execute(update(DECISIONS_T).where(DECISIONS_T.c.item_id == item_id,
                                                                 DECISIONS_T.c.version == expected)
                                       .values(**new.to_record()))
                    if res.rowcount != 1:   # changed between our read and this write
                        conflicts.append(Conflict(item_id, expected, cur))
                        continue
                self._audit(conn, AuditEntry(new.decided_at, reviewer, "decision", item_id, decision,
                                             new.previous, reason, new.version))
                applied.append(new)
        return applied, conflicts

    @staticmethod
    def _last_versions(conn, item_ids: list[str]) -> dict[str, int]:
        if not item_ids:
            return {}
        q = select(AUDIT_T.c.subject, func.max(AUDIT_T.c.version)).where(
            AUDIT_T.c.kind.in_(("decision", "undo")), AUDIT_T.c.subject.in_(item_ids)).group_by(AUDIT_T.c.subject)
        return {s: v for s, v in conn.execute(q)}

    def undo_last(self, reviewer: str) -> tuple[str, Optional[ReviewDecision]]:
        """Take back `reviewer`'s latest decision not yet undone: the item returns to its state before it (another
        reviewer's decision, or undecided), recorded as an "undo" audit line. -> (item_id, the state now).
        LookupError when there is nothing to undo; Conflict when someone changed the item since."""
        if not reviewer:
            raise ValueError("an undo needs a reviewer")
        with self.engine.begin() as conn:
            target = self._undo_target(conn, reviewer)
            if target is None:
                raise LookupError(f"{reviewer} has no decision left to undo")
            row = conn.execute(select(DECISIONS_T).where(DECISIONS_T.c.item_id == target.subject)).first()
            cur = ReviewDecision(**row._mapping) if row else None
            if cur is None or cur.version != target.version:
                raise Conflict(target.subject, target.version, cur)
            restored = self._state_at(conn, target.subject, target.version - 1)
            version = cur.version + 1
            where = (DECISIONS_T.c.item_id == cur.item_id, DECISIONS_T.c.version == cur.version)
            if restored is None:
                done = conn.execute(delete(DECISIONS_T).where(*where)).rowcount
            else:
                restored.previous, restored.version = cur.decision, version
                done = conn.execute(update(DECISIONS_T).where(*where).values(**restored.to_record())).rowcount
            if done != 1:
                raise Conflict(target.subject, target.version, cur)
            self._audit(conn, AuditEntry(now_iso(), reviewer, "undo", cur.item_id,
                                         restored.decision if restored else UNDECIDED, cur.decision,
                                         restored.reason if restored else None, version))
            return cur.item_id, restored

    @staticmethod
    def _undo_target(conn, reviewer: str, lookback: int = 1000) -> Optional[AuditEntry]:
        """The reviewer's newest decision that none of their undo lines has taken back yet."""
        q = select(AUDIT_T).where(AUDIT_T.c.reviewer == reviewer, AUDIT_T.c.kind.in_(("decision", "undo"))) \
            .order_by(AUDIT_T.c.id.desc()).limit(lookback)
        undone = set()
        for r in conn.execute(q):
            e = AuditEntry(**r._mapping)
            if e.kind == "undo":
                undone.add((e.subject, e.version - 1))      # an undo at version v took back version v - 1
            elif (e.subject, e.version) not in undone:
                return e
        return None

    def _state_at(self, conn, item_id: str, version: int) -> Optional[ReviewDecision]:
        """The item's decision as it stood at `version` (None: undecided), rebuilt from the audit log."""
        while version > 0:
            r = conn.execute(select(AUDIT_T).where(AUDIT_T.c.subject == item_id, AUDIT_T.c.version == version,
                                                   AUDIT_T.c.kind.in_(("decision", "undo")))
                             .order_by(AUDIT_T.c.id.desc())).first()
            if r is None or (r.kind == "undo" and r.value == UNDECIDED):
                return None
            if r.kind == "decision":
                return ReviewDecision(item_id, r.value, r.reviewer, r.at, r.reason, r.previous, version)
            version -= 2                # an undo restored the state from before the decision it took back
        return None

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(DECISIONS_T.c.decision, func.count()).group_by(DECISIONS_T.c.decision))
            return {d: n for d, n in rows}

    def item_ids(self, decisions: Optional[Iterable[str]] = None) -> list[str]:
        """Ids of decided items, optionally only those whose current decision is one of `decisions`."""
        q = select(DECISIONS_T.c.item_id)
        if decisions is not None:
            q = q.where(DECISIONS_T.c.decision.in_(list(decisions)))
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def decisions_table(self) -> pa.Table:
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(DECISIONS_T))]
        return pa.Table.from_pylist(rows, schema=REVIEW_DECISION_SCHEMA)

    # ---- duplicate-group representatives --------------------------------------------------------------------
    def representatives(self, group_ids: Optional[Iterable[str]] = None) -> dict[str, RepresentativeChoice]:
        q = select(REPRESENTATIVES_T)
        if group_ids is not None:
            q = q.where(REPRESENTATIVES_T.c.group_id.in_(list(group_ids)))
        with self.engine.connect() as conn:
            return {r.group_id: RepresentativeChoice(**r._mapping) for r in conn.execute(q)}

    def set_representative(self, group_id: str, item_id: str, reviewer: str,
                           expected_version: int = 0) -> RepresentativeChoice:
        if not reviewer:
            raise ValueError("a representative choice needs a reviewer")
        try:
            with self.engine.begin() as conn:
                row = conn.execute(select(REPRESENTATIVES_T).where(REPRESENTATIVES_T.c.group_id == group_id)).first()
                cur = RepresentativeChoice(**row._mapping) if row else None
                if (cur.version if cur else 0) != expected_version:
                    raise Conflict(group_id, expected_version, cur)
                new = RepresentativeChoice(group_id, item_id, reviewer, now_iso(), cur.item_id if cur else None,
                                           expected_version + 1)
                if cur is None:
                    conn.execute(insert(REPRESENTATIVES_T).values(**new.to_record()))
                elif conn.execute(update(REPRESENTATIVES_T).where(
                        REPRESENTATIVES_T.c.group_id == group_id, REPRESENTATIVES_T.c.version == expected_version)
                        .values(**new.to_record())).rowcount != 1:
                    raise Conflict(group_id, expected_version, cur)
                self._audit(conn, AuditEntry(new.decided_at, reviewer, "representative", group_id, item_id,
                                             new.previous, None, new.version))
                return new
        except IntegrityError:
            raise Conflict(group_id, expected_version, self.representatives([group_id]).get(group_id)) from None

    # ---- audit ----------------------------------------------------------------------------------------------
    @staticmethod
    def _audit(conn, entry: AuditEntry) -> None:
        rec = entry.__dict__.copy()
        rec.pop("id")
        conn.execute(insert(AUDIT_T).values(**rec))

    def audit(self, subject: Optional[str] = None, limit: Optional[int] = None) -> list[AuditEntry]:
        """Newest first."""
        q = select(AUDIT_T).order_by(AUDIT_T.c.id.desc())
        if subject is not None:
            q = q.where(AUDIT_T.c.subject == subject)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [AuditEntry(**r._mapping) for r in conn.execute(q)]

    def audit_table(self) -> pa.Table:
        return pa.Table.from_pylist([e.__dict__ for e in reversed(self.audit())], schema=AUDIT_SCHEMA)

    def generation(self) -> int:
        """Increases with every change: a cheap cache key for anything derived from the decisions."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(AUDIT_T.c.id))).scalar() or 0
