"""Field rules the real hosts enforce: byte limits, image formats, subscribe keyword values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pushtask.sandbox.wire import ApiError

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def image_mime(data: bytes) -> str | None:
    """Sniff JPEG/PNG from the bytes (never from a file name)."""
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if data.startswith(PNG_MAGIC):
        return "image/png"
    return None


def truncate_bytes(text: str, limit: int) -> str:
    """Cut a string to at most `limit` UTF-8 bytes without splitting a character."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def obj(body: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The sub-object named by msgtype, or 40058 when it is missing or not an object."""
    value = body.get(key)
    if not isinstance(value, dict):
        raise ApiError(40058, f"missing {key} object")
    return value


def required_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(44004, f"empty {field}")
    return value


def limit_bytes(value: str, limit: int, field: str, code: int = 45002) -> None:
    if len(value.encode("utf-8")) > limit:
        raise ApiError(code, f"{field} exceed max length {limit} bytes")


_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
_DATE_TIME = re.compile(r"^[0-9年月日号\-/:.\s~至]+$")
_RULES: dict[str, Any] = {
    "thing": lambda v: 0 < len(v) <= 20,
    "number": lambda v: re.fullmatch(r"[0-9.]{1,32}", v) is not None,
    "letter": lambda v: re.fullmatch(r"[A-Za-z]{1,32}", v) is not None,
    "symbol": lambda v: re.fullmatch(r"[^\w\s]{1,5}", v) is not None,
    "character_string": lambda v: re.fullmatch(r"[\x21-\x7e]{1,32}", v) is not None,
    "time": lambda v: _DATE_TIME.fullmatch(v) is not None and any(c.isdigit() for c in v),
    "date": lambda v: _DATE_TIME.fullmatch(v) is not None and any(c.isdigit() for c in v),
    "amount": lambda v: re.fullmatch(r"[¥$￥]?[0-9]{1,10}(\.[0-9]+)?元?", v) is not None,
    "phone_number": lambda v: re.fullmatch(r"[0-9+\-() ]{1,17}", v) is not None,
    "car_number": lambda v: 0 < len(v) <= 8,
    "name": lambda v: 0 < len(v) <= (10 if _HAS_CJK.search(v) else 20),
    "phrase": lambda v: _CJK.fullmatch(v) is not None and len(v) <= 5,
}


def keyword_type(key: str) -> str:
    """`thing1` -> `thing`, `character_string12` -> `character_string`."""
    return key.rstrip("0123456789")


def check_subscribe_data(data: Any, keywords: Mapping[str, str], enums: Mapping[str, list[str]]) -> None:
    """Raise 47003 naming the first keyword whose value the template rejects."""
    if not isinstance(data, dict) or not data:
        raise ApiError(47003, "argument invalid! data is empty")
    for key, wrapper in data.items():
        value = wrapper.get("value") if isinstance(wrapper, dict) else None
        if key not in keywords or not isinstance(value, str):
            raise ApiError(47003, f"argument invalid! data.{key}.value invalid")
        kind = keyword_type(key)
        if kind == "enum":
            ok = value in enums.get(key, [value])
        else:
            rule = _RULES.get(kind)
            ok = bool(rule(value)) if rule is not None else len(value) <= 20
        if not ok:
            raise ApiError(47003, f"argument invalid! data.{key}.value invalid")
