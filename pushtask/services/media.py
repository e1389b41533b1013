"""Store uploaded images: checked and compressed (pushtask.domain.images), kept once per sha256."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pushtask.domain.images import PreparedImage, prepare


def store_image(root: Path, data: bytes) -> PreparedImage:
    """Prepare the upload and write it under `root/<sha256>` unless that file exists (dedup by hash)."""
    image = prepare(data)
    root.mkdir(parents=True, exist_ok=True)
    path = root / image.sha256
    if not path.exists():
        # Write then rename: a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(image.data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return image


def image_exists(root: Path, key: str) -> bool:
    """Tell whether an image with this mediaId is stored."""
    return bool(key) and "/" not in key and not key.startswith(".") and (root / key).is_file()
