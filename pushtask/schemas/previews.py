"""Previews: validating content, sending it to reviewers, their decisions and subscriptions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pushtask.schemas.base import Id, Input, Output, RecipientChannel, StrictInt
from pushtask.schemas.errors import FieldError
from pushtask.schemas.reach import QuotaWarningOut
from pushtask.schemas.tasks import ContentIn, ScheduleIn, VariantKey


class PreviewIn(Input):
    taskId: Id = Field(min_length=1, max_length=64)
    content: ContentIn | None = Field(default=None, description="Saved into the task first when it differs.")
    recipients: list[Id] | None = Field(default=None, max_length=100, description="Default: the task's reviewers.")


class ContentToCheck(ContentIn):
    """Content as validate takes it: a link that is no http(s) URL is reported, not refused.

    POST /api/preview/validate reports every content rule in a 200 answer (`validation.isValid`, field
    by field) instead of refusing the request, so its document declares only what it refuses with a
    400: the types and the size bounds. The link's pattern is here one of the reported rules.
    """

    link: str | None = Field(default=None, max_length=2048)
    text: str | None = Field(
        default=None, max_length=20000, description="Control characters are reported, not refused."
    )


class ValidateIn(Input):
    content: ContentToCheck
    groups: list[Id] | None = Field(
        default=None, max_length=1000, description="Also apply these groups' channel limits."
    )
    schedule: ScheduleIn | None = Field(
        default=None, description="With groups: warn when a push would exceed a WeCom customer group's cap."
    )
    taskId: Id | None = Field(default=None, description="The task being edited (its own pushes are not counted twice).")


class ValidationOut(Output):
    isValid: bool
    errors: list[FieldError]


class ValidationResult(Output):
    validation: ValidationOut
    quotaWarnings: list[QuotaWarningOut] | None = Field(
        default=None, description="Present when a push would exceed a WeCom customer group's mass-send cap."
    )


class InvalidContentOut(Output):
    """400 of a preview: content problems in `validation`, or malformed input in `details`."""

    error: str
    validation: ValidationOut | None = None
    details: list[FieldError] | None = None


class PreviewReviewerOut(Output):
    recipientId: Id
    name: str
    channel: RecipientChannel
    status: Literal["sending", "sent", "failed", "no_quota", "no_channel"]
    decision: Literal["confirm", "modify"] | None = None
    message: str | None = None


class VariantPreviewOut(Output):
    key: VariantKey
    previewId: Id


class PreviewSent(Output):
    previewId: Id
    validation: ValidationOut
    recipients: list[PreviewReviewerOut]
    warnings: list[str]
    variants: list[VariantPreviewOut] | None = Field(
        default=None,
        description="A task with variants: one preview per variant (labelled 版本 A, 版本 B …), each confirmed on"
        " its own; `previewId` is variant A's. The task can be submitted once every variant is confirmed.",
    )


class ConfirmIn(Input):
    previewId: Id = Field(min_length=1, max_length=64)
    response: Literal["confirm", "modify"]
    comment: str = Field(default="", max_length=500)


class DecisionOut(Output):
    response: Literal["confirm", "modify"]
    via: Literal["api", "card", "text"]
    name: str
    comment: str | None
    timestamp: str


class PreviewOut(Output):
    previewId: Id
    taskId: Id
    contentVersion: int
    content: dict[str, object]
    status: Literal["pending", "confirmed", "modify_requested"]
    stale: bool
    comment: str | None
    createdAt: str
    decidedAt: str | None
    recipients: list[PreviewReviewerOut]
    decisions: list[DecisionOut]
    variant: VariantKey | None = Field(default=None, description="A/B: the variant it shows.")


class PreviewListOut(Output):
    previews: list[PreviewOut]


class SubscriptionIn(Input):
    recipientId: Id = Field(min_length=1, max_length=64)
    count: StrictInt = Field(default=1, ge=1, le=100)


class SubscriptionOut(Output):
    recipientId: Id
    remaining: int
