"""What every request and response shape shares: the base classes, the enumerations and the field types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic_core import PydanticCustomError

Priority = Literal["high", "medium", "low"]
Status = Literal["draft", "scheduled", "running", "completed", "failed", "paused"]
Frequency = Literal["daily", "weekly", "monthly"]
GroupChannel = Literal["wecom_appchat", "wecom_robot", "bot_bridge", "wecom_customer_group"]
RecipientChannel = Literal["wecom", "miniprogram"]
Role = Literal["admin", "operator", "viewer"]
PreviewState = Literal["none", "pending", "confirmed", "modify_requested", "stale"]
WorkCalendar = Literal["all", "cn_workdays", "skip_cn_holidays"]

Id = str


def _iso_string(value: object) -> object:
    """Accept date-times only as ISO 8601 text (not numbers, which pydantic would read as Unix time)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise PydanticCustomError("datetime_parsing", "Input should be an ISO 8601 date-time") from None
    raise PydanticCustomError("datetime_type", "Input should be an ISO 8601 date-time string")


# The years the service accepts (pushtask.services.tasks.checks.YEAR_RANGE), declared so clients know.
YEARS_1970_2199 = r"^(19[7-9][0-9]|2[01][0-9][0-9])-"
IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_iso_string),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEARS_1970_2199}),
]


def _whole(value: object) -> object:
    """JSON Schema counts 130.0 as an integer, so it is accepted as 130; 130.5 stays a float and is refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer in JSON's sense: 130 or 130.0 (strict otherwise: not "130", not true).
StrictInt = Annotated[int, BeforeValidator(_whole)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


UNIQUE: dict[str, Any] = {"uniqueItems": True}  # the service refuses repeated items ("duplicate_items")
# A name or identifier an operator types: no control characters, and not only spaces.
NO_CONTROL = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")
