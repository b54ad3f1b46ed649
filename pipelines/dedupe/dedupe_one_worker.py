"""`DedupeOnOneWorker`: the curate job's dedupe for runs that fit in one worker's memory.

The distributed `Dedupe` unrolls `cc_iterations` rounds of large-star/small-star into the Beam graph: ~550
transforms, which cost seconds to build, translate and schedule whatever the run's size (measured: a 20-image run
spent ~7 of its ~9 CPU-seconds there). Below `dedupe.one_worker_max_items` inputs the job gathers slimmed records
(what grouping and ranking read, not spectra or captions) into one list and runs dedupe_local.py's
`group_decisions` — the reference the distributed transform is tested against, so the groups and decisions are the
same — then joins each decision back to its record by item_id.
"""
from __future__ import annotations

import apache_beam as beam

from framesift.schemas.columns import Col
from pipelines.dedupe.dedupe_local import group_decisions
from pipelines.dedupe.representative import apply_decision

# fields no dedupe decision reads (grouping reads hashes and spans, ranking reads scores, sizes, rejections and
# numeric fields): left behind so the gathered list stays small
_NOT_READ = (Col.SPECTRAL_PROFILE, Col.CAPTION, Col.METADATA, Col.THUMBNAIL_PATH, Col.PREVIEW_PATH, Col.SOURCE_URI,
             Col.MODELS, Col.CONFIG_HASH)


def _slim(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in _NOT_READ}


def _decisions(records: list, cfg, index_rows: list, semantic_pairs: list):
    yield from group_decisions(records, cfg, semantic_pairs, index_rows).items()


def _merge(element):
    _, joined = element
    decisions = list(joined["decision"])
    for record in joined["record"]:
        yield apply_decision(record, decisions[0] if decisions else None)


class DedupeOnOneWorker(beam.PTransform):
    """Same contract as dedupe_transform.Dedupe (records in, deduplicated records out)."""

    def __init__(self, cfg, semantic_pairs=None, index_rows=None):
        super().__init__()
        self.cfg, self.semantic_pairs, self.index_rows = cfg, semantic_pairs, index_rows

    def expand(self, records):
        p = records.pipeline
        index = self.index_rows if self.index_rows is not None else p | "NoIndex" >> beam.Create([])
        pairs = (self.semantic_pairs | "PairTuples" >> beam.Map(tuple) if self.semantic_pairs is not None
                 else p | "NoPairs" >> beam.Create([]))
        decisions = (records | "Slim" >> beam.Map(_slim)
                     | "Gather" >> beam.combiners.ToList()
                     | "Decide" >> beam.FlatMap(_decisions, self.cfg, beam.pvalue.AsList(index),
                                                beam.pvalue.AsList(pairs)))
        return ({"record": records | "KeyRecords" >> beam.Map(lambda r: (r[Col.ITEM_ID], r)), "decision": decisions}
                | "JoinDecisions" >> beam.CoGroupByKey()
                | "Apply" >> beam.FlatMap(_merge))
