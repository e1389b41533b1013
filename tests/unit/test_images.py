"""Uploaded images: JPEG/PNG by their bytes, upright, without location, at most 2 MB."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pushtask.domain import images
from tests.images import gif, photo, png, small_jpeg


def test_a_9_mb_photo_is_compressed_under_2_mb_and_stays_large_enough_to_read() -> None:
    data = photo()
    assert len(data) > 8 * 1024 * 1024
    prepared = images.prepare(data)
    assert len(prepared.data) <= images.LIMIT_BYTES
    assert prepared.mime == "image/jpeg"
    assert max(prepared.width, prepared.height) >= 2000
    with Image.open(io.BytesIO(prepared.data)) as opened:
        assert opened.format == "JPEG" and opened.size == (prepared.width, prepared.height)


def test_a_png_renamed_jpg_is_judged_by_its_bytes() -> None:
    prepared = images.prepare(png())  # whatever the file was called, these bytes are a PNG
    assert prepared.mime == "image/png"
    assert images.sniff(png()) == "png"


def test_a_small_image_without_exif_is_kept_byte_for_byte() -> None:
    data = small_jpeg()
    assert images.prepare(data).data == data


def test_a_truncated_file_is_refused_as_damaged() -> None:
    data = small_jpeg(800, 600)
    with pytest.raises(images.ImageRejected) as caught:
        images.prepare(data[: len(data) // 2])
    assert caught.value.code == "image_corrupt"


def test_a_gif_is_refused_and_named() -> None:
    with pytest.raises(images.ImageRejected) as caught:
        images.prepare(gif())
    assert caught.value.code == "image_type" and caught.value.params == {"kind": "GIF"}


def test_text_with_a_jpg_name_is_refused() -> None:
    with pytest.raises(images.ImageRejected) as caught:
        images.prepare(b"just text, called photo.jpg")
    assert caught.value.code == "image_type"


def test_exif_orientation_is_applied_and_location_removed() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (300, 100), (10, 200, 10)).save(out, "JPEG", exif=exif)
    prepared = images.prepare(out.getvalue())
    assert (prepared.width, prepared.height) == (100, 300)
    with Image.open(io.BytesIO(prepared.data)) as opened:
        kept = opened.getexif()
        assert 0x8825 not in kept and kept.get(0x0112) in (None, 1)


def test_what_cannot_be_made_small_enough_is_refused_with_the_reason() -> None:
    with pytest.raises(images.ImageRejected) as caught:
        images.prepare(photo(1200, 900), limit=20_000)
    assert caught.value.code == "image_incompressible"
