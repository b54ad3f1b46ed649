"""The curate job: transforms under TestPipeline, and whole runs on small real-content inputs."""
import json
import os

import apache_beam as beam
import numpy as np
import pytest
import skimage.data
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from PIL import Image, ImageFilter

from framesift.config import config_hash, load_config
from pipelines.curate.job import run_curate
from pipelines.curate.outputs import read_dead_letters, read_manifest
from pipelines.curate.pipeline import CurateImages, RouteByExtension
from tests.media_fixtures import jpeg_bytes, two_shot_video

IN_PROCESS = ["--direct_running_mode=in_memory"]


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    astro = skimage.data.astronaut()
    files = {
        "good/astronaut.jpg": jpeg_bytes(astro),
        "good/coffee.jpg": jpeg_bytes(skimage.data.coffee()),
        "bad/blurred.jpg": jpeg_bytes(np.asarray(Image.fromarray(astro).filter(ImageFilter.GaussianBlur(6)))),
        "bad/tiny.jpg": jpeg_bytes(astro[:40, :30]),
        "broken/zero.jpg": b"",
        "broken/truncated.jpg": jpeg_bytes(astro)[:5000],
        "broken/html.png": b"<html><body>not a png</body></html>",
        "broken/notes.txt": b"not media at all",
        "broken/empty.mp4": b"",
        "broken/garbage.mp4": bytes(range(256)) * 40,
    }
    for rel, data in files.items():
        _write(root / rel, data)
    two_shot_video(root / "good" / "two_shots.mp4")
    with open(root / "sidecar.csv", "w") as f:
        f.write("file,caption,label\ngood/astronaut.jpg,an astronaut,person\n")
    return root


def test_route_by_extension():
    cfg = load_config("curate")
    with TestPipeline(runner="DirectRunner") as p:
        imgs, vids, other = (p | beam.Create(["/a/x.JPG", "/a/y.mp4", "/a/z.txt", "/a/w.webp"])
                             | RouteByExtension(cfg, "h"))
        assert_that(imgs, equal_to(["/a/x.JPG", "/a/w.webp"]), label="images")
        assert_that(vids, equal_to(["/a/y.mp4"]), label="videos")
        assert_that(other | beam.Map(lambda s: (json.loads(s)["uri"], json.loads(s)["error_type"])),
                    equal_to([("/a/z.txt", "UnsupportedFormat")]), label="other")


def test_curate_images_transform_rows_and_dead_letters(corpus, tmp_path):
    cfg = load_config("curate")
    uris = [str(corpus / "good/astronaut.jpg"), str(corpus / "bad/blurred.jpg"), str(corpus / "broken/zero.jpg")]
    with TestPipeline(runner="DirectRunner") as p:
        side = beam.pvalue.AsDict(p | "side" >> beam.Create([("good/astronaut.jpg", {"caption": "an astronaut"})]))
        rows, _, dead = p | beam.Create(uris) | CurateImages(cfg, str(tmp_path), "h", side)
        assert_that(rows | beam.Map(lambda r: (os.path.basename(r["source_uri"]), r["keep"], r["caption"],
                                               [x["reason"] for x in r["reject_reasons"]])),
                    equal_to([("astronaut.jpg", True, "an astronaut", []),
                              ("blurred.jpg", False, None,
                               ["too_blurry", "too_blurry", "soft"])]), label="rows")
        assert_that(dead | beam.Map(lambda s: (os.path.basename(json.loads(s)["uri"]), json.loads(s)["stage"],
                                               json.loads(s)["error_type"], json.loads(s)["message"])),
                    equal_to([("zero.jpg", "analyze_image", "ValueError", "empty file (0 bytes)")]), label="dead")


@pytest.fixture(scope="module")
def run(corpus, tmp_path_factory):
    from tests.scoring_fixtures import fast_curate_config
    cfg = fast_curate_config(tmp_path_factory.mktemp("clip_configs"))
    cfg.ingest.sidecars = [str(corpus / "sidecar.csv")]
    out = tmp_path_factory.mktemp("runs") / "run1"
    report = run_curate(cfg, [str(corpus)], str(out), beam_args=IN_PROCESS)
    return cfg, out, report


