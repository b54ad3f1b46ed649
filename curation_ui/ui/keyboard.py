"""Keyboard shortcuts. Streamlit has no key bindings, so a tiny same-origin iframe listens for keydown on the app's
document and clicks the button whose widget key is `kb_<action>` (Streamlit puts `st-key-<key>` on its
container). Keys typed into inputs are left alone. Each render replaces the previous listener, so the listener
always belongs to a live frame.
"""
from __future__ import annotations

import json

import streamlit as st

SHORTCUTS = {"a": "approve", "r": "reject", "f": "flag", "s": "skip", "j": "next", "ArrowRight": "next",
             "k": "prev", "ArrowLeft": "prev", "o": "open"}
HELP = ("Keys: a approve · r reject (with the reason selected) · f flag · s skip · j/→ next · k/← previous · "
        "o open")

_SCRIPT = """<script>
(function() {
  const doc = window.parent.document;
  const keys = %s;
  if (doc.__framesiftKeys) { doc.removeEventListener("keydown", doc.__framesiftKeys, true); }
  const handler = function(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const t = e.target || {};
    const tag = (t.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || t.isContentEditable) return;
    const action = keys[e.key];
    if (!action) return;
    const button = doc.querySelector(".st-key-kb_" + action + " button");
    if (button && !button.disabled) { e.preventDefault(); e.stopPropagation(); button.click(); }
  };
  doc.__framesiftKeys = handler;
  doc.addEventListener("keydown", handler, true);
})();
</script>"""


def install_shortcuts() -> None:
    # a constant script (no data from the manifest or the user goes into it)
    html = _SCRIPT % json.dumps(SHORTCUTS)
    if hasattr(st, "iframe"):
        st.iframe(html, height=1, alt="keyboard shortcuts")
    else:   # Streamlit before st.iframe
        import streamlit.components.v1 as components
        components.html(html, height=0)
