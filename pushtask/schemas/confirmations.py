"""Responses of the two-phase endpoints: refresh a push's awaiting groups, remind their owners."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pushtask.schemas.base import Id, Input, Output
from pushtask.schemas.pushes import PushDetailOut

DeliveryState = Literal[
    "pending", "sending", "sent", "failed", "uncertain", "awaiting_confirmation", "cancelled", "unconfirmed"
]


class RemindIn(Input):
    # Only these groups' owners (a WeCom reminder goes to the owner, for all their groups of the send).
    groupIds: list[Id] | None = Field(default=None, min_length=1, max_length=100)


class ReminderOut(Output):
    groupId: Id
    groupName: str
    accepted: bool
    errcode: int | None
    reason: str | None  # why the channel refused (its own limits), null when accepted
    state: DeliveryState


class RemindOut(Output):
    pushId: Id
    reminders: list[ReminderOut]


class RefreshOut(PushDetailOut):
    checked: int  # how many awaiting groups the channel was asked about
