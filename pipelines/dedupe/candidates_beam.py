"""`VerifiedPairs`: candidate.py's candidate pairs and verification as a Beam transform, for the curate job.

  records -> (hash, member) for every hash (full, crops, views, regions) ─┬─ NearPairs(radius) -> hash pairs ─┐
                                                                          └─ members per hash ─────────────────┤
  -> item pairs (both sides of each hash pair, and items sharing one hash; hashes of > MAX_MEMBERS items skipped)
  -> distinct -> skip pairs the strong hashes already join -> ORB + RANSAC on the two run thumbnails -> (id, id)

A member carries what verification needs (item id, thumbnail path, strong hashes), so no step looks a record up.
Verification reads thumbnails from RUN/previews; a pair whose thumbnail cannot be read is not joined (and counted).
"""
from __future__ import annotations

import io

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from framesift.schemas.columns import Col
from pipelines.dedupe import graph_nodes as gn
from pipelines.dedupe.candidates import MAX_MEMBERS, candidate_hashes, candidate_pairs, hashes_within
from pipelines.dedupe.near_pairs_beam import NearPairs
from pipelines.dedupe.verify import VerifyParams, features, same_picture

NAMESPACE = "dedupe"


def _members(record):
    member = (record[Col.ITEM_ID], record.get(Col.THUMBNAIL_PATH), tuple(gn.perceptual_hashes(record)))
    media_type = record.get(Col.MEDIA_TYPE) or "image"
    # keys as hex: Beam's integer coder stops at 2**63 - 1
    return [((media_type, h), member) for h in dict.fromkeys(candidate_hashes(record))]


def _pairs_within(element):
    _, members = element
    members = sorted(set(members))
    if len(members) > MAX_MEMBERS:
        return
    for i, a in enumerate(members):
        for b in members[i + 1:]:
            yield a, b


def _cross(element):
    _, joined = element
    lo = sorted(set(joined["lo"]))
    hi = sorted(set(joined["hi"]))
    if len(lo) > MAX_MEMBERS or len(hi) > MAX_MEMBERS:
        return
    for a in lo:
        for b in hi:
            if a[0] != b[0]:
                yield (a, b) if a[0] < b[0] else (b, a)


class _Verify(beam.DoFn):
    def __init__(self, run_dir: str, strong_distance: int):
        self.run_dir, self.strong_distance = run_dir, strong_distance
        self.checked = Metrics.counter(NAMESPACE, "verify_checked_pairs")
        self.joined = Metrics.counter(NAMESPACE, "verify_joined_pairs")
        self.unreadable = Metrics.counter(NAMESPACE, "verify_unreadable_thumbnail")

    def _features(self, thumb):
        from PIL import Image

        from pipelines import run_files as rd
        rgb = np.asarray(Image.open(io.BytesIO(rd.read_bytes(rd.join(self.run_dir, *thumb.split("/"))))).convert("RGB"))
        return features(rgb)

    def process(self, pair):
        a, b = pair
        if hashes_within(a[2], b[2], self.strong_distance):
            return
        if not a[1] or not b[1]:
            self.unreadable.inc()
            return
        try:
            fa, fb = self._features(a[1]), self._features(b[1])
        except OSError:
            self.unreadable.inc()
            return
        self.checked.inc()
        if same_picture(fa, fb, VerifyParams()):
            self.joined.inc()
            yield a[0], b[0]


# what candidate_pairs and verification read of a record
_CANDIDATE_FIELDS = (Col.ITEM_ID, Col.MEDIA_TYPE, Col.THUMBNAIL_PATH, Col.PHASH, Col.PHASH_CROPS, Col.PHASH_VIEWS,
                     Col.PHASH_REGIONS)


def _candidate_fields(record):
    return {k: record.get(k) for k in _CANDIDATE_FIELDS}


def _pairs_on_one_worker(records, radius):
    """candidates.candidate_pairs (numpy, the reference the Beam search is tested against) over the gathered
    records, as (member, member) pairs for _Verify."""
    by_id = {r[Col.ITEM_ID]: r for r in records}
    for a, b in sorted(candidate_pairs(records, radius)):
        yield tuple((i, by_id[i].get(Col.THUMBNAIL_PATH), tuple(gn.perceptual_hashes(by_id[i]))) for i in (a, b))


class VerifiedPairs(beam.PTransform):
    """Manifest records -> (item_id, item_id) pairs confirmed as edited copies; feed them to Dedupe's item pairs.

    `one_worker`: the candidate search runs on one worker over the gathered hashes (the run fits in memory), and
    only verification is spread. The Beam search keys every one of ~30 hashes per item under tens of bucket keys:
    ~2,000 elements per item through a GroupByKey (measured: ~600k for 300 images, most of the job's CPU), while
    numpy searches the same codes in milliseconds. Same pairs either way (tests/test_dedupe_verify.py)."""

    def __init__(self, radius: int, strong_distance: int, run_dir: str, n_hint: int = 1_000_000,
                 max_bucket: int = 2000, one_worker: bool = False):
        super().__init__()
        self.radius, self.strong_distance, self.run_dir = radius, strong_distance, run_dir
        self.n_hint, self.max_bucket, self.one_worker = n_hint, max_bucket, one_worker

    def expand(self, records):
        if self.one_worker:
            return (records
                    | "CandidateFields" >> beam.Map(_candidate_fields)
                    | "GatherHashes" >> beam.combiners.ToList()
                    | "CandidatePairs" >> beam.FlatMap(_pairs_on_one_worker, self.radius)
                    | "SpreadPairs" >> beam.Reshuffle()
                    | "Verify" >> beam.ParDo(_Verify(self.run_dir, self.strong_distance)))
        members = records | "HashMembers" >> beam.FlatMap(_members)
        by_hash = members | "MembersByHash" >> beam.GroupByKey()
        same_hash = by_hash | "SameHashPairs" >> beam.FlatMap(_pairs_within)
        hash_pairs = (members
                      | "Codes" >> beam.Map(lambda kv: kv[0])
                      | "CandidateHashPairs" >> NearPairs(self.radius, self.n_hint, self.max_bucket))
        # hash pair (ns, lo, hi) -> lo's members and hi's members, joined through the pair's id
        pair_ends = hash_pairs | "PairEnds" >> beam.FlatMap(
            lambda p: [((p[0], p[1]), ("lo", p)), ((p[0], p[2]), ("hi", p))])
        ends_with_members = ({"end": pair_ends, "members": members}
                             | "JoinEnds" >> beam.CoGroupByKey()
                             | "MembersPerEnd" >> beam.FlatMap(
                                 lambda kv: [(p, (side, m)) for side, p in kv[1]["end"] for m in kv[1]["members"]]))
        near_hash = (ends_with_members
                     | "ByHashPair" >> beam.GroupByKey()
                     | "Sides" >> beam.Map(lambda kv: (kv[0], {"lo": [m for s, m in kv[1] if s == "lo"],
                                                              "hi": [m for s, m in kv[1] if s == "hi"]}))
                     | "CrossPairs" >> beam.FlatMap(_cross))
        return ((same_hash, near_hash)
                | "AllCandidates" >> beam.Flatten()
                | "DistinctCandidates" >> beam.Distinct()
                | "Verify" >> beam.ParDo(_Verify(self.run_dir, self.strong_distance)))