def test_every_input_is_accounted_for(run, corpus):
    _, out, report = run
    n_files = sum(len(files) for _, _, files in os.walk(corpus))
    assert report["reconciled"] is True
    assert report["inputs"]["seen"] == report["inputs"]["expected"] == n_files == 12
    manifest, dead = read_manifest(str(out)), read_dead_letters(str(out))
    sources = set(manifest.column("source_uri").to_pylist())
    dead_uris = {d.uri for d in dead}
    assert sources | dead_uris == {str(p) for p in corpus.rglob("*") if p.is_file()}
    assert not sources & dead_uris
    by_name = {os.path.basename(d.uri): d for d in dead}
    assert by_name["notes.txt"].error_type == "UnsupportedFormat"
    assert by_name["sidecar.csv"].error_type == "UnsupportedFormat"
    assert by_name["truncated.jpg"].error_type == "OSError" and "truncated" in by_name["truncated.jpg"].message
    assert by_name["html.png"].error_type == "UnidentifiedImageError"
    assert by_name["empty.mp4"].stage == "split_video" and by_name["garbage.mp4"].stage == "split_video"


def test_manifest_decisions_and_clips(run):
    _, out, report = run
    rows = {os.path.basename(r["source_uri"]) + str(r["clip_index"]): r for r in read_manifest(str(out)).to_pylist()}
    assert rows["astronaut.jpgNone"]["keep"] and rows["astronaut.jpgNone"]["caption"] == "an astronaut"
    assert dict(rows["astronaut.jpgNone"]["metadata"]) == {"label": "person"}
    assert [r["reason"] for r in rows["tiny.jpgNone"]["reject_reasons"]] == ["too_small"]
    # a blurred copy of the astronaut is both too soft and a near duplicate of the (kept) original
    blurred = rows["blurred.jpgNone"]["reject_reasons"]
    assert [(r["score_key"], r["reason"]) for r in blurred][:3] == [
        ("sharpness", "too_blurry"), ("sharpness_fine", "too_blurry"), ("spectral_hf_analysis", "soft")]
    assert blurred[3]["reason"] == "duplicate"
    assert rows["blurred.jpgNone"]["duplicate_of"] == rows["astronaut.jpgNone"]["item_id"]
    assert (blurred[3]["score_key"], blurred[3]["op"]) == (None, None)
    assert rows["blurred.jpgNone"]["duplicate_group"] == rows["astronaut.jpgNone"]["duplicate_group"] is not None
    assert len(rows["astronaut.jpgNone"]["spectral_profile"]) == 32
    # the two-shot video was split at its hard cut
    assert (rows["two_shots.mp40"]["start_frame"], rows["two_shots.mp40"]["end_frame"]) == (0, 30)
    assert (rows["two_shots.mp41"]["start_frame"], rows["two_shots.mp41"]["end_frame"]) == (30, 60)
    assert rows["two_shots.mp41"]["start_s"] == pytest.approx(1.2)
    for r in rows.values():
        assert os.path.exists(os.path.join(out, r["thumbnail_path"]))
        assert set(dict(r["scores"])) >= {"sharpness", "luma_mean", "entropy", "short_side"}
        assert r["config_hash"] == report["config_hash"]
    assert os.path.exists(os.path.join(out, rows["two_shots.mp40"]["preview_path"]))


def test_report_files_and_metrics(run):
    _, out, report = run
    on_disk = json.loads((out / "report.json").read_text())
    assert on_disk["items"] == report["items"]
    html = (out / "report.html").read_text()
    assert "sharpness" in html and "<svg" in html
    assert report["metrics"]["inputs"] == report["inputs"]["seen"]
    assert report["metrics"]["items_kept"] == report["items"]["kept"]
    assert (out / "config.yaml").exists()


def test_rerun_refuses_and_overwrite_gives_same_manifest(run, corpus):
    cfg, out, _ = run
    with pytest.raises(FileExistsError, match="finished run"):
        run_curate(cfg, [str(corpus)], str(out), beam_args=IN_PROCESS)
    first = read_manifest(str(out))
    run_curate(cfg, [str(corpus)], str(out), beam_args=IN_PROCESS, overwrite=True)
    assert read_manifest(str(out)).equals(first)


def test_dead_letter_file_reruns_just_the_failures(run, tmp_path):
    cfg, out, _ = run
    dead_files = sorted((out / "dead_letter").glob("*.jsonl"))
    report = run_curate(cfg, [], str(tmp_path / "rerun"), input_lists=[str(f) for f in dead_files],
                        beam_args=IN_PROCESS)
    assert report["inputs"]["seen"] == report["inputs"]["dead_lettered"] == len(read_dead_letters(str(out)))


