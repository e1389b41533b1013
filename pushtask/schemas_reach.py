"""Request and response bodies for customer-group sync and quota warnings (issue 21)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pushtask.schemas import Input, Output


class GroupSyncIn(Input):
    channel: Literal["wecom_customer_group"] = Field(
        description="Which directory to import from; WeCom customer groups (客户联系 → 客户群) for now."
    )


class GroupSyncOut(Output):
    imported: int = Field(ge=0, description="Groups new to PushTask.")
    updated: int = Field(ge=0, description="Known groups whose name, owner or member count changed.")
    removed: int = Field(ge=0, description="Groups gone from WeCom: marked, never deleted.")
