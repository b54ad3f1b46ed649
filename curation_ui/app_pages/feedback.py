"""Feedback: fit a preference model on the decisions so far (a new `preference` score the queue can sort by) and
see which threshold on each score agrees best with the reviewers, as `framesift rethreshold` arguments."""
import shlex

import pandas as pd
import streamlit as st

from curation_ui.agreement import describe
from curation_ui.feedback import labelled, load_summary, run_feedback
from curation_ui.stats import histogram
from curation_ui.ui.charts import histogram_chart
from curation_ui.ui.context import review_context

ctx = review_context()
st.title("Feedback into the filters")
labels = labelled(ctx.store)
st.text(f"{len(labels):,} labelled items ({sum(labels.values()):,} approved, "
        f"{len(labels) - sum(labels.values()):,} rejected); flag and skip do not count.")
if st.button("Fit preference model and suggest thresholds", key="fb_run", disabled=len(labels) < 2):
    with st.spinner("Fitting and scoring every item..."):
        run_feedback(ctx.run_dir, ctx.query, ctx.store, ctx.thresholds)
    st.rerun()

summary = load_summary(ctx.run_dir)
if summary is None:
    st.info("Nothing fitted yet: review some items (approve and reject), then fit.")
    st.stop()
st.text(f"Last fitted {summary['fitted_at']} on {summary['labelled']:,} labelled items.")

st.subheader("Preference model: agreement with the reviewers")
pref = summary.get("preference")
if not pref:
    st.text("Too few approve/reject labels of both kinds to fit a model yet.")
else:
    heldback = pref.get("agreement") or {}
    (st.success if heldback.get("better_than_chance") else st.warning)(describe(heldback, "the preference model"))
    if "preference" in ctx.query.score_keys:
        st.altair_chart(histogram_chart(histogram(ctx.query.column("preference")), "preference", []),
                        width="stretch")
        st.text("Sort the queue by `preference` to review the likeliest approvals (or rejects) first."
                if heldback.get("better_than_chance") else
                "The `preference` score is no better than chance so far: do not sort or filter by it yet.")
    with st.expander("Model details"):
        st.json(pref)

st.subheader("Thresholds that agree best with reviewers")
rows = pd.DataFrame(summary["suggestions"])
if rows.empty:
    st.text("no thresholds configured for this run")
else:
    cols = ["set_key", "current", "suggested", "n", "approved", "current_accuracy", "suggested_accuracy",
            "heldback_accuracy", "chance_accuracy", "p_value", "improves"]
    st.dataframe(rows[[c for c in cols if c in rows.columns]], hide_index=True)
    args = [f"--set {r['set_key']}={r['suggested']!r}" for r in summary["suggestions"] if r["improves"]]
    refused = [r for r in summary["suggestions"] if r.get("suggested") is not None
               and r["suggested"] != r["current"] and not r.get("better_than_chance")]
    for r in refused:
        st.warning(f"No change suggested for {r['set_key']}: a threshold chosen this way agrees with held-back "
                   f"decisions on {r['heldback_accuracy'] or 0:.0%}, chance is {r['chance_accuracy'] or 0:.0%} "
                   f"(p = {r['p_value'] if r['p_value'] is not None else 1:.3g}) — no better than chance."
                   if r.get("heldback_accuracy") is not None else
                   f"No change suggested for {r['set_key']}: too few labels of both kinds to test it on "
                   "held-back decisions.")
    if args:
        st.text("Apply them (also in feedback/suggested_thresholds.txt):")
        st.code(f"framesift rethreshold {shlex.quote(ctx.run_dir)} " + " ".join(args), language="bash")
    else:
        st.text("No threshold change to suggest: the current thresholds agree best with the reviewers, or no "
                "better one beats chance on held-back decisions, or there are too few labels.")
