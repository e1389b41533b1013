"""Request and response shapes of WeChat sign-in and the reviewer's own routes (issue 17)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pushtask.schemas.auth import UserOut
from pushtask.schemas.base import Id, Input, Output
from pushtask.schemas.previews import PreviewOut

Scope = Literal["operator", "reviewer", "member"]


class WeChatCodeIn(Input):
    code: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[0-9A-Za-z_-]+$",
        description="What wx.login() gave the mini program (single use, valid 5 minutes).",
    )


class ReviewerIdentityOut(Output):
    recipientId: Id
    name: str
    orgId: Id
    orgName: str


class SignInOut(Output):
    """A sign-in token; `scope` says what it may do, and which of user / reviewer / memberId is set."""

    token: str
    expiresAt: str
    scope: Scope
    user: UserOut | None = Field(default=None, description="Set for scope operator.")
    reviewer: ReviewerIdentityOut | None = Field(default=None, description="Set for scope reviewer.")
    memberId: str | None = Field(
        default=None,
        description="Set for scope member: this person's stable pseudonym, used as the feedback's memberId.",
    )


class WeChatBindingOut(Output):
    bound: bool
    appid: str | None = None
    boundAt: str | None = None
    message: str


class SubscriptionStateOut(Output):
    templateId: str | None = Field(description="The preview notice's template; null when none is configured.")
    remaining: int = Field(ge=0, description="One-time subscriptions held: each preview notice spends one.")
    needsSubscribe: bool


class MyPreviewsOut(Output):
    reviewer: ReviewerIdentityOut
    subscription: SubscriptionStateOut
    pending: int = Field(ge=0, description="Previews waiting for this reviewer's decision (not stale).")
    previews: list[PreviewOut] = Field(description="Newest first, at most 50.")


SubscribeAnswer = Literal["accept", "reject", "ban", "filter", "acceptWithAudio"]


TemplateId = Annotated[str, Field(min_length=1, max_length=128)]


class MySubscriptionIn(Input):
    templateIds: list[TemplateId] = Field(
        min_length=1, max_length=5, description="The tmplIds passed to wx.requestSubscribeMessage."
    )
    result: dict[TemplateId, Annotated[str, Field(max_length=200)]] = Field(
        max_length=10,
        description='wx.requestSubscribeMessage\'s success answer as is: {"errMsg": "requestSubscribeMessage:ok",'
        ' "<templateId>": "accept" | "reject" | "ban" | "filter"}.',
    )


class MySubscriptionOut(Output):
    templateId: str | None
    granted: int = Field(ge=0, description="Subscriptions recorded from this answer (0 or 1).")
    remaining: int = Field(ge=0)
    needsSubscribe: bool
