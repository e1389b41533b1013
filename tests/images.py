"""Images for tests, made with Pillow: photos, screenshots, renamed and broken files."""

from __future__ import annotations

import io

from PIL import Image


def photo(width: int = 4000, height: int = 3000, quality: int = 97, exif: Image.Exif | None = None) -> bytes:
    """A noisy, photo-like JPEG (≈9 MB at the default size): hard to compress, as real photos are."""
    base = (
        Image.effect_noise((width // 8, height // 8), 80)
        .convert("RGB")
        .resize((width, height), Image.Resampling.BICUBIC)
    )
    fine = Image.effect_noise((width, height), 40).convert("RGB")
    out = io.BytesIO()
    Image.blend(base, fine, 0.35).save(out, "JPEG", quality=quality, exif=exif or Image.Exif())
    return out.getvalue()


def png(width: int = 64, height: int = 48, color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (16, 16)).save(out, "GIF")
    return out.getvalue()


def small_jpeg(width: int = 320, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(out, "JPEG", quality=90)
    return out.getvalue()
