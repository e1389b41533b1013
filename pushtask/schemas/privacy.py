"""Personal data (PIPL): a person's export and erasure."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pushtask.schemas.base import Id, Input, Output, RecipientChannel

PersonIdentifier = Literal["wechatId", "channelUserId", "memberId"]


class PersonIn(Input):
    identifier: PersonIdentifier = Field(
        description="What `value` is: a recipient's WeChat ID, a recipient's WeCom userid / mini-program openid, "
        "or a feedback member id."
    )
    value: str = Field(min_length=1, max_length=128, description="The identifier itself; matched exactly.")


class PersonRecipientOut(Output):
    recipientId: Id
    name: str
    wechatId: str
    channel: RecipientChannel
    channelUserId: str
    createdAt: str
    updatedAt: str
    deletedAt: str | None


class PersonTaskOut(Output):
    taskId: Id
    taskName: str
    recipientId: Id


class PersonPreviewOut(Output):
    previewId: Id
    taskId: Id
    recipientId: Id
    channel: str
    state: str
    decision: str | None
    decidedAt: str | None


class PersonDecisionOut(Output):
    decisionId: Id
    previewId: Id
    taskId: Id
    recipientId: Id
    response: str
    via: str
    comment: str | None
    createdAt: str


class PersonNotificationOut(Output):
    notificationId: int
    recipientId: Id
    type: str
    channel: str | None
    state: str
    taskId: Id | None
    payload: dict[str, object]
    createdAt: str
    sentAt: str | None


class PersonSubscriptionOut(Output):
    recipientId: Id
    templateId: str
    remaining: int


class PersonFeedbackOut(Output):
    feedbackId: int
    taskId: Id
    groupId: Id
    pushId: Id | None
    memberId: str
    rating: int | None
    content: str
    createdAt: str


class PersonExportOut(Output):
    identifier: PersonIdentifier
    recipients: list[PersonRecipientOut]
    reviewerOf: list[PersonTaskOut]
    previews: list[PersonPreviewOut]
    decisions: list[PersonDecisionOut]
    notifications: list[PersonNotificationOut]
    subscriptions: list[PersonSubscriptionOut]
    feedback: list[PersonFeedbackOut]


class PersonErasedCounts(Output):
    recipients: int = Field(description="Recipient records anonymised and removed from the directory.")
    reviewerOf: int = Field(description="Tasks they were removed from as a reviewer.")
    previews: int = Field(description="Preview deliveries kept (decision counts stay right), now anonymous.")
    decisions: int = Field(description="Decisions kept with the name replaced and the comment deleted.")
    notifications: int = Field(description="Notices to them deleted.")
    subscriptions: int = Field(description="Subscription quotas deleted.")
    feedback: int = Field(description="Answers kept with the rating only: member anonymised, text deleted.")


class PersonErasedOut(Output):
    message: str
    erased: PersonErasedCounts
