"""Signed, expiring feedback tokens (one per push and group) and where a push message carries them.

A token is `<payload>.<mac>`: base64url JSON {t: task, g: group, p: push, e: expiry (epoch s)}
and a truncated HMAC-SHA256 of it under the app's secret key with a purpose prefix, so a token
can be neither forged nor reused for another group, and no JWT a user holds works as one.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pushtask.channels.base import Message

PARAM = "ptfb"
_PURPOSE = b"pushtask-feedback-v1:"


class BadToken(ValueError):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True)
class FeedbackClaim:
    task_id: str
    group_id: str
    push_id: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), _PURPOSE + body.encode(), hashlib.sha256).digest()[:18])


def sign(secret: str, task_id: str, group_id: str, push_id: str, expires_at: datetime) -> str:
    """Return a token for one push to one group, valid until `expires_at`."""
    body = _b64(
        json.dumps(
            {"t": task_id, "g": group_id, "p": push_id, "e": int(expires_at.timestamp())}, separators=(",", ":")
        ).encode()
    )
    return f"{body}.{_mac(secret, body)}"


def verify(secret: str, token: str, now: datetime) -> FeedbackClaim:
    """Return what a token grants, or raise BadToken."""
    body, _, mac = token.partition(".")
    if not body or not mac or not hmac.compare_digest(mac, _mac(secret, body)):
        raise BadToken("signature")
    try:
        data = json.loads(_unb64(body))
        claim = FeedbackClaim(
            str(data["t"]), str(data["g"]), str(data["p"]), datetime.fromtimestamp(int(data["e"]), UTC)
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BadToken("payload") from None
    if claim.expires_at <= now:
        raise BadToken("expired")
    return claim


def token_hash(token: str) -> str:
    """Return the digest stored with an answer (the token itself is a bearer credential)."""
    return hashlib.sha256(token.encode()).hexdigest()


def expiry(fire_at: datetime, ttl_days: int) -> datetime:
    return fire_at + timedelta(days=ttl_days)


def _with_param(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM]
    query.append((PARAM, token))
    return urlunsplit(parts._replace(query=urlencode(query)))


def attach(message: Message, token: str, public_url: str) -> Message:
    """Return the message with the feedback token on its link or mini-program page path.

    A push with neither gets a line with the admin's feedback page instead, so members can
    still answer.
    """
    if message.miniprogram is not None:
        card = message.miniprogram
        return dataclasses.replace(
            message, miniprogram=dataclasses.replace(card, pagepath=_with_param(card.pagepath, token))
        )
    if message.link is not None:
        return dataclasses.replace(
            message, link=dataclasses.replace(message.link, url=_with_param(message.link.url, token))
        )
    line = f"反馈意见：{public_url.rstrip('/')}/feedback?{urlencode({PARAM: token})}"
    return dataclasses.replace(message, text=f"{message.text}\n\n{line}" if message.text else line)
