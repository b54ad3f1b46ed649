"""The curate job on the demo corpus, scored against its ground truth (labels.csv): every planted defect kind is
caught (recall >= 0.9) and at most 5 % of clean items are rejected."""
import collections
import csv
import os

import pytest

from pipelines.curate.outputs import read_dead_letters, read_manifest

# what "caught" means for each planted kind: the reject reasons that count, or dead-lettered
EXPECTED = {
    "blurred": {"too_blurry"},
    "tiny": {"too_small"},
    "extreme_aspect": {"extreme_aspect"},
    "dark": {"too_dark", "crushed_blacks"},
    "flat": {"flat", "low_information"},
    "static_video": {"static"},
    "too_short_clip": {"too_short"},
    "truncated": "dead",
    "zero_byte": "dead",
    "not_media": "dead",
    "decompression_bomb": "dead",
}
QUALITY_OK = {"clean", "near_duplicate", "exact_duplicate", "hard_cuts"}


@pytest.fixture(scope="module")
def outcome(demo_corpus, demo_run):
    run_dir, report = demo_run
    media = demo_corpus / "media"
    with open(demo_corpus / "labels.csv") as f:
        labels = {str(media / row["file"]): row for row in csv.DictReader(f)}
    rows = collections.defaultdict(list)
    for r in read_manifest(str(run_dir)).to_pylist():
        rows[r["source_uri"]].append(r)
    dead = {d.uri: d for d in read_dead_letters(str(run_dir))}
    return labels, rows, dead, report


def test_counts_reconcile_with_input_files(demo_corpus, outcome):
    labels, rows, dead, report = outcome
    n_files = sum(len(f) for _, _, f in os.walk(demo_corpus / "media"))
    assert report["reconciled"] and report["inputs"]["seen"] == n_files == len(labels)
    assert set(rows) | set(dead) == set(labels)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_planted_defect_recall(kind, outcome):
    labels, rows, dead, _ = outcome
    files = [uri for uri, lab in labels.items() if lab["kind"] == kind]
    assert files, f"no planted {kind} in the corpus"
    caught = 0
    for uri in files:
        if EXPECTED[kind] == "dead":
            caught += uri in dead
        else:
            reasons = {r["reason"] for row in rows.get(uri, []) for r in row["reject_reasons"]}
            caught += bool(reasons & EXPECTED[kind])
    assert caught / len(files) >= 0.9, f"{kind}: caught {caught}/{len(files)}"


def test_clean_items_are_kept(outcome):
    labels, rows, dead, _ = outcome
    items = [(uri, row) for uri, lab in labels.items() if lab["kind"] in QUALITY_OK for row in rows.get(uri, [])]
    quality_rejected = [(os.path.basename(uri), row["clip_index"], [r["reason"] for r in row["reject_reasons"]])
                        for uri, row in items if any(r["stage"] == "filter" for r in row["reject_reasons"])]
    not_dead = [uri for uri, lab in labels.items() if lab["kind"] in QUALITY_OK and uri in dead]
    assert not not_dead
    assert len(quality_rejected) <= 0.05 * len(items), quality_rejected


def test_hard_cuts_are_split(outcome):
    labels, rows, _, _ = outcome
    for uri, lab in labels.items():
        if lab["media_type"] == "video" and lab["expected_shots"] and uri in rows:
            spans = sorted((r["start_frame"], r["end_frame"]) for r in rows[uri])
            assert len(spans) >= int(lab["expected_shots"]), (os.path.basename(uri), spans)
            assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in zip(spans, spans[1:]))


def _pairs(groups):
    import itertools
    return {tuple(sorted(p)) for members in groups.values() for p in itertools.combinations(sorted(members), 2)}


def test_planted_duplicates_found_and_one_kept_per_group(outcome):
    labels, rows, _, _ = outcome
    truth, found = collections.defaultdict(set), collections.defaultdict(set)
    by_id = {}
    for uri, items in rows.items():
        for row in items:
            by_id[row["item_id"]] = row
            if row["media_type"] == "image" and labels[uri]["dup_group"]:
                truth[labels[uri]["dup_group"]].add(row["item_id"])
            if row["media_type"] == "image" and row["duplicate_group"]:
                found[row["duplicate_group"]].add(row["item_id"])
    true_pairs, found_pairs = _pairs(truth), _pairs(found)
    hits = len(true_pairs & found_pairs)
    assert len(true_pairs) >= 30
    assert hits / len(found_pairs) >= 0.99, sorted(found_pairs - true_pairs)
    assert hits / len(true_pairs) >= 0.95, sorted(true_pairs - found_pairs)
    for group, members in found.items():
        survivors = [m for m in members if not any(r["stage"] == "dedupe" for r in by_id[m]["reject_reasons"])]
        assert len(survivors) == 1, (group, survivors)
