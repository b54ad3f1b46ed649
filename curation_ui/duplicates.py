"""Duplicate groups for review: which groups exist (paged), their members, and who represents each group.

The pipeline's representative is the member it kept (not rejected by the dedupe stage), first in manifest order;
a reviewer's choice, stored with the decisions, overrides it (and `framesift export` honours it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pyarrow as pa
import pyarrow.compute as pc

from curation_ui.manifest_query import ManifestQuery
from framesift.schemas import RepresentativeChoice
from framesift.schemas.columns import Col


@dataclass
class Group:
    group_id: str
    members: list[dict]                     # index rows, manifest order
    pipeline_rep: Optional[str]             # item_id
    choice: Optional[RepresentativeChoice]  # the reviewer's pick, if any

    @property
    def representative(self) -> Optional[str]:
        return self.choice.item_id if self.choice else self.pipeline_rep

    @property
    def version(self) -> int:
        return self.choice.version if self.choice else 0


def group_ids(query: ManifestQuery, offset: int, limit: int, min_size: int = 2) -> tuple[int, list[str]]:
    """(number of groups with at least min_size members, the group ids of this page, largest groups first)."""
    t = query.scan([Col.DUPLICATE_GROUP, "row"], pc.field(Col.DUPLICATE_GROUP).is_valid())
    if t.num_rows == 0:
        return 0, []
    agg = t.group_by(Col.DUPLICATE_GROUP).aggregate([("row", "count"), ("row", "min")])
    agg = agg.filter(pc.greater_equal(agg.column("row_count"), min_size))
    agg = agg.sort_by([("row_count", "descending"), ("row_min", "ascending")])
    return agg.num_rows, agg.column(Col.DUPLICATE_GROUP).slice(offset, limit).to_pylist()


def pipeline_representative(members: list[dict]) -> Optional[str]:
    for m in members:
        if m.get(Col.KEEP) and not m.get("dedupe_rejected"):
            return m[Col.ITEM_ID]
    for m in members:
        if not m.get("dedupe_rejected"):
            return m[Col.ITEM_ID]
    return None


def load_groups(query: ManifestQuery, store, ids: list[str]) -> list[Group]:
    if not ids:
        return []
    rows = query.scan(["row"], pc.field(Col.DUPLICATE_GROUP).isin(pa.array(ids, pa.string())))
    members: dict[str, list[dict]] = {g: [] for g in ids}
    for r in query.take_rows(sorted(rows.column("row").to_pylist())):
        members[r[Col.DUPLICATE_GROUP]].append(r)
    choices = store.representatives(ids)
    return [Group(g, members[g], pipeline_representative(members[g]), choices.get(g)) for g in ids]
