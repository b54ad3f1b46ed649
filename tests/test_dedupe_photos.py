"""Real photos: re-shared copies (resized, JPEG re-encoded, 90% centre crop, brighter) group with their original by
pHash distance; distinct photos, and non-overlapping tiles of them, do not."""
import hashlib
import io

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from skimage import data

from framesift.config.jobs import DedupeConfig
from framesift.schemas import ManifestRow
from pipelines.media.perceptual_hash import centre_crop, centre_crop_phashes, phash_hex
from pipelines.dedupe.dedupe_local import dedupe_records
from pipelines.dedupe.hash_codes import hex_to_code

# skimage's "cat" is chelsea again; "horse" is a silhouette that +10% brightness leaves pixel-identical
PHOTOS = ["astronaut", "coffee", "chelsea", "camera", "rocket", "coins", "immunohistochemistry", "page"]
TILED = ["astronaut", "coffee", "camera", "rocket"]


def photo(name):
    a = getattr(data, name)()
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    return np.ascontiguousarray(a[..., :3])


def jpeg(rgb, quality):
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB"))


def png_round_trip(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return np.asarray(Image.open(buf).convert("RGB"))


COPIES = {
    "resize50": lambda a: np.asarray(Image.fromarray(a).resize((a.shape[1] // 2, a.shape[0] // 2),
                                                               Image.Resampling.LANCZOS)),
    "jpeg40": lambda a: jpeg(a, 40),
    "crop90": lambda a: jpeg(centre_crop(a, 0.9), 90),
    "bright10": lambda a: np.asarray(ImageEnhance.Brightness(Image.fromarray(a)).enhance(1.1)),
    "png_resave": png_round_trip,
}


def record(item_id, rgb, file_tag):
    h, w = rgb.shape[:2]
    row = ManifestRow(item_id=item_id, source_uri=f"mem://{item_id}", media_type="image", width=w, height=h,
                      sha256=hashlib.sha256(f"{item_id}:{file_tag}".encode()).hexdigest(),
                      pixel_sha256=hashlib.sha256(rgb.tobytes() + str(rgb.shape).encode()).hexdigest(),
                      phash=phash_hex(rgb), config_hash="test")
    rec = row.to_record()
    rec["phash_crops"] = centre_crop_phashes(rgb)
    return rec


@pytest.fixture(scope="module")
def photo_records():
    records = []
    for name in PHOTOS:
        original = photo(name)
        records.append(record(f"{name}/original", original, "original"))
        for copy, transform in COPIES.items():
            records.append(record(f"{name}/{copy}", transform(original), copy))
    for name in TILED:
        a = photo(name)
        h, w = a.shape[:2]
        for i in range(2):
            for j in range(2):
                tile = a[i * h // 2:(i + 1) * h // 2, j * w // 2:(j + 1) * w // 2]
                records.append(record(f"tile/{name}-{i}{j}", np.ascontiguousarray(tile), "tile"))
    return records


def groups_of(records):
    groups = {}
    for r in records:
        groups.setdefault(r["duplicate_group"] or r["item_id"], set()).add(r["item_id"])
    return sorted(map(sorted, groups.values()))


def test_copies_group_with_their_original_and_distinct_photos_and_tiles_stay_apart(photo_records):
    out = dedupe_records(photo_records, DedupeConfig(near_max_distance=8))
    expected = [sorted([f"{name}/original"] + [f"{name}/{c}" for c in COPIES]) for name in PHOTOS]
    expected += [[r["item_id"]] for r in photo_records if r["item_id"].startswith("tile/")]
    assert groups_of(out) == sorted(expected)
    for name in PHOTOS:
        members = [r for r in out if r["item_id"].startswith(name + "/")]
        assert sum(r["keep"] for r in members) == 1                  # each group keeps exactly one
        assert {r["duplicate_group"] for r in members} == {f"dup-{name}/bright10"}


def test_lossless_resave_is_an_exact_duplicate_without_any_perceptual_search(photo_records):
    out = dedupe_records(photo_records, DedupeConfig(near_max_distance=-1))
    grouped = [g for g in groups_of(out) if len(g) > 1]
    assert grouped == sorted([[f"{name}/original", f"{name}/png_resave"] for name in PHOTOS])


def test_distinct_photos_are_far_apart_and_crop_copies_need_the_crop_hash(photo_records):
    by_id = {r["item_id"]: r for r in photo_records}
    originals = [hex_to_code(by_id[f"{n}/original"]["phash"]) for n in PHOTOS]
    gaps = [bin(a ^ b).count("1") for i, a in enumerate(originals) for b in originals[i + 1:]]
    assert min(gaps) > 8 * 2                                     # distinct photos: far beyond d = 8
    # a 90% crop moves the full-frame pHash past d = 8 for most photos; the centre-crop hash brings it back
    full = [bin(hex_to_code(by_id[f"{n}/original"]["phash"]) ^ hex_to_code(by_id[f"{n}/crop90"]["phash"]))
            .count("1") for n in PHOTOS]
    crop = [bin(hex_to_code(by_id[f"{n}/original"]["phash_crops"][0]) ^ hex_to_code(by_id[f"{n}/crop90"]["phash"]))
            .count("1") for n in PHOTOS]
    assert sum(d > 8 for d in full) >= len(PHOTOS) // 2 and max(crop) <= 4
