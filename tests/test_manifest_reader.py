"""The one manifest reader and its one compatibility rule: older versions read (missing columns null, version 1's
duplicate_of recovered from the dedupe rejection), newer or unversioned ones refused, by every consumer alike."""
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from framesift.manifest_reader import (check_readable, iter_manifest_batches, read_manifest, read_manifest_file,
                                       read_row_group_slice)
from framesift.schemas import MANIFEST_SCHEMA, MANIFEST_VERSION, ManifestRow, Rejection, rows_to_table, table_to_rows


def _rows():
    dup = Rejection("dedupe", "dedupe", None, None, None, None, "duplicate")
    return [ManifestRow(item_id="a", source_uri="/x/a.jpg", media_type="image", duplicate_group="dup-a",
                        config_hash="h", scores={"sharpness": 0.2}),
            ManifestRow(item_id="b", source_uri="/x/b.jpg", media_type="image", duplicate_group="dup-a",
                        duplicate_of="a", keep=False, reject_reasons=[dup], config_hash="h")]


def _version_1(table: pa.Table) -> pa.Table:
    """A manifest as framesift wrote it before `duplicate_of` existed (manifest version 1)."""
    recs = table.to_pylist()
    for r in recs:
        for rej in r["reject_reasons"]:
            if rej["stage"] == "dedupe":
                rej["score_key"], rej["op"] = f"duplicate_of:{r['duplicate_of']}", "max"
        del r["duplicate_of"]
    schema = pa.schema([f for f in MANIFEST_SCHEMA if f.name != "duplicate_of"],
                       metadata={"framesift.manifest.version": "1"})
    return pa.Table.from_pylist(recs, schema=schema)


def _write(tmp_path, table, name="part-0.parquet") -> str:
    folder = tmp_path / "manifest"
    folder.mkdir(exist_ok=True)
    pq.write_table(table, folder / name)
    return str(folder / name)


def test_current_version_round_trips(tmp_path):
    path = _write(tmp_path, rows_to_table(_rows()))
    assert table_to_rows(read_manifest_file(path)) == _rows()
    assert table_to_rows(read_manifest(str(tmp_path))) == _rows()


def test_version_1_reads_with_duplicate_of_recovered(tmp_path):
    path = _write(tmp_path, _version_1(rows_to_table(_rows())))
    assert check_readable(pq.read_schema(path)) == 1
    rows = table_to_rows(read_manifest_file(path))
    assert [r.duplicate_of for r in rows] == [None, "a"]
    # a subset of columns, batch by batch (the UI's and export's way) applies the same upgrade
    batches = list(iter_manifest_batches(path, batch_size=1, columns=["item_id", "duplicate_of"]))
    assert [b.column("duplicate_of")[0].as_py() for b in batches] == [None, "a"]
    assert all(b.schema.names == ["item_id", "duplicate_of"] for b in batches)
    assert read_row_group_slice(path, 1).column("duplicate_of")[0].as_py() == "a"
    # through an open file too (pipelines read gs:// bytes and hand them over)
    with open(path, "rb") as f:
        assert read_manifest_file(io.BytesIO(f.read())).column("duplicate_of").to_pylist() == [None, "a"]


def test_missing_nullable_column_reads_as_null(tmp_path):
    table = rows_to_table(_rows()).drop_columns(["caption", "spectral_profile"])
    path = _write(tmp_path, table)
    out = read_manifest_file(path)
    assert out.schema.names == MANIFEST_SCHEMA.names and out.column("caption").null_count == 2


@pytest.mark.parametrize("version", [None, "0", str(MANIFEST_VERSION + 1), "x"])
def test_unreadable_versions_are_refused(tmp_path, version):
    table = rows_to_table(_rows())
    table = table.replace_schema_metadata({} if version is None else {"framesift.manifest.version": version})
    path = _write(tmp_path, table)
    with pytest.raises(ValueError, match="manifest version"):
        read_manifest_file(path)


def test_required_columns_must_be_there(tmp_path):
    path = _write(tmp_path, rows_to_table(_rows()).drop_columns(["keep"]))
    with pytest.raises(ValueError, match="lacks columns"):
        read_manifest_file(path)


def test_every_consumer_opens_a_version_1_run(tmp_path):
    """rethreshold (through the pipelines' reader), the UI index and export all read the old run."""
    from curation_ui.export import export_approved
    from curation_ui.manifest_index import ensure_index
    from curation_ui.store import DecisionStore
    from pipelines.curate.outputs import read_manifest as pipeline_read
    _write(tmp_path, _version_1(rows_to_table(_rows())))
    assert pipeline_read(str(tmp_path)).column("duplicate_of").to_pylist() == [None, "a"]
    _, meta = ensure_index(str(tmp_path))
    assert meta["rows"] == 2
    stats = export_approved(str(tmp_path), DecisionStore("sqlite://"), str(tmp_path / "approved.parquet"))
    assert stats["exported"] == 1
    assert pq.read_table(tmp_path / "approved.parquet").column("item_id").to_pylist() == ["a"]
