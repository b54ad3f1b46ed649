"""The review keys, defined once: which key does what, the help line, and what a key press does to the store and
to the session (cursor, messages). The browser side (ui/components/review_grid) only reports the key and the card
it was pressed on; every rule lives here, without Streamlit, so it is unit-testable.

Every press that cannot act says why in state["flash"] (no name yet, nothing to undo, no such reason, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, MutableMapping, Optional

from curation_ui import actions
from curation_ui.store import DecisionStore

KEYS = {"a": "approve", "r": "reject", "f": "flag", "s": "skip", "j": "next", "ArrowRight": "next",
        "k": "prev", "ArrowLeft": "prev", "o": "open", "Enter": "open", "u": "undo", "Escape": "back"}
DIGITS = tuple("123456789")
REASON_STATE = "reject_reason"          # session key of the reason `r` uses (the last one chosen)


def help_line(reasons: list[str]) -> str:
    numbered = " · ".join(f"{i} {r}" for i, r in zip(DIGITS, reasons))
    last = "the last reason chosen" if reasons else "no reasons configured"
    return (f"a approve · r reject ({last}) · {numbered} reject with that reason · f flag · s skip · u undo · "
            "j/→ next · k/← previous · o/Enter open · Esc back")


def resolve(key: str, reasons: list[str], selected: Optional[str]) -> tuple[Optional[str], Optional[str], str]:
    """(action, reject reason, why not) for one key press; action None means the key cannot act."""
    if key in DIGITS:
        n = int(key)
        if n <= len(reasons):
            return "reject", reasons[n - 1], ""
        return None, None, (f"Key {key}: only {len(reasons)} reject reasons are configured "
                            f"({' · '.join(f'{i} {r}' for i, r in zip(DIGITS, reasons))}).")
    action = KEYS.get(key)
    if action is None:
        return None, None, f"Key {key!r} does nothing here. Keys: {help_line(reasons)}"
    if action == "reject":
        if not reasons:
            return None, None, "Key r: no reject reasons are configured (review config: reject_reasons)."
        return "reject", selected if selected in reasons else reasons[0], ""
    return action, None, ""


@dataclass
class View:
    """What the reviewer sees when they press a key: the page's items in order, with the version shown."""
    ids: list[str]
    names: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    total: int = 0                  # items matching the filters (all pages)
    page_size: int = 48
    states: tuple[str, ...] = ()    # the review-state filter (decided items may leave the queue)


def press(store: DecisionStore, state: MutableMapping, reviewer: Optional[str], reasons: list[str], view: View,
          key: str, index: Optional[int] = None, moves: bool = True,
          name_of: Optional[Callable[[str], str]] = None) -> Optional[str]:
    """Apply one key press to the item under the cursor (or at `index`, where it was pressed). Returns what the
    page must do next that needs Streamlit: "open" or "back"; else None. `moves`: j/k move a cursor here.
    `name_of`: names an item that is not on this page (the one an undo brings back)."""
    n = len(view.ids)
    if index is not None and 0 <= index < n:
        state["cursor"] = index
    cursor = min(max(state.get("cursor", 0), 0), max(n - 1, 0))
    action, reason, why = resolve(key, reasons, state.get(REASON_STATE))
    if action is None:
        state["flash"] = ("warning", why)
        return None
    if action in ("next", "prev"):
        if not moves:
            state["flash"] = ("warning", f"Key {key}: moving works in the Queue (Esc goes back to it).")
            return None
        actions.move_cursor(state, 1 if action == "next" else -1, n, view.page_size, view.total)
        return None
    if action == "undo":
        actions.undo_last(store, state, reviewer,
                          name_of=lambda i: view.names.get(i) or (name_of(i) if name_of else i))
        return None
    if action in ("open", "back"):
        return action
    if not n:
        state["flash"] = ("warning", f"Key {key}: no item here to {action}.")
        return None
    item_id = view.ids[cursor]
    if reason:
        state[REASON_STATE] = reason
    done = actions.apply_decision(store, state, item_id, action, reviewer, reason, view.versions.get(item_id, 0),
                                  view.names.get(item_id, item_id))
    if done and moves and actions.stays_in_view(action, view.states):
        actions.move_cursor(state, 1, n, view.page_size, view.total)
    return None
