"""`Dedupe`: the curate job's dedupe stage as one composite Beam transform.

  records ─┬─ content edges (item -> exact keys, item -> pHashes) ─┐
           │  distinct pHashes -> NearPairs -> hash-hash edges ────┼─ ConnectedComponents -> label per item
  semantic item pairs (optional) ──────────────────────────────────┤
  earlier index rows (optional) -> their content edges ────────────┘
  label per item -> per-group summary (size, best member, smallest id, eval member?) -> decision per item
  records + decisions -> records with duplicate_group / keep / reject_reasons (representative.apply_decision)

Every step groups by a key (bucket, node, group label, item id); nothing collects the whole run on one worker, and
a group's representative comes from a combiner, so even a group of a million copies is never held in memory.
"""
from __future__ import annotations

import apache_beam as beam

from framesift.schemas.columns import Col
from framesift.vocabulary import duplicate_group_id
from pipelines.dedupe import graph_nodes as gn
from pipelines.dedupe.components_beam import ConnectedComponents
from pipelines.dedupe.near_pairs_beam import NearPairs
from pipelines.dedupe.representative import (DUPLICATE, EVAL_LEAKAGE, GroupDecision, KeepOrder, apply_decision,
                                             rank_key)


class _GroupSummary(beam.CombineFn):
    """Members (rank, item_id, from_index, is_eval) -> (count, best member, smallest item_id, any eval member)."""

    def create_accumulator(self):
        return 0, None, None, False

    def add_input(self, acc, member):
        count, best, smallest, leak = acc
        rank, item_id, from_index, is_eval = member
        best = (rank, item_id, from_index) if best is None or rank < best[0] else best
        smallest = item_id if smallest is None or item_id < smallest else smallest
        return count + 1, best, smallest, leak or is_eval

    def merge_accumulators(self, accs):
        out = self.create_accumulator()
        for count, best, smallest, leak in accs:
            if best is None:
                continue
            c0, b0, s0, l0 = out
            out = (c0 + count, best if b0 is None or best[0] < b0[0] else b0,
                   smallest if s0 is None or smallest < s0 else s0, l0 or leak)
        return out

    def extract_output(self, acc):
        return acc


def _decision(summary):
    count, (_, best_id, best_from_index), smallest, leak = summary
    if count < 2:
        return None
    return GroupDecision(duplicate_group_id([smallest]), best_id, EVAL_LEAKAGE if leak else DUPLICATE, best_from_index)


def _decide_members(element):
    _, joined = element
    summaries = list(joined["summary"])
    decision = _decision(summaries[0]) if summaries else None
    for item_id, from_index in joined["member"]:
        if not from_index:
            yield item_id, decision


def _merge(element):
    _, joined = element
    decisions = list(joined["decision"])
    for record in joined["record"]:
        yield apply_decision(record, decisions[0] if decisions else None)


def _hash_edge(pair):
    media_type, lo, hi = pair
    return gn.hash_node(media_type, lo), gn.hash_node(media_type, hi)


def _hash_codes(record):
    media_type = record.get(Col.MEDIA_TYPE) or "image"
    return [(media_type, h) for h in gn.perceptual_hashes(record)]


class Dedupe(beam.PTransform):
    """Manifest records (ManifestRow.to_record() dicts) -> the same records, deduplicated.

    cfg: a DedupeConfig. semantic_pairs: optional PCollection of (item_id, item_id) pairs to merge as duplicates
    (e.g. from semantic.semantic_pairs over RUN/embeddings, or geometrically verified region-hash candidates from
    candidates_beam.VerifiedPairs). index_rows: optional PCollection of rows of earlier
    dedupe indexes (dedupe_index.ReadDedupeIndex): their items win every group they join; new members of a group
    with an "eval" row are rejected as eval_leakage. strict: fail the job if components did not converge in
    cfg.cc_iterations rounds, rather than write wrong groups.
    """

    def __init__(self, cfg, semantic_pairs=None, index_rows=None, strict: bool = True, n_hint: int = 1_000_000):
        super().__init__()
        self.cfg, self.semantic_pairs, self.index_rows = cfg, semantic_pairs, index_rows
        self.strict, self.n_hint = strict, n_hint

    def expand(self, records):
        cfg = self.cfg
        order = KeepOrder.parse(cfg.keep_order)
        near = cfg.near_max_distance >= 0
        sources = [("New", records, False)]
        if self.index_rows is not None:
            sources.append(("Index", self.index_rows, True))

        members, edges = [], []
        for name, pcoll, from_index in sources:
            members.append(pcoll | f"{name}Members" >> beam.Map(
                lambda r, old=from_index: (gn.item_node(r[Col.ITEM_ID], old),
                                           (rank_key(r, order, old), r[Col.ITEM_ID], old,
                                            old and r.get("role") == "eval"))))
            edges.append(pcoll | f"{name}ContentEdges" >> beam.FlatMap(
                lambda r, old=from_index: [(gn.item_node(r[Col.ITEM_ID], old), n)
                                           for n in gn.content_nodes(r, cfg)]))
        if near:
            codes = [pcoll | f"{name}HashCodes" >> beam.FlatMap(_hash_codes) for name, pcoll, _ in sources]
            edges.append(codes | "AllHashCodes" >> beam.Flatten()
                         | "NearPairs" >> NearPairs(cfg.near_max_distance, self.n_hint, cfg.max_bucket)
                         | "HashEdges" >> beam.Map(_hash_edge))
        if self.semantic_pairs is not None:
            edges.append(self.semantic_pairs | "SemanticEdges" >> beam.Map(
                lambda p: (gn.item_node(p[0]), gn.item_node(p[1]))))

        all_members = members | "AllMembers" >> beam.Flatten()
        components = (edges | "AllEdges" >> beam.Flatten()
                      | "Components" >> ConnectedComponents(cfg.cc_iterations, strict=self.strict))
        item_labels = components["labels"] | "ItemLabels" >> beam.Filter(lambda kv: gn.is_item_node(kv[0]))
        labelled = ({"label": item_labels, "member": all_members}
                    | "JoinLabels" >> beam.CoGroupByKey()
                    | "ByLabel" >> beam.FlatMap(
                        lambda kv: [(label, m) for label in kv[1]["label"] for m in kv[1]["member"]]))
        summaries = labelled | "Summaries" >> beam.CombinePerKey(_GroupSummary())
        decisions = ({"summary": summaries,
                      "member": labelled | "MemberIds" >> beam.Map(lambda kv: (kv[0], (kv[1][1], kv[1][2])))}
                     | "JoinSummaries" >> beam.CoGroupByKey()
                     | "Decide" >> beam.FlatMap(_decide_members))
        return ({"record": records | "KeyRecords" >> beam.Map(lambda r: (r[Col.ITEM_ID], r)),
                 "decision": decisions}
                | "JoinDecisions" >> beam.CoGroupByKey()
                | "Apply" >> beam.FlatMap(_merge))
