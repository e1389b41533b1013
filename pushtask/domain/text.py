"""Count text the way a reader sees it: one emoji, however many code points, is one character."""

from __future__ import annotations

import regex

_GRAPHEME = regex.compile(r"\X")


def count_chars(text: str) -> int:
    """Return the number of user-perceived characters (extended grapheme clusters)."""
    return len(_GRAPHEME.findall(text))


def truncate_chars(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` user-perceived characters without splitting one."""
    clusters = _GRAPHEME.findall(text)
    return "".join(clusters[:limit])
