"""Turn request bodies and pydantic errors into field-level problems."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pushtask.errors import FieldProblem, InvalidInput

Model = TypeVar("Model", bound=BaseModel)

# pydantic error type -> our message code
_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_type": "type_string",
    "int_type": "type_int",
    "int_parsing": "type_int",
    "int_from_float": "type_int",
    "bool_type": "type_bool",
    "bool_parsing": "type_bool",
    "list_type": "type_list",
    "model_type": "type_object",
    "model_attributes_type": "type_object",
    "dict_type": "type_object",
    "datetime_type": "type_datetime",
    "datetime_parsing": "type_datetime",
    "datetime_from_date_parsing": "type_datetime",
    "datetime_object_invalid": "type_datetime",
    "literal_error": "choice",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "too_short": "too_short",
    "too_long": "list_too_long",
    "greater_than_equal": "out_of_range",
    "less_than_equal": "out_of_range",
}


_BODY_CODES = {
    "json_invalid": "invalid_json",
    "model_type": "body_not_object",
    "model_attributes_type": "body_not_object",
}


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "body"


def _bounds(model: type[BaseModel], loc: tuple[int | str, ...]) -> dict[str, Any]:
    """Find the ge/le of the field at `loc`, so range messages give both ends."""
    current: Any = model
    info = None
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = current.model_fields.get(part)
        if info is None:
            return {}
        annotation = info.annotation
        nested = [
            a
            for a in getattr(annotation, "__args__", (annotation,))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        current = nested[0] if nested else None
    if info is None:
        return {}
    low = high = None
    for meta in info.metadata:
        low = getattr(meta, "ge", low)
        high = getattr(meta, "le", high)
    return {"min": low, "max": high}


def _pattern_code(pattern: str, text: str) -> str:
    """The message for a pattern an input broke: each pattern the schemas use has its own."""
    from pushtask import schemas

    codes = {
        schemas.APPID_PATTERN: "appid_invalid",
        schemas.PAGE_PATH_PATTERN: "page_path_invalid",
        schemas.HTTP_URL_PATTERN: "link_invalid",
    }
    if pattern in codes:
        return codes[pattern]
    # NO_CONTROL: no control characters, and not only spaces.
    return "text_control" if any(ord(ch) < 32 or ord(ch) == 127 for ch in text) else "blank"


def problems_from(error: ValidationError, model: type[BaseModel]) -> list[FieldProblem]:
    """Map pydantic's findings onto our field problems with message parameters."""
    problems = []
    seen: set[tuple[str, str]] = set()
    for item in error.errors(include_url=False):
        kind = item["type"]
        if kind == "none_required":
            continue
        if kind == "card_incomplete":
            base = tuple(p for p in item["loc"] if isinstance(p, int) or not _is_union_tag(p))
            for name in str((item.get("ctx") or {}).get("missing", "")).split(","):
                problems.append(FieldProblem(_path((*base, name)), "required"))
            continue  # the `null` branch of an optional field: the other branch's error says what is wrong
        # Union branches add their tag to the location (`name.constrained-str`): a field path has none.
        loc = tuple(p for p in item["loc"] if isinstance(p, int) or kind == "extra_forbidden" or not _is_union_tag(p))
        if not loc and kind in _BODY_CODES:
            # The body itself is not JSON, or not a JSON object: one message says which.
            problems.append(FieldProblem("body", _BODY_CODES[kind]))
            continue
        ctx = item.get("ctx") or {}
        code = _CODES.get(kind, "invalid")
        if kind == "string_pattern_mismatch":
            code = _pattern_code(str(ctx.get("pattern", "")), str(item.get("input") or ""))
        params: dict[str, Any] = {}
        if code == "choice":
            params["choices"] = str(ctx.get("expected", "")).replace("'", "")
        elif code == "too_long":
            params = {"max": ctx.get("max_length"), "actual": len(item.get("input") or "")}
        elif code == "too_short":
            params = {"min": ctx.get("min_length")}
        elif code == "list_too_long":
            params = {"max": ctx.get("max_length"), "actual": ctx.get("actual_length")}
        elif code == "out_of_range":
            params = _bounds(model, loc)
            if params.get("min") is None and params.get("max") is None:
                # A list item's or a nested type's own bounds: the error carries the one it broke.
                params = {"min": ctx.get("ge", "…"), "max": ctx.get("le", "…")}
        if (_path(loc), code) in seen:
            continue
        seen.add((_path(loc), code))
        problems.append(FieldProblem(_path(loc), code, params))
    return problems


def _is_union_tag(part: str) -> bool:
    return part == "none" or "-" in part or "[" in part


def validate(model: type[Model], raw: bytes) -> Model:
    """Validate a JSON body against an input model, raising InvalidInput on problems.

    Validation is strict, on the JSON itself: `true` is not a number, `1` is not a date, and
    "5" is not an integer — what a client sends is what it means.
    """
    try:
        return model.model_validate_json(raw if raw.strip() else b"{}", strict=True)
    except ValidationError as exc:
        raise InvalidInput(problems_from(exc, model)) from None
