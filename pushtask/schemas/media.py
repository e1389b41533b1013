"""Uploaded images."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pushtask.schemas.base import Output


class MediaOut(Output):
    mediaId: str
    width: int
    height: int
    bytes: int
    sha256: str
    mime: Literal["image/jpeg", "image/png"]
    url: str = Field(description="Loads the image without a sign-in (signed for this organisation) until urlExpiresAt.")
    urlExpiresAt: str
    fileName: str = Field(description="The uploaded file's name (shown in the change log).")
