"""Multi-index hashing finds exactly the brute-force pair set, in numpy and in Beam."""
import numpy as np
import pytest
import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipelines.dedupe.chunk_plan import MAX_DISTANCE, chunk_keys, code_keys, plan_chunks
from pipelines.dedupe.hash_codes import brute_force_pairs, code_to_hex, hamming, hex_to_code
from pipelines.dedupe.components import components_from_pairs
from pipelines.dedupe.near_pairs import near_duplicate_labels, near_pairs, near_pairs_distinct
from pipelines.dedupe.near_pairs_beam import NearPairs


def planted_codes(n, max_flips, seed=0, share=0.3):
    """n random 64-bit codes plus copies of a `share` of them with 0..max_flips random bits flipped."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2 ** 64, n, dtype=np.uint64, endpoint=False)
    k = int(n * share)
    src = rng.integers(0, n, k)
    flips = np.zeros(k, np.uint64)
    for i, count in enumerate(rng.integers(0, max_flips + 1, k)):
        for bit in rng.choice(64, count, replace=False):
            flips[i] |= np.uint64(1) << np.uint64(bit)
    return np.concatenate([base, base[src] ^ flips])


@pytest.mark.parametrize("d", [0, 1, 2, 3, 5, 8, 12])
def test_plan_covers_every_pair_within_d(d):
    for n in (100, 10_000, 1_000_000):
        plan = plan_chunks(d, n)
        assert sum(c.width for c in plan.chunks) == 64
        assert sum(c.radius + 1 for c in plan.chunks) == d + 1      # the generalised pigeonhole condition
        assert all(0 <= c.radius <= 2 for c in plan.chunks)


def test_plan_rejects_meaningless_distances():
    with pytest.raises(ValueError, match="0..32"):
        plan_chunks(MAX_DISTANCE + 1)


def test_python_keys_equal_numpy_keys():
    plan = plan_chunks(8, 100_000)
    code = 0xFEDCBA9876543210
    vec = [(c.index, int(k)) for c in plan.chunks for k in chunk_keys(np.array([code], np.uint64), c)[0]]
    assert code_keys(code, plan) == vec


def test_hex_round_trip_and_distance():
    assert code_to_hex(hex_to_code("00ff00ff00ff00ff")) == "00ff00ff00ff00ff"
    assert int(hamming(hex_to_code("ffffffffffffffff"), 0)) == 64
    with pytest.raises(ValueError):
        hex_to_code("1" * 17)


@pytest.mark.parametrize("d", [0, 1, 2, 4, 6, 8, 10])
def test_mih_equals_brute_force_on_planted_pairs(d):
    codes = planted_codes(4000, d + 2, seed=d)
    found = near_pairs(codes, d)
    expected = brute_force_pairs(codes, d)
    assert len(expected) > 300                        # planted pairs both within and just beyond d
    np.testing.assert_array_equal(found, expected)


def test_mih_equals_brute_force_with_every_plan_shape():
    codes = planted_codes(3000, 10, seed=7)
    distinct = np.unique(codes)
    for n_hint in (10, 3000, 10 ** 7):                # different n_hint -> different chunkings, same answer
        plan = plan_chunks(8, n_hint)
        np.testing.assert_array_equal(near_pairs_distinct(distinct, 8, plan=plan),
                                      brute_force_pairs(distinct, 8))


def test_giant_buckets_and_tiny_blocks_stay_exact():
    # 3000 distinct codes that all share their low 44 bits: every chunk-0 key bucket is huge
    rng = np.random.default_rng(3)
    codes = (rng.integers(0, 2 ** 20, 3000, dtype=np.uint64) << np.uint64(44)) | np.uint64(0x123456789AB)
    codes = np.unique(codes)
    expected = brute_force_pairs(codes, 6)
    np.testing.assert_array_equal(near_pairs_distinct(codes, 6, block=1000), expected)
    np.testing.assert_array_equal(near_pairs_distinct(codes, 6), expected)


def test_identical_codes_collapse_instead_of_exploding():
    codes = np.concatenate([np.full(200_000, 42, np.uint64), np.array([43, 2 ** 63], np.uint64)])
    labels = near_duplicate_labels(codes, 2)           # 2e10 identical pairs if expanded
    assert (labels[:200_001] == 0).all() and labels[-1] == len(codes) - 1


def test_labels_match_components_of_brute_force_pairs():
    codes = planted_codes(3000, 8, seed=11)
    expected = components_from_pairs(len(codes), brute_force_pairs(codes, 8))
    np.testing.assert_array_equal(near_duplicate_labels(codes, 8), expected)


def test_beam_near_pairs_equal_numpy_including_split_buckets():
    codes = planted_codes(600, 8, seed=2)
    shared = (np.arange(300, dtype=np.uint64) << np.uint64(50)) | np.uint64(0x5555)   # one crowded bucket
    codes = np.unique(np.concatenate([codes, shared]))
    expected = [("image", code_to_hex(codes[i]), code_to_hex(codes[j]))
                for i, j in brute_force_pairs(codes, 8).tolist()]
    assert len(expected) > 100
    with TestPipeline() as p:
        mixed = ([("image", int(c)) for c in codes[::2]] + [("image", code_to_hex(c)) for c in codes[1::2]]
                 + [("clip", int(codes[0]))])                  # ints and hex both accepted; clips searched apart
        pairs = (p | beam.Create(mixed)
                 | NearPairs(8, n_hint=len(codes), max_bucket=40))
        assert_that(pairs, equal_to(expected))
