"""Dedupe on manifest records: exact keys, the representative's order, the Beam transform against the single-machine
path, the persisted index, incremental runs and eval leakage."""
import numpy as np
import pytest
import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from framesift.config.jobs import DedupeConfig
from framesift.schemas import ManifestRow, Rejection
from pipelines.dedupe.dedupe_index import read_dedupe_index, write_dedupe_index
from pipelines.dedupe.dedupe_local import dedupe_records
from pipelines.dedupe.dedupe_one_worker import DedupeOnOneWorker
from pipelines.dedupe.dedupe_transform import Dedupe
from pipelines.dedupe.exact_keys import exact_key, exact_keys
from pipelines.dedupe.hash_codes import code_to_hex
from tests.dedupe_reference import dedupe_against_paths
from pipelines.dedupe.representative import KeepOrder, rank_key

BLURRY = Rejection("filter", "sharpness", "sharpness", 0.001, "min", 0.005, "too_blurry")


def rec(item_id, phash=None, sha=None, pixels=None, w=100, h=100, scores=None, rejected=False, **extra):
    row = ManifestRow(item_id=item_id, source_uri=f"mem://{item_id}", media_type=extra.pop("media_type", "image"),
                      width=w, height=h, sha256=sha or f"bytes-{item_id}", pixel_sha256=pixels, phash=phash,
                      scores=scores or {}, reject_reasons=[BLURRY] if rejected else [], keep=not rejected,
                      config_hash="test", **extra)
    return row.to_record()


def by_id(records):
    return {r["item_id"]: r for r in records}


def dedupe_rejections(r):
    return [x for x in r["reject_reasons"] if x["stage"] == "dedupe"]


def test_exact_keys_prefer_pixels_then_bytes_and_clips_add_their_span():
    assert exact_key(rec("a", pixels="p1", sha="s1")) == "pixels:p1"
    assert exact_keys(rec("a", pixels="p1", sha="s1")) == ["pixels:p1", "bytes:s1"]
    assert exact_key(rec("b", sha="s2")) == "bytes:s2"
    clip = rec("c", sha="v1", media_type="clip", start_frame=10, end_frame=50)
    assert exact_key(clip) == exact_keys(clip)[0] == "clip:v1:10-50"
    assert exact_key({"item_id": "d", "media_type": "image"}) is None


def test_keep_order_ranks_quality_then_terms_then_item_id():
    order = KeepOrder.parse(["short_side:desc", "sharpness:desc", "aesthetic:desc"])
    records = [rec("z-big-blurry", w=400, h=400, scores={"sharpness": 0.9}, rejected=True),
               rec("y-small", w=50, h=80, scores={"sharpness": 0.9}),
               rec("x-big-soft", w=300, h=200, scores={"sharpness": 0.1}),
               rec("w-big-sharp-no-aesthetic", w=200, h=300, scores={"sharpness": 0.5}),
               rec("v-big-sharp", w=200, h=300, scores={"sharpness": 0.5, "aesthetic": 6.0}),
               rec("u-big-sharp", w=200, h=300, scores={"sharpness": 0.5, "aesthetic": 6.0})]
    ranked = [r["item_id"] for r in sorted(records, key=lambda r: rank_key(r, order))]
    assert ranked == ["u-big-sharp", "v-big-sharp", "w-big-sharp-no-aesthetic", "x-big-soft", "y-small",
                      "z-big-blurry"]
    assert KeepOrder.parse(["bytes:asc"]).terms == (("bytes", False),)
    with pytest.raises(ValueError, match="keep_order"):
        KeepOrder.parse(["sharpness:up"])


def test_group_keeps_one_and_points_the_others_at_it():
    records = [rec("a", phash="ffff0000ffff0000", w=100, h=100), rec("b", phash="ffff0000ffff0001", w=300, h=300),
               rec("c", phash="ffff0000ffff0003", w=500, h=500, rejected=True), rec("d", phash="0123456789abcdef")]
    out = by_id(dedupe_records(records, DedupeConfig()))
    assert [out[i]["keep"] for i in "abcd"] == [False, True, False, True]
    assert {out[i]["duplicate_group"] for i in "abc"} == {"dup-a"} and out["d"]["duplicate_group"] is None
    (dup,) = dedupe_rejections(out["a"])
    assert (dup["reason"], dup["name"], out["a"]["duplicate_of"]) == ("duplicate", "dedupe", "b")
    assert (dup["score_key"], dup["op"], dup["score"], dup["threshold"]) == (None, None, None, None)
    assert out["b"]["duplicate_of"] is None and out["d"]["duplicate_of"] is None
    assert Rejection(**dup).describe() == "dedupe: duplicate"
    assert [x["reason"] for x in out["c"]["reject_reasons"]] == ["too_blurry", "duplicate"]
    # re-running is idempotent: earlier dedupe verdicts are replaced, not stacked
    assert dedupe_records(list(out.values()), DedupeConfig()) == list(out.values())


def test_structureless_pictures_do_not_group_by_their_degenerate_phash():
    # flat pictures of any colour hash to 8000000000000000 (only the DC bit): no evidence of duplication
    records = [rec("flat-grey", phash="8000000000000000"), rec("flat-green", phash="8000000000000000"),
               rec("flat-copy", phash="8000000000000000", pixels="same"), rec("flat-copy2", pixels="same")]
    out = by_id(dedupe_records(records, DedupeConfig()))
    assert [out[i]["duplicate_group"] for i in ("flat-grey", "flat-green")] == [None, None]
    assert out["flat-copy"]["duplicate_group"] == out["flat-copy2"]["duplicate_group"] == "dup-flat-copy"


