"""`framesift shards verify|inspect` and `framesift encode`'s argument errors, as users run them."""
import glob
import os
import shutil

from PIL import Image

from framesift.cli import build_parser, main
from tests.encode_fixtures import LOADER


def test_verify_passes_then_names_each_damage(encoded_shards, tmp_path, capsys):
    assert main(["shards", "verify", encoded_shards["out"]]) == 0
    assert "OK: 13 of 13 records decoded in 4 shard(s)" in capsys.readouterr().out
    copy = tmp_path / "copy"
    shutil.copytree(encoded_shards["out"], copy)
    shard = sorted(glob.glob(str(copy / "*.array_record-*")))[1]
    data = bytearray(open(shard, "rb").read())
    data[len(data) // 3] ^= 0xFF
    open(shard, "wb").write(bytes(data))
    os.remove(sorted(glob.glob(str(copy / "*.array_record-*")))[2])
    with open(copy / "dead_letter.jsonl", "a") as f:
        f.write('{"uri": "x", "stage": "s", "error_type": "E", "message": "m"}\n')
    assert main(["shards", "verify", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "array_record-00001-of-00004: size/sha256" in out
    assert "array_record-00002-of-00004: missing" in out
    assert "dead_letter.jsonl holds 3 dead letters, the shards counted 2" in out


def test_verify_refuses_a_foreign_schema(encoded_shards, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(encoded_shards["out"], copy)
    import json
    meta = json.loads((copy / "metadata.json").read_text())
    meta["latent_channels"] = 8
    (copy / "metadata.json").write_text(json.dumps(meta))
    assert main(["shards", "verify", str(copy)]) == 1
    assert "features.json is not this framesift's latent record" in capsys.readouterr().out


def test_inspect_prints_summary_and_writes_grid(encoded_shards, tmp_path, capsys):
    from framesift.commands import shards
    grid = tmp_path / "grid.png"
    parser, _ = build_parser()
    args, _ = parser.parse_known_args(["shards", "inspect", encoded_shards["out"], "--grid", str(grid),
                                       "--count", "6"])
    assert shards.run(args, [], loader=LOADER) == 0
    out = capsys.readouterr().out
    assert "13 examples in 4 shard(s)" in out and "'1x4x4': 12" in out and "UnidentifiedImageError" in out
    assert "note:" not in out                         # the recorded checkpoint decoded the latents
    with Image.open(grid) as im:
        assert im.size == (4 * 2 * 128, 2 * 128)      # 6 tiles, 4 per row, decoded | channels
    # without a loadable autoencoder: channels only, and it says why
    args, _ = parser.parse_known_args(["shards", "inspect", encoded_shards["out"], "--grid", str(grid),
                                       "--autoencoder", str(tmp_path / "none")])
    assert shards.run(args, [], loader=LOADER) == 0
    assert "not loadable" in capsys.readouterr().out


def test_encode_argument_errors_are_one_line(encoded_shards, tmp_path, capsys):
    assert main(["encode", "--approved", encoded_shards["approved"], "--output", str(tmp_path / "o")]) == 2
    assert "give --autoencoder" in capsys.readouterr().err
    assert main(["encode", "--approved", str(tmp_path / "missing.parquet"), "--autoencoder", "x",
                 "--output", str(tmp_path / "o")]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["shards", "verify", str(tmp_path)]) == 2
    assert "not a latent dataset" in capsys.readouterr().err
