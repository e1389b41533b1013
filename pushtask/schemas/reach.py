"""Request and response bodies for customer-group sync and quota warnings (issue 21)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pushtask.schemas.base import Id, Input, Output


class GroupSyncIn(Input):
    channel: Literal["wecom_customer_group"] = Field(
        description="Which directory to import from; WeCom customer groups (客户联系 → 客户群) for now."
    )


class GroupSyncOut(Output):
    imported: int = Field(ge=0, description="Groups new to PushTask.")
    updated: int = Field(ge=0, description="Known groups whose name, owner or member count changed.")
    removed: int = Field(ge=0, description="Groups gone from WeCom: marked, never deleted.")


class QuotaWarningOut(Output):
    """A planned push a WeCom customer group could not receive: over its mass-send cap."""

    groupId: Id
    groupName: str
    date: str = Field(description="Local date (China time) of the first push over the cap.")
    count: int = Field(ge=1, description="Which mass send of its period that push would be.")
    limit: int = Field(ge=1)
    cap: Literal["days_in_month", "7_per_week", "1_per_day"]
    message: str
