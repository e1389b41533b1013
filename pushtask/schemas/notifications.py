"""Notifications (PRD §8.6, issue 8): sending, the inbox and a recipient's settings."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pushtask.schemas.base import UNIQUE, Id, Input, Output, StrictInt

NotificationType = Literal["reminder", "result", "preview"]
NotifyChannel = Literal["wecom", "miniprogram", "inbox"]


class NotificationContentIn(Input):
    message: str = Field(min_length=1, max_length=500)
    status: Literal["success", "failed"] | None = None
    error: str | None = Field(default=None, max_length=500)


class NotificationIn(Input):
    userId: Id
    type: NotificationType
    taskId: Id | None = None
    content: NotificationContentIn


class NotificationSent(Output):
    message: str
    notificationId: int
    state: str


class InboxItemOut(Output):
    id: int
    type: str
    title: str
    body: str
    link: str | None
    taskId: Id | None
    createdAt: str
    read: bool


class InboxOut(Output):
    notifications: list[InboxItemOut]
    total: int
    unread: int


class MarkReadIn(Input):
    ids: list[Annotated[StrictInt, Field(ge=1, le=2**53)]] | None = Field(default=None, max_length=500)


class MarkedOut(Output):
    marked: int


class NotificationSettingsIn(Input):
    recipientId: Id | None = None
    channels: list[NotifyChannel] = Field(
        default_factory=lambda: list[NotifyChannel](["wecom", "miniprogram", "inbox"]),
        max_length=3,
        json_schema_extra=UNIQUE,
    )
    muteReminders: bool = False


class NotificationSettingsOut(Output):
    recipientId: Id | None
    channels: list[str]
    muteReminders: bool