def synthetic_records(seed=0):
    """Exact copies, near copies (<= 8 bits, some hashes >= 2**63), far ones (> 8 bits), clips, no-hash items."""
    rng = np.random.default_rng(seed)
    records, n = [], 0
    for g in range(40):
        base = int(rng.integers(0, 2 ** 64, dtype=np.uint64, endpoint=False))
        for k in range(int(rng.integers(1, 5))):
            flips = rng.choice(64, int(rng.integers(0, 13)), replace=False)
            code = base ^ int(sum(1 << int(b) for b in flips))
            records.append(rec(f"item{n:03d}", phash=code_to_hex(code), w=int(rng.integers(50, 500)), h=300,
                               scores={"sharpness": float(rng.random())}, rejected=bool(rng.random() < 0.2),
                               pixels=f"px{g}" if k == 1 else None))
            n += 1
    records.append(rec("clip-a", phash=code_to_hex(7), sha="v", media_type="clip", start_frame=0, end_frame=9))
    records.append(rec("clip-b", phash=code_to_hex(7), sha="v", media_type="clip", start_frame=0, end_frame=9))
    records.append(rec("still-7", phash=code_to_hex(7)))          # same hash as the clips, other media type
    records.append(rec("nohash"))
    return records


def _one_worker(cfg, **kwargs):
    return DedupeOnOneWorker(cfg, **kwargs)


BEAM_DEDUPES = pytest.mark.parametrize("transform", [Dedupe, _one_worker], ids=["distributed", "one_worker"])


@BEAM_DEDUPES
def test_beam_dedupe_equals_single_machine_dedupe(transform):
    cfg = DedupeConfig(cc_iterations=6, max_bucket=8)
    records = synthetic_records()
    semantic = [("item000", "item005"), ("item005", "still-7")]
    expected = dedupe_records(records, cfg, semantic)
    assert sum(1 for r in expected if dedupe_rejections(r)) > 20
    with TestPipeline() as p:
        pairs = p | "Semantic" >> beam.Create(semantic)
        out = p | beam.Create(records) | transform(cfg, semantic_pairs=pairs)
        assert_that(out, equal_to(expected))


@BEAM_DEDUPES
def test_index_round_trip_incremental_and_eval_leakage(tmp_path, transform):
    cfg = DedupeConfig(cc_iterations=6)
    first = dedupe_records([rec("old1", phash="00000000ffffffff", pixels="p-old"),
                            rec("old2", phash="0f0f0f0f0f0f0f0f"),
                            rec("old3", phash="00000000ffffffff", rejected=True),      # not curated: not indexed
                            rec("old4", phash="ff00ff00ff00ff00")], cfg)
    write_dedupe_index(str(tmp_path / "run1"), first)
    write_dedupe_index(str(tmp_path / "evalset"), [rec("eval1", phash="3333333333333333")], role="eval")
    rows = read_dedupe_index(str(tmp_path / "run1"))
    assert [r["item_id"] for r in rows] == ["old1", "old2", "old4"] and rows[0]["exact_keys"][0] == "pixels:p-old"

    new = [rec("new-exact", phash="1234123412341234", pixels="p-old"),     # same pixels as old1
           rec("new-near", phash="0f0f0f0f0f0f0f0e"),                      # 1 bit from old2
           rec("new-near2", phash="0f0f0f0f0f0f0f0c", w=900, h=900),       # joins the same group; old2 still wins
           rec("new-leak", phash="3333333333333332"),                       # 1 bit from the eval set
           rec("new-fresh", phash="5555555555555555"), rec("new-fresh2", phash="5555555555555554", w=50, h=50)]
    out = by_id(dedupe_against_paths(new, [str(tmp_path / "run1"), str(tmp_path / "evalset")], cfg))
    reasons = {i: [(x["reason"], r["duplicate_of"]) for x in dedupe_rejections(r)] for i, r in out.items()}
    assert reasons == {"new-exact": [("duplicate", "old1")], "new-near": [("duplicate", "old2")],
                       "new-near2": [("duplicate", "old2")], "new-leak": [("eval_leakage", "eval1")],
                       "new-fresh": [], "new-fresh2": [("duplicate", "new-fresh")]}
    assert out["new-near"]["duplicate_group"] == out["new-near2"]["duplicate_group"] == "dup-new-near"

    # the same inputs curated again against their own earlier run are all duplicates of it
    again = dedupe_against_paths([dict(r, duplicate_group=None) for r in first], [str(tmp_path / "run1")], cfg)
    assert all(not r["keep"] for r in again if r["item_id"] != "old3")

    # and the Beam transform decides the same with the index as a PCollection
    index_rows = read_dedupe_index(str(tmp_path / "run1")) + read_dedupe_index(str(tmp_path / "evalset"))
    with TestPipeline() as p:
        index = p | "Index" >> beam.Create(index_rows)
        result = p | beam.Create(new) | transform(cfg, index_rows=index)
        assert_that(result, equal_to(list(out.values())))