def test_rethreshold_changes_decisions_without_decoding(run, tmp_path, monkeypatch):
    import shutil
    from pipelines.curate import item_work
    from pipelines.curate.rethreshold import rethreshold
    _, out, _ = run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = {r["item_id"]: r for r in read_manifest(str(copy)).to_pylist()}
    # any decode would fail loudly: rethreshold must work from recorded scores alone
    monkeypatch.setattr(item_work, "decode_image", None)
    report = rethreshold(str(copy), ["filters.sharpness.min=1000", "filters.resolution.min_side=16"])
    after = {r["item_id"]: r for r in read_manifest(str(copy)).to_pylist()}
    assert set(after) == set(before)
    for iid, row in after.items():
        assert dict(row["scores"]) == dict(before[iid]["scores"])
        assert "too_blurry" in [r["reason"] for r in row["reject_reasons"]]
        assert "too_small" not in [r["reason"] for r in row["reject_reasons"]]
    assert report["items"]["kept"] == 0
    assert report["rethreshold"]["rows_changed"] > 0
    assert "min: 1000" in (copy / "config.yaml").read_text()
    assert report["config_hash"] == after[next(iter(after))]["config_hash"] != before[next(iter(before))]["config_hash"]


def test_metrics_count_dead_letters_per_error_type(run):
    _, _, report = run
    metrics = report["metrics"]
    for error_type, n in report["dead_letter"]["inputs_by_error_type"].items():
        assert metrics[f"dead_letter_{error_type}"] == n


def test_model_scores_and_embeddings_are_written(run):
    import pyarrow.parquet as pq
    from framesift.schemas import CAPTION_EMBEDDING, embeddings_matrix
    _, out, report = run
    manifest = read_manifest(str(out)).to_pylist()
    embeddings = pq.read_table(sorted((out / "embeddings").glob("*.parquet")))
    ids, matrix = embeddings_matrix(embeddings)
    assert sorted(ids) == sorted(r["item_id"] for r in manifest)
    assert matrix.shape[1] == 32 and np.allclose(np.linalg.norm(matrix, axis=1), 1, atol=1e-4)
    # captioned items also have their caption's text embedding; its cosine with the picture is caption_similarity
    caption_ids, captions = embeddings_matrix(embeddings, CAPTION_EMBEDDING)
    by_id = {r["item_id"]: r for r in manifest}
    assert caption_ids and sorted(caption_ids) == sorted(i for i, r in by_id.items() if r["caption"])
    picture = dict(zip(ids, matrix))
    for item_id, vector in zip(caption_ids, captions):
        assert dict(by_id[item_id]["scores"])["caption_similarity"] == pytest.approx(
            float(vector @ picture[item_id]), abs=1e-4)
    assert set(embeddings.column("untrained").to_pylist()) == {True}
    for r in manifest:     # the default NSFW head is open_nsfw's trained model, from inside its wheel
        models = dict(r["models"])
        assert models.pop("nsfw").startswith("open_nsfw:open-nsfw.onnx@")
        assert models == {"clip": "framesift-tiny-clip/untrained", "aesthetic": "laion_mlp/untrained"}
        assert {"aesthetic", "nsfw"} <= set(dict(r["scores"])) and 0 <= dict(r["scores"])["nsfw"] <= 1
    captioned = [r for r in manifest if r["caption"]]
    assert captioned and all("caption_similarity" in dict(r["scores"]) for r in captioned)
    assert report["untrained_model_scores"] is True
    assert "UNTRAINED weights" in (out / "report.html").read_text()


def test_missing_weights_stop_the_job_before_it_starts(corpus, tmp_path):
    from pipelines.curate.job import InputError
    cfg = load_config("curate")
    cfg.scoring.pretrained = str(tmp_path / "no-such-checkpoint.pt")
    with pytest.raises(InputError, match="no-such-checkpoint"):
        run_curate(cfg, [str(corpus)], str(tmp_path / "run"), beam_args=IN_PROCESS)
    assert not (tmp_path / "run" / "manifest").exists()


def test_dedupe_against_an_earlier_run(run, corpus, tmp_path):
    cfg, out, _ = run
    assert list((out / "dedupe_index").glob("*.parquet"))
    cfg = load_config("curate", overrides=[f"scoring.clip_model={cfg.scoring.clip_model}",
                                            f"scoring.model_config_dir={cfg.scoring.model_config_dir}"])
    cfg.dedupe.against = [str(out)]
    run_curate(cfg, [str(corpus / "good")], str(tmp_path / "again"), beam_args=IN_PROCESS)
    earlier = {r["item_id"] for r in read_manifest(str(out)).to_pylist() if r["keep"]}
    for r in read_manifest(str(tmp_path / "again")).to_pylist():
        reasons = [x for x in r["reject_reasons"] if x["stage"] == "dedupe"]
        assert reasons and r["duplicate_of"] in earlier, r["source_uri"]


