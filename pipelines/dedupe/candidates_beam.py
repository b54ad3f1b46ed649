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
from pipelines.dedupe.candidates import MAX_MEMBERS, candidate_hashes, hashes_within
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


class VerifiedPairs(beam.PTransform):
    """Manifest records -> (item_id, item_id) pairs confirmed as edited copies; feed them to Dedupe's item pairs."""

    def __init__(self, radius: int, strong_distance: int, run_dir: str, n_hint: int = 1_000_000,
                 max_bucket: int = 2000):
        super().__init__()
        self.radius, self.strong_distance, self.run_dir = radius, strong_distance, run_dir
        self.n_hint, self.max_bucket = n_hint, max_bucket

    def expand(self, records):
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
