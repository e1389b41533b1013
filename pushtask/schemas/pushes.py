"""Pushes: starting one, its deliveries, resending and marking groups sent."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pushtask.schemas.base import GroupChannel, Id, Input, Output


class PushIn(Input):
    taskId: Id = Field(min_length=1, max_length=64)


class PushStarted(Output):
    message: str
    pushId: Id


class FailedGroup(Output):
    groupId: Id
    error: str


class DeliveryOut(Output):
    groupId: Id
    groupName: str
    channel: GroupChannel
    state: Literal[
        "pending", "sending", "sent", "failed", "uncertain", "awaiting_confirmation", "cancelled", "unconfirmed"
    ]
    attempts: int
    errcode: int | None
    error: str | None
    firstAttemptAt: str | None
    lastAttemptAt: str | None = Field(description="When the latest attempt started.")
    requestSent: bool | None = Field(
        description="Of the latest failed or uncertain attempt: the request was fully sent (true), never left "
        "(false), or it is not known (null: timed out, broken mid-way, or the worker stopped)."
    )
    sentAt: str | None
    # Two-phase channels (a person confirms the send later); null for other channels.
    detail: str | None
    externalRef: str | None
    owner: str | None
    ownerName: str | None = Field(description="The group owner's name (who must confirm the send), else null.")
    deadlineAt: str | None
    reminders: int
    remindRefused: str | None


class AwaitingOwnerOut(Output):
    owner: str | None = Field(description="The owner's userid in the channel (WeCom), null when not known.")
    ownerName: str = Field(description="The owner's name (the userid when the directory has no name).")
    groups: int = Field(ge=1, description="How many of the push's groups wait for this owner.")


class PushOut(Output):
    pushId: Id
    taskId: Id
    status: Literal["running", "completed", "failed", "missed"]
    trigger: str
    fireAt: str
    sentGroups: list[Id]
    failedGroups: list[FailedGroup]
    uncertainGroups: list[Id]
    awaitingGroups: list[Id]
    unconfirmedGroups: list[Id]
    awaitingOwners: list[AwaitingOwnerOut] = Field(
        description="Who must still confirm the send (two-phase channels), most groups first."
    )
    total: int
    sentCount: int
    failedCount: int
    uncertainCount: int
    awaitingCount: int
    unconfirmedCount: int
    cancelledCount: int
    missedCount: int
    contentVersion: int
    timestamp: str
    firstSentAt: str | None
    finishedAt: str | None


class PushDetailOut(PushOut):
    groups: list[DeliveryOut]


class PushListOut(Output):
    pushes: list[PushOut]
    total: int


class ResendIn(Input):
    groupIds: list[Id] | None = Field(default=None, max_length=100)


class ResendOut(Output):
    message: str
    queued: int


class MarkSentIn(Input):
    groupIds: list[Id] | None = Field(
        default=None, max_length=100, description="Default: every uncertain group of the push."
    )


class MarkSentOut(Output):
    message: str
    marked: int