def test_scoring_and_dedupe_can_be_switched_off(corpus, tmp_path):
    cfg = load_config("curate", overrides=["scoring.enabled=false", "dedupe.exact=false",
                                           "dedupe.near_max_distance=-1"])
    report = run_curate(cfg, [str(corpus / "good"), str(corpus / "bad")], str(tmp_path / "plain"),
                        beam_args=IN_PROCESS)
    rows = read_manifest(str(tmp_path / "plain")).to_pylist()
    assert report["reconciled"] and len(rows) == 6
    assert not (tmp_path / "plain" / "embeddings").exists() and not (tmp_path / "plain" / "dedupe_index").exists()
    assert all(r["duplicate_group"] is None and not dict(r["models"]) for r in rows)


def test_report_counts_a_video_whose_every_clip_failed_as_dead():
    from framesift.schemas import DeadLetter, MANIFEST_SCHEMA
    from pipelines.curate.report import build_report
    dead = [DeadLetter("/v.mp4", "analyze_clip", "InvalidDataError", "bad", detail=f"clip {i}") for i in range(2)]
    report = build_report(MANIFEST_SCHEMA.empty_table(), dead, 1, "h", "/run", ingested=1)
    assert report["inputs"]["seen"] == report["inputs"]["dead_lettered"] == 1
    assert report["dead_letter"]["inputs_by_error_type"] == {"InvalidDataError": 1}
    assert report["reconciled"]
    assert not build_report(MANIFEST_SCHEMA.empty_table(), dead, 2, "h", "/run")["reconciled"]


def test_run_dir_inside_the_input_dir_is_not_ingested(corpus, tmp_path):
    import shutil
    data = tmp_path / "data"
    shutil.copytree(corpus / "good", data)
    cfg = load_config("curate", overrides=["scoring.enabled=false"])
    first = run_curate(cfg, [str(data)], str(data / "run1"), beam_args=IN_PROCESS)
    second = run_curate(cfg, [str(data)], str(data / "run2"), beam_args=IN_PROCESS)
    for report in (first, second):
        assert report["reconciled"] and report["inputs"]["seen"] == 3, report["inputs"]


def test_bad_sidecar_fails_before_the_run_starts(corpus, tmp_path):
    from pipelines.curate.job import InputError
    bad = tmp_path / "bad.csv"
    bad.write_text("caption,label\nno key column,1\n")
    cfg = load_config("curate", overrides=["scoring.enabled=false"])
    cfg.ingest.sidecars = [str(bad)]
    with pytest.raises(InputError, match="no key column"):
        run_curate(cfg, [str(corpus / "good")], str(tmp_path / "run"), beam_args=IN_PROCESS)
    assert not (tmp_path / "run").exists()


def test_remote_runner_refuses_local_paths(corpus, tmp_path):
    from pipelines.curate.job import InputError
    cfg = load_config("curate", overrides=["scoring.enabled=false"])
    with pytest.raises(InputError, match="remote runner"):
        run_curate(cfg, [str(corpus / "good")], str(tmp_path / "run"),
                   beam_args=["--runner=DataflowRunner", "--project=p", "--region=r", "--temp_location=gs://b/t"])


def test_rethreshold_refuses_non_threshold_overrides_and_changes_nothing(run, tmp_path):
    import shutil
    from framesift.config import ConfigError
    from pipelines.curate.rethreshold import rethreshold
    _, out, _ = run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = {p.name: p.read_bytes() for p in (copy / "manifest").glob("*.parquet")}
    with pytest.raises(ConfigError, match="filters.\\* only"):
        rethreshold(str(copy), ["filters.sharpness.min=1", "shots.max_clip_s=2"])
    assert {p.name: p.read_bytes() for p in (copy / "manifest").glob("*.parquet")} == before


def test_overwrite_clears_rethreshold_history(run, corpus, tmp_path):
    import shutil
    from pipelines.curate.rethreshold import rethreshold
    cfg, out, _ = run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    rethreshold(str(copy), ["filters.sharpness.min=0.5"])
    assert (copy / "rethreshold_log.jsonl").exists()
    run_curate(cfg, [str(corpus / "good")], str(copy), beam_args=IN_PROCESS, overwrite=True)
    assert not (copy / "rethreshold_log.jsonl").exists()


