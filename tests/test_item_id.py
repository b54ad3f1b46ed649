"""Item ids name an input by its path below the run's input root (plus its content), never by where the corpus or
the run directory lies: the duplicate tie-break ends on item_id, so the same corpus curated in two places must
keep the same members."""
import shutil

import numpy as np
import skimage.data

from framesift.config import load_config
from pipelines.curate.decide import input_key, item_id
from pipelines.curate.inputs import input_root
from pipelines.curate.job import run_curate
from pipelines.curate.outputs import read_manifest
from tests.media_fixtures import jpeg_bytes

IN_PROCESS = ["--direct_running_mode=in_memory"]
DECISION_COLUMNS = ("item_id", "keep", "duplicate_group", "duplicate_of", "reject_reasons", "thumbnail_path")


def test_input_root_is_the_deepest_directory_holding_every_input():
    assert input_root(["/data/a/**"], []) == "/data/a"
    assert input_root(["/data/a/**", "/data/b/*.jpg"], []) == "/data"
    assert input_root(["/data/a/x.jpg"], ["/data/a/sub/y.png"]) == "/data/a"
    assert input_root(["gs://bucket/raw/**"], []) == "gs://bucket/raw"
    assert input_root(["gs://a/**", "gs://b/**"], []) == ""          # only the scheme in common
    assert input_root(["gs://a/**", "/data/**"], []) == ""
    assert input_key("/data/a/x.jpg", "/data") == "a/x.jpg"
    assert input_key("/elsewhere/x.jpg", "/data") == "/elsewhere/x.jpg"
    # two inputs with the same relative path under different roots keep apart; so do copies with other content
    root = input_root(["/d/one/**", "/d/two/**"], [])
    assert item_id(input_key("/d/one/x.jpg", root), "s") != item_id(input_key("/d/two/x.jpg", root), "s")
    assert item_id("x.jpg", "s1") != item_id("x.jpg", "s2")


def _decisions(run_dir, corpus_dir):
    table = read_manifest(str(run_dir)).to_pylist()
    return {row["source_uri"][len(str(corpus_dir)) + 1:]: {c: row[c] for c in DECISION_COLUMNS} for row in table}


def test_the_same_corpus_in_two_places_gets_the_same_ids_and_decisions(tmp_path):
    # byte-identical copies tie on every quality score, so item_id alone picks which one is kept: with ids from
    # absolute paths, each of the 6 groups had an even chance to keep another member in the second place
    pictures = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket(),
                skimage.data.immunohistochemistry(), skimage.data.camera()]
    first = tmp_path / "first" / "corpus"
    for i, rgb in enumerate(pictures):
        data = jpeg_bytes(np.ascontiguousarray(rgb[:256, :320]))
        for copy in ("a", "b", "c"):
            (first / copy).mkdir(parents=True, exist_ok=True)
            (first / copy / f"{i}.jpg").write_bytes(data)
    second = tmp_path / "second" / "deeper" / "corpus"
    shutil.copytree(first, second)
    cfg = load_config("curate", overrides=["scoring.enabled=false"])
    run_curate(cfg, [str(first)], str(tmp_path / "runs" / "one"), beam_args=IN_PROCESS)
    run_curate(cfg, [str(second)], str(second / "run_inside"), beam_args=IN_PROCESS)
    one, two = _decisions(tmp_path / "runs" / "one", first), _decisions(second / "run_inside", second)
    assert len(one) == 18 and one == two
    assert sum(d["keep"] for d in one.values()) == 6      # one kept member per group of copies


def test_inputs_whose_names_look_like_globs_are_taken_literally(tmp_path):
    """`--input "Summer [2019]"` names that directory; as a glob it would match "Summer 1" instead."""
    from pipelines.curate.inputs import matched_uris, resolve_patterns
    album, lookalike = tmp_path / "Summer [2019]", tmp_path / "Summer 1"
    for d in (album, lookalike):
        d.mkdir()
        (d / "a.jpg").write_bytes(b"x")
    odd_file = tmp_path / "glob[1]*?.jpg"
    odd_file.write_bytes(b"x")
    patterns = resolve_patterns([str(album), str(odd_file)])
    assert matched_uris(patterns, []) == {str(album / "a.jpg"), str(odd_file)}
    assert input_root(patterns[:1], []) == str(album)
    real_glob = str(tmp_path / "Summer */a.jpg")
    assert resolve_patterns([real_glob]) == [real_glob]          # a real glob stays one


def test_broken_symlinks_and_listed_directories_are_accounted_for(tmp_path):
    """Beam's listing skips symlinks that point nowhere or loop; a directory in an --input-list is its files. Each
    input ends as an item or a dead letter, and the report still reconciles."""
    import os
    from pipelines.curate.outputs import read_dead_letters
    corpus = tmp_path / "corpus"
    (corpus / "listed").mkdir(parents=True)
    (corpus / "a.jpg").write_bytes(jpeg_bytes(skimage.data.astronaut()[:256, :256]))
    (corpus / "listed" / "b.jpg").write_bytes(jpeg_bytes(skimage.data.coffee()[:256, :256]))
    os.symlink("nowhere.jpg", corpus / "dangling.jpg")
    os.symlink("loop_b.jpg", corpus / "loop_a.jpg")
    os.symlink("loop_a.jpg", corpus / "loop_b.jpg")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{corpus / 'listed'}\n{corpus / 'missing.jpg'}\n")
    cfg = load_config("curate", overrides=["scoring.enabled=false"])
    report = run_curate(cfg, [str(corpus / "*.jpg")], str(tmp_path / "run"), input_lists=[str(listing)],
                        beam_args=IN_PROCESS)
    dead = {os.path.basename(d.uri): d.error_type for d in read_dead_letters(str(tmp_path / "run"))}
    assert dead == {"dangling.jpg": "FileNotFoundError", "missing.jpg": "FileNotFoundError",
                    "loop_a.jpg": "OSError", "loop_b.jpg": "OSError"}
    items = {os.path.basename(r["source_uri"]) for r in read_manifest(str(tmp_path / "run")).to_pylist()}
    assert items == {"a.jpg", "b.jpg"}
    assert report["reconciled"] and report["inputs"]["expected"] == 6


def test_a_directory_that_cannot_be_listed_is_named(tmp_path, monkeypatch, caplog):
    """Beam's listing (os.walk) skips a directory it may not read, and every file in it, without a word (root reads
    anything, so the refusal is simulated)."""
    import os
    from apache_beam.io.filesystems import FileSystems
    from pipelines.curate.inputs import broken_links, resolve_patterns
    (tmp_path / "open").mkdir()
    (tmp_path / "locked").mkdir()
    (tmp_path / "open" / "a.jpg").write_bytes(b"x")
    (tmp_path / "locked" / "b.jpg").write_bytes(b"x")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)
    monkeypatch.setattr(os, "scandir", scandir)
    patterns = resolve_patterns([str(tmp_path)])
    assert [m.path for m in FileSystems.match(patterns)[0].metadata_list] == [str(tmp_path / "open" / "a.jpg")]
    with caplog.at_level("WARNING"):
        assert broken_links(patterns) == []
    assert f"cannot list {tmp_path / 'locked'} (Permission denied): its files are not curated" in caplog.text
