"""Near-duplicate accuracy: pairwise precision and recall of the duplicate groups framesift forms, against plain
64-bit pHash at several Hamming radii, on benchmarks/near_dup_testset.py (real photos and video frames with flips,
borders, caption bands, crops, rotations and photometric edits; tiles of one photo and frames of other shots as
look-alike negatives).

Every picture goes through what the curate job does: saved as JPEG (q 90), decoded to 512 px (decode_image), hashed
(picture_hashes), a 256-px JPEG thumbnail written (what verification reads in a run), then grouped by
dedupe_local.group_decisions with the configured thresholds (configs/curate.yaml `dedupe`). A pair counts as found
when both items end in one group (groups are transitive, as in a run).

The sources are split in two halves: the thresholds were chosen looking at the first ("tune") only; the second
("check") is reported as the honest figure, with both together.

    python benchmarks/near_dup_accuracy.py [--radii 4 6 8 10 12]
"""
from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image

from benchmarks.near_dup_testset import (SOURCES, build_near_dup_testset, pairs_of_groups, precision_recall,
                                         true_pairs)
from framesift.schemas.columns import Col


def _jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def analysed_records(items) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Manifest-like records (item_id, media_type, hashes) and each item's run thumbnail, decoded."""
    from pipelines.media.image_decode import decode_image
    from pipelines.media.perceptual_hash import picture_hashes
    from pipelines.media.previews import thumbnail_jpeg
    records, thumbs = [], {}
    for it in items:
        rgb = decode_image(_jpeg(it.image, 90), 512).rgb
        records.append({Col.ITEM_ID: it.name, Col.MEDIA_TYPE: "image", **picture_hashes(rgb)})
        thumbs[it.name] = np.asarray(Image.open(io.BytesIO(thumbnail_jpeg(rgb, 256))).convert("RGB"))
    return records, thumbs


def framesift_groups(records, thumbs, cfg) -> dict[str, str]:
    from pipelines.dedupe.candidates import verified_pairs
    from pipelines.dedupe.dedupe_local import group_decisions
    verified = (verified_pairs(records, lambda r: thumbs[r[Col.ITEM_ID]], cfg.verify_max_distance,
                               cfg.near_max_distance) if cfg.verify_max_distance >= 0 else [])
    decisions = group_decisions(records, cfg, semantic_item_pairs=verified)
    return {r[Col.ITEM_ID]: decisions[r[Col.ITEM_ID]].group_id if r[Col.ITEM_ID] in decisions else r[Col.ITEM_ID]
            for r in records}


def phash_groups(records, radius: int) -> dict[str, str]:
    from pipelines.dedupe.hash_codes import hex_to_code
    from pipelines.dedupe.near_pairs import near_duplicate_labels
    labels = near_duplicate_labels(np.array([hex_to_code(r[Col.PHASH]) for r in records], np.uint64), radius)
    return {r[Col.ITEM_ID]: str(label) for r, label in zip(records, labels)}


def _row(name: str, labels: dict[str, str], splits: dict[str, tuple[set, set]]) -> str:
    cells = []
    for subset, truth in splits.values():
        found = {p for p in pairs_of_groups({k: v for k, v in labels.items() if k in subset})}
        p, r = precision_recall(found, truth)
        cells.append(f"{p:9.3f} {r:7.3f}")
    return f"{name:34s}" + "".join(f"{c:>20s}" for c in cells)


def main(argv=None) -> int:
    from framesift.config import load_config
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--radii", type=int, nargs="*", default=[4, 6, 8, 10, 12])
    args = parser.parse_args(argv)
    start = time.perf_counter()
    items = build_near_dup_testset()
    tune_groups = {key.replace(":", "_") for key, _ in SOURCES[: len(SOURCES) // 2]}
    tune = {it.name for i, it in enumerate(items)
            if it.group in tune_groups or (it.group.startswith("neg_") and i % 2 == 0)}
    check = {it.name for it in items} - tune
    splits = {}
    for name, subset in (("tune", tune), ("check", check), ("all", {it.name for it in items})):
        splits[name] = (subset, true_pairs([it for it in items if it.name in subset]))
    records, thumbs = analysed_records(items)
    cfg = load_config("curate").dedupe
    t0 = time.perf_counter()
    ours = framesift_groups(records, thumbs, cfg)
    ours_s = time.perf_counter() - t0
    positives = sum(1 for it in items if not it.group.startswith("neg_"))
    print(f"{len(items)} pictures: {positives} in {len(SOURCES)} groups of copies, {len(items) - positives} "
          f"look-alike negatives; true pairs: " + ", ".join(f"{k} {len(v[1])}" for k, v in splits.items()))
    header = f"{'pairwise precision / recall':34s}" + "".join(f"{k + ' P':>11s} {k + ' R':>8s}" for k in splits)
    print(header)
    print("-" * len(header))
    print(_row(f"framesift (d={cfg.near_max_distance}, verify<={cfg.verify_max_distance})", ours, splits))
    for radius in args.radii:
        print(_row(f"plain pHash, Hamming <= {radius}", phash_groups(records, radius), splits))
    by_edit: dict[str, list[bool]] = {}
    originals = {it.group: it.name for it in items if it.edit == "original"}
    for it in items:
        if it.edit not in ("original", "tile", "smooth", "other_shot"):
            by_edit.setdefault(it.edit, []).append(ours[it.name] == ours[originals[it.group]])
    print("framesift, copies grouped with their original, per edit: "
          + ", ".join(f"{e} {sum(v)}/{len(v)}" for e, v in sorted(by_edit.items())))
    print(f"(grouping incl. verification {ours_s:.1f} s; total {time.perf_counter() - start:.1f} s; "
          f"machine shared with other jobs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