def test_item_whose_model_batch_failed_is_rejected_and_dead_lettered():
    from framesift.schemas import ManifestRow
    from pipelines.curate.analyze import MergeModelScores
    cfg = load_config("curate")
    fn = MergeModelScores(cfg, "h")
    fn.setup()
    record = ManifestRow(item_id="i1", source_uri="/x.jpg", media_type="image", scores={"sharpness": 1.0},
                         config_hash="h").to_record()
    out = list(fn.process(("i1", {"row": [record], "model": [], "failure": ["RuntimeError: out of memory"]})))
    dead = [o.value for o in out if isinstance(o, beam.pvalue.TaggedOutput)]
    rows = [o for o in out if not isinstance(o, beam.pvalue.TaggedOutput)]
    assert json.loads(dead[0])["stage"] == "score_models" and json.loads(dead[0])["error_type"] == "RuntimeError"
    assert rows[0]["keep"] is False
    assert [r["reason"] for r in rows[0]["reject_reasons"]] == ["model_failed"]


def test_rethreshold_picks_a_new_representative_when_the_kept_one_now_fails(run, tmp_path):
    import shutil
    from pipelines.curate.rethreshold import rethreshold
    _, out, _ = run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    rows = {os.path.basename(r["source_uri"]): r for r in read_manifest(str(copy)).to_pylist()}
    astro, blurred = rows["astronaut.jpg"], rows["blurred.jpg"]
    assert astro["keep"] and astro["duplicate_group"] == blurred["duplicate_group"]
    # blur spreads the astronaut's blown highlights: a bright-fraction bar between the two fails only the original;
    # with the blur checks off, the blurred copy is the one member that passes, so it must now be the kept one
    a, b = dict(astro["scores"])["bright_fraction"], dict(blurred["scores"])["bright_fraction"]
    assert a > b
    rethreshold(str(copy), [f"filters.exposure.max_bright_fraction={(a + b) / 2}", "filters.sharpness.min=0",
                            "filters.sharpness.min_fine=null",
                            "filters.spectral.min_hf=null"])
    after = {os.path.basename(r["source_uri"]): r for r in read_manifest(str(copy)).to_pylist()}
    assert after["blurred.jpg"]["keep"], after["blurred.jpg"]["reject_reasons"]
    assert [r["reason"] for r in after["astronaut.jpg"]["reject_reasons"]] == ["blown_highlights", "duplicate"]
    assert after["astronaut.jpg"]["duplicate_of"] == blurred["item_id"] and after["blurred.jpg"]["duplicate_of"] is None


@pytest.mark.parametrize("beam_args", [IN_PROCESS, ["--direct_running_mode=multi_threading", "--direct_num_workers=2"]],
                         ids=["in_memory", "threads"])
def test_a_decoder_crash_is_dead_lettered_not_fatal(corpus, tmp_path, monkeypatch, beam_args):
    """A segfault or abort in a native decoder on one video or image must cost that input only: decoding runs in a
    helper process (pipelines/media/helper_process.py), which is restarted for the next input. Also with worker
    threads (the default for big runs whose work is all in helpers), which share helpers started ahead."""
    import shutil
    from pipelines.curate import item_analyzer
    from tests.helper_targets import CrashingAnalyzer
    data = tmp_path / "data"
    data.mkdir()
    for name in ("fine.mp4", "crash.mp4", "after.mp4"):
        shutil.copy(corpus / "good" / "two_shots.mp4", data / name)
    for name in ("fine.jpg", "crash.jpg"):
        shutil.copy(corpus / "good" / "astronaut.jpg", data / name)
    # the helper imports CrashingAnalyzer by name: it inherits nothing from this process
    monkeypatch.setattr(item_analyzer, "ItemAnalyzer", CrashingAnalyzer)
    cfg = load_config("curate", overrides=["scoring.enabled=false", "dedupe.exact=false",
                                           "dedupe.near_max_distance=-1"])
    report = run_curate(cfg, [str(data)], str(tmp_path / "run"), beam_args=beam_args)
    dead = {os.path.basename(d.uri): d for d in read_dead_letters(str(tmp_path / "run"))}
    assert set(dead) == {"crash.mp4", "crash.jpg"}
    assert dead["crash.mp4"].stage == "split_video" and dead["crash.jpg"].stage == "analyze_image"
    for d in dead.values():
        assert d.error_type == "HelperCrashed" and "SIGABRT" in d.message, d
    assert report["reconciled"] and report["inputs"]["seen"] == 5 and report["inputs"]["with_items"] == 3
