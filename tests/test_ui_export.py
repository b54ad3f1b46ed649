"""Export policies: which rows are approved, and the provenance each carries; the `framesift export` command."""
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from curation_ui.export import POLICIES, export_approved
from curation_ui.store import DecisionStore, default_db_url
from framesift.schemas import MANIFEST_SCHEMA, PROVENANCE_SCHEMA
from tests.ui_fixtures import make_run


@pytest.fixture
def reviewed(tmp_path):
    """img000 (pipeline reject) approved, img001 (kept) rejected, img003 (kept) flagged, img004 (reject) skipped,
    group grpA's representative changed to img005 by a reviewer."""
    run = make_run(tmp_path / "run", n_images=12)
    store = DecisionStore(default_db_url(run))
    store.decide("img000", "approve", "alice")
    store.decide("img001", "reject", "bob", "watermark_or_text")
    store.decide("img003", "flag", "alice")
    store.decide("img004", "skip", "bob")
    store.set_representative("grpA", "img005", "carol")
    return run, store


def _export(run, store, tmp_path, policy):
    out = tmp_path / f"{policy}.parquet"
    stats = export_approved(run, store, str(out), policy)
    table = pq.read_table(out)
    return stats, {r["item_id"]: r for r in table.to_pylist()}, table


def test_default_policy_pipeline_minus_rejects_plus_approvals(reviewed, tmp_path):
    run, store = reviewed
    stats, rows, table = _export(run, store, tmp_path, "pipeline_then_human")
    assert table.schema.names == MANIFEST_SCHEMA.names + PROVENANCE_SCHEMA.names
    assert table.schema.metadata[b"framesift.export.policy"] == b"pipeline_then_human"
    pipeline_kept = ({f"img{i:03d}" for i in range(12) if i % 4 != 0} | {"clip000"}) - {"img006"}  # 006: dedupe
    # + img000 approved; - img001 rejected (and it was grpA's pipeline pick); - img009 (grpA, not the chosen rep)
    assert set(rows) == (pipeline_kept | {"img000"}) - {"img001", "img009"}
    assert rows["img000"]["decision"] == "approve" and rows["img000"]["source"] == "human"
    assert rows["img000"]["reviewer"] == "alice" and rows["img000"]["decided_at"]
    assert rows["img005"]["decision"] == "representative" and rows["img005"]["reviewer"] == "carol"
    assert rows["img003"]["decision"] == "keep" and rows["img003"]["source"] == "pipeline"
    assert rows["img003"]["human_decision"] == "flag" and rows["img003"]["reviewer"] is None
    assert "img004" not in rows and "img006" not in rows        # skip leaves the pipeline's reject standing
    assert stats["exported"] == len(rows) and stats["rows"] == 13


def test_strict_policy_also_drops_flagged(reviewed, tmp_path):
    run, store = reviewed
    _, default_rows, _ = _export(run, store, tmp_path, "pipeline_then_human")
    _, strict_rows, _ = _export(run, store, tmp_path, "pipeline_then_human_strict")
    assert set(default_rows) - set(strict_rows) == {"img003"}


def test_human_only_policy(reviewed, tmp_path):
    run, store = reviewed
    _, rows, _ = _export(run, store, tmp_path, "human_only")
    assert set(rows) == {"img000", "img005"}
    assert {r["source"] for r in rows.values()} == {"human"}


def test_unknown_policy_is_refused(reviewed, tmp_path):
    run, store = reviewed
    with pytest.raises(ValueError, match="unknown export policy"):
        export_approved(run, store, str(tmp_path / "x.parquet"), "everything")
    assert set(POLICIES) == {"pipeline_then_human", "pipeline_then_human_strict", "human_only"}


def test_export_command(reviewed, tmp_path):
    run, store = reviewed
    out = tmp_path / "approved.parquet"
    proc = subprocess.run([sys.executable, "-m", "framesift.cli", "export", "--run", run, "--output", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "exported" in proc.stdout and "approve" in proc.stdout
    assert pq.read_table(out).num_rows == 8
    bad = subprocess.run([sys.executable, "-m", "framesift.cli", "export", "--run", str(tmp_path / "nope"),
                          "--output", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "not a curate run" in bad.stderr and "Traceback" not in bad.stderr


def test_a_chosen_representative_never_readmits_eval_leakage(tmp_path):
    from framesift.schemas import Rejection, rows_to_table, table_to_rows
    make_run(tmp_path / "run", n_images=12)
    path = tmp_path / "run" / "manifest" / "part-00000-of-00001.parquet"
    rows = table_to_rows(pq.read_table(path))
    for r in rows:
        if r.item_id == "img009":       # grpA member that duplicates an eval image
            r.keep, r.duplicate_of = False, "eval"
            r.reject_reasons.append(Rejection("dedupe", "dedupe", None, None, None, None, "eval_leakage"))
    pq.write_table(rows_to_table(rows), path)
    store = DecisionStore(default_db_url(str(tmp_path / "run")))
    store.set_representative("grpA", "img009", "carol")
    _, chosen, _ = _export(str(tmp_path / "run"), store, tmp_path, "pipeline_then_human")
    assert "img009" not in chosen
    store.decide("img009", "approve", "carol")                   # an explicit approve is a deliberate override
    _, approved, _ = _export(str(tmp_path / "run"), store, tmp_path, "pipeline_then_human")
    assert approved["img009"]["decision"] == "approve"
