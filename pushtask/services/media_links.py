"""Signed, expiring, organisation-scoped links to uploaded images, and who owns which image.

An `<img>` or a mini program's `<image>` cannot send an Authorization header, so an image is
served to whoever holds a link signed for it: `/api/media/<mediaId>?org=<orgId>&exp=<epoch>&sig=<mac>`.
The MAC is HMAC-SHA256 under a key derived from the app's secret key for this purpose only, over
the organisation, the image and the expiry — so a link cannot be stretched, moved to another image
or used for another organisation. Expiries are rounded up to a 10-minute step: the same page shows
the same URL for a while, so browsers and the mini program can cache the image.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.models import MediaItem

LIFETIME_S = 3600
STEP_S = 600
_PURPOSE = b"pushtask-media-url-v1"


class BadLink(ValueError):
    """The link was tampered with, is for something else, or has expired."""


@dataclass(frozen=True)
class MediaLink:
    url: str
    expires_at: datetime


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def _mac(secret: str, org_id: str, media_id: str, exp: int) -> str:
    digest = hmac.new(_key(secret), f"{org_id}\n{media_id}\n{exp}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def expiry(now: datetime) -> int:
    """Return the expiry (epoch seconds) of a link made now: at least LIFETIME_S away."""
    return (int(now.timestamp()) // STEP_S + 1) * STEP_S + LIFETIME_S


def sign(secret: str, base_url: str, org_id: str, media_id: str, now: datetime) -> MediaLink:
    """Return a link that loads `media_id` for `org_id` without a sign-in, until it expires."""
    exp = expiry(now)
    sig = _mac(secret, org_id, media_id, exp)
    url = f"{base_url.rstrip('/')}/api/media/{media_id}?org={org_id}&exp={exp}&sig={sig}"
    return MediaLink(url, datetime.fromtimestamp(exp, UTC))


def verify(secret: str, org_id: str, media_id: str, exp: str, sig: str, now: datetime) -> int:
    """Check a link's signature and expiry; return the expiry or raise BadLink."""
    if not exp.isdigit() or len(exp) > 12:
        raise BadLink("expiry")
    expires = int(exp)
    if not hmac.compare_digest(sig.encode(), _mac(secret, org_id, media_id, expires).encode()):
        raise BadLink("signature")
    if expires <= now.timestamp():
        raise BadLink("expired")
    return expires


def clean_name(name: str | None, mime: str) -> str:
    """Return a file name safe to show and to send in Content-Disposition (no path, no control characters)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    base = re.sub(r"\s+", " ", base)[:200]
    if not base or base.startswith("."):
        base = "image" + base
    ext = ".png" if mime == "image/png" else ".jpg"
    if not base.lower().endswith((".png", ".jpg", ".jpeg")):
        base += ext
    return base


def record_upload(session: Session, org_id: str, media_id: str, file_name: str, now: datetime) -> MediaItem:
    """Record that the organisation uploaded this image (the latest name wins)."""
    item = session.get(MediaItem, (org_id, media_id))
    if item is None:
        item = MediaItem(org_id=org_id, media_id=media_id, file_name=file_name, created_at=now)
        session.add(item)
    else:
        item.file_name = file_name
    return item


def owned(session: Session, org_id: str, media_id: str) -> MediaItem | None:
    """Return the organisation's record of this image, if it uploaded it."""
    if not org_id or not media_id or len(media_id) > 64:
        return None
    return session.get(MediaItem, (org_id, media_id))


def names(session: Session, org_id: str, media_ids: Iterable[str]) -> dict[str, str]:
    """Return {mediaId: file name} for those of the organisation's images among `media_ids`."""
    keys = {m for m in media_ids if m and len(m) <= 64}
    if not keys:
        return {}
    rows = session.execute(
        select(MediaItem.media_id, MediaItem.file_name).where(MediaItem.org_id == org_id, MediaItem.media_id.in_(keys))
    )
    return dict(rows.tuples().all())
