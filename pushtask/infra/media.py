"""Stored images, found by key under the data directory and handed to channels as bytes."""

from __future__ import annotations

from pathlib import Path

from pushtask.channels.base import ImageRef, MediaBlob

_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png", "png"), (b"\xff\xd8\xff", "image/jpeg", "jpg"))


class MediaMissing(FileNotFoundError):
    """The content names an image that is not in the store (deleted, or never uploaded here)."""


class MediaStore:
    """Images under `root`, one file per key (the key is the content's sha256 hex)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise MediaMissing(key)
        return self.root / key

    def __call__(self, ref: ImageRef) -> MediaBlob:
        """Return the image's bytes and type (a MediaSource for the channels)."""
        path = self.path(ref.key)
        try:
            data = path.read_bytes()
        except OSError:
            raise MediaMissing(ref.key) from None
        for signature, mime, ext in _SIGNATURES:
            if data.startswith(signature):
                return MediaBlob(data=data, filename=f"{ref.key[:16]}.{ext}", mime=mime)
        return MediaBlob(data=data, filename=ref.key[:16], mime="application/octet-stream")
