"""Tracked links, the pure part: each group's short code, the message it receives, who a visitor is.

A push that tracks links carries `content["tracking"] = {"salt": <128 random bits from secrets>}`
(written when its deliveries are planned, pushtask.services.links.plan). A group's code is derived
from that salt, its group id and the kind of link, so the send path substitutes without a database
read; the same codes are stored in t_links when the push is planned, which is all a redirect
trusts. Without the salt (tracking off, or an older push) the message keeps its original links.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import string
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pushtask.channels.base import Message

CODE_LENGTH = 12  # base62: 71 bits of a keyed hash of 128 random bits; at least 8 is required
CODE_ALPHABET = string.digits + string.ascii_letters
MINI_PARAM = "ptl"
LINK_PATH = "/l/"


def code_for(salt: str, group_id: str, kind: str) -> str:
    """Return the short code of one group's link of one kind ("link" or "mini") under a push's salt."""
    digest = hmac.new(bytes.fromhex(salt), f"{group_id}\x00{kind}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


def is_code(text: str) -> bool:
    """Tell whether a path segment can be a code at all (anything else is a 404 without a lookup)."""
    return len(text) == CODE_LENGTH and all(c in CODE_ALPHABET for c in text)


def originals(content: dict[str, Any]) -> dict[str, str]:
    """Return what a content would send untracked, by kind: its link URL and its mini-program page path."""
    found: dict[str, str] = {}
    if content.get("link"):
        found["link"] = str(content["link"])
    mini = content.get("miniprogram") or {}
    if mini.get("appid"):
        found["mini"] = str(mini.get("pagePath") or "")
    return found


def short_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}{LINK_PATH}{code}"


def with_param(url: str, name: str, value: str) -> str:
    """Return the URL (or page path) with one query parameter set, the others kept in order."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def track(message: Message, content: dict[str, Any], group_id: str, public_url: str) -> Message:
    """Return the group's message with its own short link and mini-program code (title and thumbnail kept).

    The message is left as it is when the push does not track links.
    """
    tracking = content.get("tracking")
    if not isinstance(tracking, dict) or not tracking.get("salt"):
        return message
    salt = str(tracking["salt"])
    if message.link is not None:
        url = short_url(public_url, code_for(salt, group_id, "link"))
        message = dataclasses.replace(message, link=dataclasses.replace(message.link, url=url))
    if message.miniprogram is not None:
        card = message.miniprogram
        path = with_param(card.pagepath, MINI_PARAM, code_for(salt, group_id, "mini"))
        message = dataclasses.replace(message, miniprogram=dataclasses.replace(card, pagepath=path))
    return message


def visitor_key(secret: str, address: str, user_agent: str, at: datetime) -> str:
    """Return a visitor's key for counting unique clickers: no address is kept, and it changes daily.

    HMAC-SHA256 under the app secret of (day, address, user agent): the same phone on the same day
    gives the same key; nobody without the secret can test an address against it, and the keys of
    two days cannot be linked.
    """
    day = at.date().isoformat()
    salt = hmac.new(secret.encode(), f"pushtask-visitor-day:{day}".encode(), hashlib.sha256).digest()
    mac = hmac.new(salt, f"{address}\x00{user_agent}".encode(), hashlib.sha256).hexdigest()
    return "v:" + mac[:40]
