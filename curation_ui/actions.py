"""Decisions as the pages apply them: write through the store, and keep what the reviewer must see next (a
conflict, a confirmation, where the cursor goes) in a plain mapping, the session state. No Streamlit import, so
the rules are unit-testable.
"""
from __future__ import annotations

from typing import MutableMapping, Optional

from curation_ui.store import Conflict, DecisionStore
from framesift.schemas import DECISIONS
from framesift.schemas.review import UNDECIDED
from framesift.schemas.columns import Col

REVIEW_STATES = (UNDECIDED,) + DECISIONS


def state_filter(store: DecisionStore, states) -> tuple[Optional[list[str]], Optional[list[str]]]:
    """(include_ids, exclude_ids) for the manifest query that select items in these review states."""
    states = set(states or ())
    if not states or states >= set(REVIEW_STATES):
        return None, None
    if UNDECIDED in states:
        others = set(DECISIONS) - states
        return None, (store.item_ids(others) if others else None)
    return store.item_ids(states), None


def apply_decision(store: DecisionStore, state: MutableMapping, item_id: str, decision: str,
                   reviewer: Optional[str], reason: Optional[str], seen_version: int, name: str = "") -> bool:
    """Record one decision; on a stale version put the conflict in state["conflict"] instead. True if written.
    `name`: what the reviewer calls the item (its file name), for the messages."""
    name = name or item_id
    if not reviewer:
        state["flash"] = ("warning", f"Not recorded ({decision} {name}): enter your name in the sidebar "
                                     "(Reviewer) first.")
        return False
    if decision != "reject":
        reason = None
    try:
        store.decide(item_id, decision, reviewer, reason, expected_version=seen_version)
    except Conflict as c:
        cur = c.current
        state["conflict"] = {Col.ITEM_ID: item_id, "name": name, "decision": decision, "reason": reason,
                             "current": cur.to_record() if cur else None}
        return False
    except ValueError as e:         # e.g. a reject without a reason
        state["flash"] = ("warning", str(e))
        return False
    state.pop("conflict", None)
    why = f" ({reason})" if reason else ""
    state["flash"] = ("success", f"{decision}{why} recorded for {name} — u undoes it")
    return True


def undo_last(store: DecisionStore, state: MutableMapping, reviewer: Optional[str], name_of=None) -> Optional[str]:
    """Take back the reviewer's latest decision (an audited change). Returns the item id, or None with a message
    in state["flash"] saying why nothing was undone. `name_of(item_id)` names items in the messages."""
    if not reviewer:
        state["flash"] = ("warning", "Nothing undone: enter your name in the sidebar (Reviewer) first.")
        return None
    try:
        item_id, now = store.undo_last(reviewer)
    except LookupError:
        state["flash"] = ("warning", f"Nothing to undo: {reviewer} has no decision left to take back.")
        return None
    except Conflict as c:
        cur = c.current
        theirs = f"{cur.reviewer} set it to {cur.decision} at {cur.decided_at}" if cur else "it was cleared"
        name = name_of(c.subject) if name_of else c.subject
        state["flash"] = ("warning", f"Not undone: {name} changed after your decision ({theirs}).")
        return None
    name = name_of(item_id) if name_of else item_id
    state["flash"] = ("success", f"Undone: {name} is {now.decision if now else UNDECIDED} again.")
    state["focus_item"] = item_id
    return item_id


def resolve_conflict(store: DecisionStore, state: MutableMapping, reviewer: Optional[str], overwrite: bool) -> None:
    """The reviewer saw what changed: overwrite it with their decision (against the version now stored) or keep it."""
    conflict = state.pop("conflict", None)
    if not conflict or not overwrite:
        return
    current = conflict["current"]
    apply_decision(store, state, conflict[Col.ITEM_ID], conflict["decision"], reviewer, conflict["reason"],
                   current["version"] if current else 0, conflict.get("name", ""))


def batch_decide(store: DecisionStore, item_ids: list[str], decision: str, reviewer: str,
                 reason: Optional[str]) -> tuple[int, list[str]]:
    """Apply to every item at the version stored now; returns (applied, ids that changed meanwhile)."""
    seen = store.get_many(item_ids)
    applied, conflicts = store.decide_many([(i, seen[i].version if i in seen else 0) for i in item_ids],
                                           decision, reviewer, reason if decision == "reject" else None)
    return len(applied), [c.subject for c in conflicts]


def move_cursor(state: MutableMapping, step: int, page_len: int, page_size: int, total: int) -> None:
    """Cursor within the page; stepping past either end turns the page."""
    cursor, page = state.get("cursor", 0) + step, state.get("q_page", 0)
    if cursor >= page_len and (page + 1) * page_size < total:
        state["q_page"], state["cursor"] = page + 1, 0
    elif cursor < 0 and page > 0:
        state["q_page"], state["cursor"] = page - 1, page_size - 1
    else:
        state["cursor"] = max(0, min(cursor, page_len - 1))


def stays_in_view(decision: str, states) -> bool:
    """Whether an item just decided still matches the review-state filter (then the cursor moves past it)."""
    states = set(states or ())
    return not states or decision in states


def choose_representative(store: DecisionStore, state: MutableMapping, group_id: str, item_id: str,
                          reviewer: Optional[str], seen_version: int) -> bool:
    if not reviewer:
        state["flash"] = ("warning", "Enter your name in the sidebar before choosing.")
        return False
    try:
        store.set_representative(group_id, item_id, reviewer, expected_version=seen_version)
    except Conflict as c:
        cur = c.current
        state["flash"] = ("warning", f"Not changed: {cur.reviewer} chose {cur.item_id} for group {group_id} at "
                                     f"{cur.decided_at} while you were looking. Look again and choose."
                          if cur else f"Not changed: group {group_id} changed while you were looking.")
        return False
    state["flash"] = ("success", f"{item_id} now represents group {group_id}")
    return True
