"""Make an uploaded image fit WeChat: JPEG/PNG by its bytes, upright, no location, at most 2 MB.

Pure: bytes in, bytes out (Pillow). What cannot be brought under the limit while staying
legible is refused with a reason code the API translates.
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

LIMIT_BYTES = 2 * 1024 * 1024
# WeChat shows images at most this many pixels on the long side; larger ones are scaled down anyway.
MAX_SIDE = 4096
# Below this long side a photo with text on it stops being readable on a phone.
MIN_SIDE = 720
MAX_PIXELS = 60_000_000
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_QUALITIES = (85, 72)
_KNOWN = {b"GIF8": "GIF", b"RIFF": "WEBP", b"BM": "BMP", b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}


class ImageRejected(ValueError):
    """The bytes are not an image we can send; `code` and `params` name the reason."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    mime: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> str | None:
    """Return "jpeg" or "png" from the first bytes, else None (names and declared types are ignored)."""
    if data.startswith(_JPEG):
        return "jpeg"
    if data.startswith(_PNG):
        return "png"
    return None


def _kind_name(data: bytes) -> str:
    for magic, name in _KNOWN.items():
        if data.startswith(magic):
            return name
    return "unknown"


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected("image_too_many_pixels", width=image.width, height=image.height)
            image.load()  # a truncated file fails here, not later in a channel
    except ImageRejected:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise ImageRejected("image_corrupt") from None
    return image


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        low, _high = image.convert("RGBA").getchannel("A").getextrema()
        return isinstance(low, int) and low < 255
    return False


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    if fmt == "jpeg":
        rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
        rgb.save(out, "JPEG", quality=quality, progressive=True, icc_profile=icc)
    else:
        image.save(out, "PNG", optimize=True, icc_profile=icc)
    return out.getvalue()


def _scaled(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    ratio = side / max(image.size)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.LANCZOS)


def prepare(data: bytes, limit: int = LIMIT_BYTES) -> PreparedImage:
    """Check, orient, strip and compress an upload; raise ImageRejected with the reason."""
    kind = sniff(data)
    if kind is None:
        raise ImageRejected("image_type", kind=_kind_name(data))
    image = _open(data)
    has_exif = bool(image.getexif())
    upright = ImageOps.exif_transpose(image) if has_exif else image
    too_big = len(data) > limit or max(image.size) > MAX_SIDE
    if not has_exif and not too_big:
        # Already fine: keep the operator's exact bytes (and its hash).
        return PreparedImage(data, f"image/{kind}", image.width, image.height)
    # Re-encoding drops every EXIF field, GPS location included; orientation is already applied.
    if not too_big:
        return _prepared(_encode(upright, kind, 92), kind, upright)
    formats = ("png",) if kind == "png" and _has_alpha(upright) else ("png", "jpeg") if kind == "png" else ("jpeg",)
    side = min(MAX_SIDE, max(upright.size))
    while side >= MIN_SIDE:
        candidate = _scaled(upright, side)
        smallest = limit * 4
        for fmt in formats:
            for quality in _QUALITIES if fmt == "jpeg" else (0,):
                encoded = _encode(candidate, fmt, quality)
                if len(encoded) <= limit:
                    return _prepared(encoded, fmt, candidate)
                smallest = min(smallest, len(encoded))
                if len(encoded) > limit * 1.6:
                    break  # lowering the quality will not be enough at this size
        # Size grows with the pixel count: jump straight to the side that should fit, then step.
        side = int(side * min(0.85, math.sqrt(limit * 0.9 / smallest)))
    raise ImageRejected("image_incompressible", limit_mb=limit // (1024 * 1024))


def _prepared(data: bytes, fmt: str, image: Image.Image) -> PreparedImage:
    return PreparedImage(data, f"image/{fmt}", image.width, image.height)
