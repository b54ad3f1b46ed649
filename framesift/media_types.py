"""The media framesift reads, by file extension: what `curate` ingests by default (configs/curate.yaml can narrow
or widen that) and the MIME type the review UI serves each as. One list for both, so a video the job curates is
also a video the UI plays."""
from __future__ import annotations

IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
               "gif": "image/gif", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff"}
VIDEO_TYPES = {"mp4": "video/mp4", "m4v": "video/x-m4v", "mov": "video/quicktime", "webm": "video/webm",
               "mkv": "video/x-matroska", "avi": "video/x-msvideo", "mpg": "video/mpeg", "mpeg": "video/mpeg",
               "ts": "video/mp2t", "flv": "video/x-flv", "wmv": "video/x-ms-wmv"}
IMAGE_EXTENSIONS = tuple(IMAGE_TYPES)
VIDEO_EXTENSIONS = tuple(VIDEO_TYPES)
