"""The review keys (curation_ui/review_keys.py) and undo in the store: what each key does to the store and the
session, that a key which cannot act says why, and that undo is an audited change that never loses another
reviewer's decision."""
import pytest

from curation_ui.review_keys import KEYS, View, press, resolve
from curation_ui.store import Conflict, DecisionStore, default_db_url

REASONS = ["low_quality", "blurry", "bad_exposure"]


@pytest.fixture
def store(tmp_path):
    return DecisionStore(default_db_url(str(tmp_path)))


def view(n=5, states=("undecided",)):
    ids = [f"i{k}" for k in range(n)]
    return View(ids=ids, names={i: f"{i}.jpg" for i in ids}, total=n, page_size=48, states=states)


def test_resolve_maps_numbers_to_the_configured_reasons():
    assert resolve("2", REASONS, None) == ("reject", "blurry", "")
    assert resolve("r", REASONS, "bad_exposure") == ("reject", "bad_exposure", "")
    assert resolve("r", REASONS, "gone_from_config") == ("reject", "low_quality", "")
    action, _, why = resolve("7", REASONS, None)
    assert action is None and "only 3 reject reasons" in why and "3 bad_exposure" in why
    action, _, why = resolve("z", REASONS, None)
    assert action is None and "does nothing here" in why
    assert resolve("r", [], None)[0] is None
    assert {KEYS[k] for k in "afsjkou"} == {"approve", "flag", "skip", "next", "prev", "open", "undo"}


def test_keys_decide_the_current_item_and_remember_the_reason(store):
    state, v = {"cursor": 1}, view()
    press(store, state, "alice", REASONS, v, "3")
    d = store.get("i1")
    assert (d.decision, d.reason, d.reviewer) == ("reject", "bad_exposure", "alice")
    assert state["flash"] == ("success", "reject (bad_exposure) recorded for i1.jpg — u undoes it")
    assert state["cursor"] == 1          # undecided-only queue: i1 leaves it, the next item slides under the cursor
    press(store, state, "alice", REASONS, v, "r", index=3)        # pressed on card 3: r reuses the last reason
    assert store.get("i3").reason == "bad_exposure"
    press(store, state, "alice", REASONS, view(states=()), "a", index=0)   # all states shown: the cursor moves on
    assert store.get("i0").decision == "approve" and state["cursor"] == 1


def test_a_key_that_cannot_act_says_why_and_records_nothing(store):
    state = {}
    press(store, state, None, REASONS, view(), "a")
    assert state["flash"][0] == "warning" and "enter your name" in state["flash"][1]
    press(store, state, "alice", REASONS, view(), "9")
    assert "only 3 reject reasons" in state["flash"][1]
    press(store, state, "alice", REASONS, view(), "u")
    assert state["flash"][1] == "Nothing to undo: alice has no decision left to take back."
    press(store, state, "alice", REASONS, view(0), "a")
    assert "no item here" in state["flash"][1]
    press(store, state, "alice", REASONS, view(), "j", moves=False)
    assert "moving works in the Queue" in state["flash"][1]
    assert store.counts() == {}


def test_undo_walks_back_own_decisions_and_restores_what_was_there(store):
    store.decide("x", "reject", "bob", "blurry")                 # bob's decision, version 1
    store.decide("x", "approve", "alice", expected_version=1)    # alice overrides it, version 2
    store.decide("y", "flag", "alice")
    state = {}
    assert press(store, state, "alice", REASONS, view(), "u") is None
    assert store.get("y") is None and state["focus_item"] == "y"
    press(store, state, "alice", REASONS, view(), "u")           # the next u takes back the one before
    x = store.get("x")
    assert (x.decision, x.reason, x.reviewer, x.previous, x.version) == ("reject", "blurry", "bob", "approve", 3)
    press(store, state, "alice", REASONS, view(), "u")
    assert state["flash"][1].startswith("Nothing to undo")       # bob's decision is not alice's to undo
    kinds = [(e.kind, e.subject, e.value, e.reviewer) for e in store.audit()]
    assert kinds[:2] == [("undo", "x", "reject", "alice"), ("undo", "y", "undecided", "alice")]
    assert len(kinds) == 5                                        # the audit log only grew


def test_undo_refuses_when_someone_changed_the_item_since(store):
    store.decide("x", "approve", "alice")
    store.decide("x", "reject", "bob", "blurry", expected_version=1)
    with pytest.raises(Conflict):
        store.undo_last("alice")
    state = {}
    press(store, state, "alice", REASONS, view(), "u")
    assert state["flash"][1].startswith("Not undone: x changed after your decision (bob set it to reject")
    assert store.get("x").decision == "reject"


def test_versions_continue_after_an_undo_so_a_stale_writer_still_conflicts(store):
    seen = store.decide("x", "approve", "alice")                 # carol looks at version 1
    store.undo_last("alice")                                      # back to undecided (version 2, in the audit)
    with pytest.raises(Conflict) as err:
        store.decide("x", "reject", "carol", "blurry", expected_version=seen.version)
    assert err.value.current is None
    again = store.decide("x", "flag", "alice", expected_version=0)
    assert again.version == 3
    with pytest.raises(Conflict):                                 # version 1 was seen long ago: still refused
        store.decide("x", "reject", "carol", "blurry", expected_version=1)
