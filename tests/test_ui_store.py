"""The review decision store: two reviewers (two store instances, as two processes would have) on one SQLite file
lose no decision, a stale write is refused with the current value, and every change is in the audit log."""
import sqlite3
import threading

import pytest

from curation_ui.store import Conflict, DecisionStore, default_db_url
from framesift.schemas import REVIEW_DECISION_SCHEMA


@pytest.fixture
def two_stores(tmp_path):
    url = default_db_url(str(tmp_path))
    return DecisionStore(url), DecisionStore(url), tmp_path / "review.sqlite"


def test_sqlite_in_run_dir_in_wal_mode(two_stores):
    alice, _, path = two_stores
    alice.decide("a", "approve", "alice")
    assert path.exists()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_stale_version_is_a_conflict_not_an_overwrite(two_stores):
    alice, bob, _ = two_stores
    seen_by_bob = bob.get("item")                       # None: bob sees it undecided (version 0)
    alice.decide("item", "approve", "alice", expected_version=0)
    with pytest.raises(Conflict) as err:
        bob.decide("item", "reject", "bob", "blurry", expected_version=seen_by_bob.version if seen_by_bob else 0)
    assert err.value.current.decision == "approve" and err.value.current.reviewer == "alice"
    assert "alice" in str(err.value)
    assert alice.get("item").decision == "approve"     # nothing overwritten
    # bob looks again and decides knowingly: now it is recorded, with what it replaced
    d = bob.decide("item", "reject", "bob", "blurry", expected_version=err.value.current.version)
    assert (d.decision, d.previous, d.version) == ("reject", "approve", 2)


def test_audit_log_holds_every_change_with_previous_value(two_stores):
    alice, bob, _ = two_stores
    alice.decide("x", "flag", "alice")
    bob.decide("x", "reject", "bob", "watermark", expected_version=1)
    alice.decide("x", "approve", "alice", expected_version=2)
    entries = list(reversed(bob.audit(subject="x")))
    assert [(e.reviewer, e.value, e.previous, e.reason, e.version) for e in entries] == [
        ("alice", "flag", None, None, 1), ("bob", "reject", "flag", "watermark", 2), ("alice", "approve", "reject",
                                                                                      None, 3)]
    assert all(e.at and e.kind == "decision" for e in entries)
    assert bob.audit_table().num_rows == 3


def test_concurrent_reviewers_lose_no_decision(two_stores):
    alice, bob, _ = two_stores
    errors = []

    def review(store, name, ids):
        try:
            for i in ids:
                store.decide(i, "approve" if name == "alice" else "flag", name)
        except Exception as e:      # pragma: no cover - the assertion below reports it
            errors.append(e)

    threads = [threading.Thread(target=review, args=(alice, "alice", [f"a{i}" for i in range(60)])),
               threading.Thread(target=review, args=(bob, "bob", [f"b{i}" for i in range(60)]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert alice.counts() == {"approve": 60, "flag": 60}
    assert len(bob.audit()) == 120


def test_racing_on_the_same_item_one_wins_the_other_sees_a_conflict(two_stores):
    alice, bob, _ = two_stores
    outcomes = []
    barrier = threading.Barrier(2)

    def race(store, name, decision):
        barrier.wait()
        try:
            store.decide("same", decision, name, "dup" if decision == "reject" else None, expected_version=0)
            outcomes.append(("won", name))
        except Conflict as c:
            outcomes.append(("conflict", name, c.current.reviewer))

    threads = [threading.Thread(target=race, args=(alice, "alice", "approve")),
               threading.Thread(target=race, args=(bob, "bob", "reject"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [o for o in outcomes if o[0] == "won"]
    lost = [o for o in outcomes if o[0] == "conflict"]
    assert len(won) == 1 and len(lost) == 1 and lost[0][2] == won[0][1]
    assert len(alice.audit(subject="same")) == 1


def test_batch_applies_fresh_items_and_reports_stale_ones(two_stores):
    alice, bob, _ = two_stores
    alice.decide("i2", "approve", "alice")
    applied, conflicts = bob.decide_many([("i1", 0), ("i2", 0), ("i3", 0)], "reject", "bob", "off_topic")
    assert [d.item_id for d in applied] == ["i1", "i3"]
    assert [c.subject for c in conflicts] == ["i2"] and alice.get("i2").decision == "approve"
    assert set(bob.item_ids(["reject"])) == {"i1", "i3"}


def test_decision_validation_comes_from_the_schema(two_stores):
    alice, _, _ = two_stores
    with pytest.raises(ValueError, match="reason"):
        alice.decide("i", "reject", "alice")
    with pytest.raises(ValueError, match="decision must be"):
        alice.decide("i", "maybe", "alice")
    with pytest.raises(ValueError, match="reviewer"):
        alice.decide("i", "approve", "")
    assert alice.decisions_table().schema.names == REVIEW_DECISION_SCHEMA.names


def test_representative_choice_is_versioned_and_audited(two_stores):
    alice, bob, _ = two_stores
    alice.set_representative("g1", "m2", "alice")
    with pytest.raises(Conflict):
        bob.set_representative("g1", "m3", "bob", expected_version=0)
    choice = bob.set_representative("g1", "m3", "bob", expected_version=1)
    assert (choice.item_id, choice.previous, choice.version) == ("m3", "m2", 2)
    assert [(e.kind, e.value, e.previous) for e in alice.audit(subject="g1")] == [
        ("representative", "m3", "m2"), ("representative", "m2", None)]


def test_decisions_survive_a_new_store_on_the_same_url(two_stores, tmp_path):
    alice, _, _ = two_stores
    alice.decide("keep-me", "approve", "alice")
    alice.engine.dispose()
    assert DecisionStore(default_db_url(str(tmp_path))).get("keep-me").reviewer == "alice"
