"""Altair charts for the Stats and Feedback pages: a histogram or curve with its threshold(s) as vertical rules."""
from __future__ import annotations

import altair as alt
import pandas as pd

from framesift.checks import Threshold


def _rules(thresholds: list[Threshold], extra: dict[str, float] | None = None) -> alt.LayerChart:
    """Each threshold as a dashed line, labelled on the chart itself (rule and `--set` key), not only on hover."""
    rows = [{"x": t.value, "label": t.describe()} for t in thresholds]
    rows += [{"x": v, "label": f"{k} = {v:.4g}"} for k, v in (extra or {}).items()]
    data = pd.DataFrame(rows or [{"x": None, "label": ""}])
    data["row"] = range(len(data))          # labels of close lines stack instead of overlapping
    rule = alt.Chart(data).mark_rule(color="red", strokeDash=[4, 3]).encode(x="x:Q", tooltip=["label:N"])
    text = alt.Chart(data).transform_calculate(y_px="4 + 14 * datum.row").mark_text(
        align="left", baseline="top", dx=4, color="red", fontSize=11).encode(
        x="x:Q", y=alt.Y("y_px:Q", scale=None, axis=None), text="label:N")
    return alt.layer(rule, text)


def histogram_chart(hist: pd.DataFrame, key: str, thresholds: list[Threshold], log: bool = False,
                    extra: dict[str, float] | None = None) -> alt.LayerChart:
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    bars = alt.Chart(hist).mark_bar(opacity=0.8).encode(
        x=alt.X("start:Q", bin="binned", title=key, scale=scale), x2="end:Q", y=alt.Y("count:Q", title="items"),
        tooltip=["start:Q", "end:Q", "count:Q"])
    return alt.layer(bars, _rules(thresholds, extra)).resolve_scale(y="independent").properties(height=260)


def curve_chart(curve: pd.DataFrame, key: str, threshold: Threshold) -> alt.LayerChart:
    line = alt.Chart(curve).mark_line().encode(
        x=alt.X("threshold:Q", title=f"threshold on {key}", scale=alt.Scale(zero=False)),
        y=alt.Y("kept_fraction:Q", title="fraction kept by this check", scale=alt.Scale(domain=[0, 1])),
        tooltip=["threshold:Q", "kept_fraction:Q"])
    return alt.layer(line, _rules([threshold])).resolve_scale(y="independent").properties(height=220)
