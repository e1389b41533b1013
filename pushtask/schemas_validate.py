"""The request of POST /api/preview/validate: content to check, as loose as the check is.

Kept apart from pushtask.schemas (see schemas_planner). The route reports every content rule in a
200 answer (`validation.isValid`, field by field) instead of refusing the request, so its document
declares only what it does refuse with a 400: the types and the size bounds. The link's pattern,
which the other routes declare and refuse, is here one of the reported rules.
"""

from __future__ import annotations

from pydantic import Field

from pushtask.schemas import ContentIn, Id, Input, ScheduleIn


class ContentToCheck(ContentIn):
    """Content as validate takes it: a link that is no http(s) URL is reported, not refused."""

    link: str | None = Field(default=None, max_length=2048)


class ValidateIn(Input):
    content: ContentToCheck
    groups: list[Id] | None = Field(
        default=None, max_length=1000, description="Also apply these groups' channel limits."
    )
    schedule: ScheduleIn | None = Field(
        default=None, description="With groups: warn when a push would exceed a WeCom customer group's cap."
    )
    taskId: Id | None = Field(default=None, description="The task being edited (its own pushes are not counted twice).")
