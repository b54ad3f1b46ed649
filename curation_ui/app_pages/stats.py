"""Stats: each score's distribution with its thresholds, how many items a threshold would keep, why items were
rejected, and how far review has got (by state, by reviewer, over time)."""
import pandas as pd
import streamlit as st

from curation_ui.manifest_query import QueueQuery
from curation_ui.stats import activity, histogram, kept_curve, progress
from framesift.checks import by_score
from curation_ui.ui.charts import curve_chart, histogram_chart
from curation_ui.ui.context import review_context

ctx = review_context()
st.title("Stats")
total = ctx.query.total_rows
counts = ctx.store.counts()
decided = sum(counts.values())
c1, c2, c3 = st.columns(3)
c1.metric("Items", f"{total:,}")
c2.metric("Reviewed", f"{decided:,}", f"{decided / max(total, 1):.1%}")
c3.metric("Pipeline kept", f"{ctx.query.count(QueueQuery(keep=True)):,}")
st.progress(min(decided / max(total, 1), 1.0))

st.subheader("Scores")
keys = ctx.query.score_keys
if keys:
    key = st.selectbox("Score", keys, key="stats_score", index=keys.index("sharpness") if "sharpness" in keys else 0)
    log = st.toggle("Log scale", key="stats_log")
    values, present = ctx.query.score_values(key)
    rules = by_score(ctx.thresholds).get(key, [])
    st.altair_chart(histogram_chart(histogram(values, log=log), key, rules, log), width="stretch")
    for rule in rules:
        st.text(f"Items kept at threshold t ({rule.describe()})")
        st.altair_chart(curve_chart(kept_curve(values, rule, present=present), key, rule), width="stretch")

st.subheader("Reject reasons")
reasons = pd.DataFrame(sorted(ctx.query.reason_counts.items(), key=lambda kv: -kv[1]), columns=["reason", "items"])
if reasons.empty:
    st.text("no rejections")
else:
    # the reason codes in full (a bar chart's axis cuts long labels): bars drawn inside the table
    st.dataframe(reasons, hide_index=True, width="stretch", height=min(36 * (len(reasons) + 1) + 3, 600),
                 column_config={"reason": st.column_config.TextColumn(width="large"),
                                "items": st.column_config.ProgressColumn(format="%d", min_value=0,
                                                                         max_value=int(reasons["items"].max()))})

st.subheader("Review progress")
st.bar_chart(progress(counts, total).set_index("state"))
audit = pd.DataFrame([e.__dict__ for e in ctx.store.audit(limit=20000)])
if not audit.empty:
    st.text("Changes per reviewer per hour")
    st.bar_chart(activity(audit), x="at", y="changes", color="reviewer")
    st.text("Latest changes (audit log)")
    st.dataframe(audit.head(200), hide_index=True)
