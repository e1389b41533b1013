"""The directory: groups and recipients."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from pushtask.schemas.base import NO_CONTROL, GroupChannel, Id, Input, Output, RecipientChannel, StrictInt


class GroupOut(Output):
    groupId: Id
    name: str
    channel: GroupChannel
    memberCount: int
    ownerUserid: str | None = Field(default=None, description="WeCom customer group: the owner's userid.")
    ownerName: str | None = Field(default=None, description="WeCom customer group: the owner's name.")
    removedFromWecom: bool | None = Field(default=None, description="True when a sync no longer found it in WeCom.")
    tags: list[str] = Field(default_factory=list, description="The group's tags (in the list; absent: none).")


class GroupListOut(Output):
    groups: list[GroupOut]
    total: int


class GroupCreate(Input):
    # A customer group is sent by its owner: the owner's userid is required with that channel.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"required": ["channel"], "properties": {"channel": {"const": "wecom_customer_group"}}},
            "then": {"required": ["ownerUserid"], "properties": {"ownerUserid": {"type": "string"}}},
        },
    )

    name: str = Field(min_length=1, max_length=100, pattern=NO_CONTROL)
    channel: GroupChannel
    channelRef: str = Field(
        min_length=1, max_length=512, pattern=NO_CONTROL, description="chatid, robot key or room id; write-only."
    )
    memberCount: StrictInt = Field(default=0, ge=0, le=100000)
    ownerUserid: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=NO_CONTROL,
        description="wecom_customer_group: the owner's WeCom userid.",
    )


class GroupUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=NO_CONTROL)
    channel: GroupChannel | None = None
    channelRef: str | None = Field(default=None, min_length=1, max_length=512, pattern=NO_CONTROL)
    memberCount: StrictInt | None = Field(default=None, ge=0, le=100000)
    ownerUserid: str | None = Field(default=None, min_length=1, max_length=64, pattern=NO_CONTROL)


class RecipientOut(Output):
    recipientId: Id
    name: str
    wechatId: str
    channel: RecipientChannel


class RecipientListOut(Output):
    recipients: list[RecipientOut]
    total: int


class RecipientCreate(Input):
    name: str = Field(min_length=1, max_length=50, pattern=NO_CONTROL)
    wechatId: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    channel: RecipientChannel
    channelUserId: str = Field(
        min_length=1,
        max_length=128,
        pattern=NO_CONTROL,
        description="WeCom userid or mini-program openid; write-only.",
    )


class RecipientUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=50, pattern=NO_CONTROL)
    wechatId: str | None = Field(default=None, min_length=1, max_length=64, pattern=NO_CONTROL)
    channel: RecipientChannel | None = None
    channelUserId: str | None = Field(default=None, min_length=1, max_length=128, pattern=NO_CONTROL)


class CreatedId(Output):
    id: Id
    message: str
