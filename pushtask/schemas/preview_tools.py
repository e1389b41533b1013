"""One group's rendering of the content, and a test sent to oneself (issue 18, item 7)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pushtask.schemas.base import Id, Input, Output
from pushtask.schemas.tasks import ContentIn, MiniProgramOut


class RenderIn(Input):
    content: ContentIn
    groupId: Id = Field(min_length=1, max_length=64, description="The group whose name fills {{群名}}.")
    taskId: Id | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="{{日期}} is this task's next push date; without a task, today in the organisation's zone.",
    )


class RenderedContentOut(Output):
    text: str | None
    link: str | None
    miniprogram: MiniProgramOut | None


class RenderOut(Output):
    groupId: Id
    groupName: str
    date: str = Field(description="The date {{日期}} was filled with (YYYY-MM-DD).")
    content: RenderedContentOut


class SelfTestIn(Input):
    taskId: Id = Field(min_length=1, max_length=64)
    content: ContentIn | None = Field(
        default=None, description="What to send (the form's, not saved); default: the task's saved content."
    )


class SelfTestOut(Output):
    status: Literal["sent", "failed", "queued"] = Field(
        description="queued: the channel asked to retry later; the engine keeps trying."
    )
    channel: Literal["wecom", "miniprogram"]
    to: str = Field(description="Who it went to: the linked recipient's name, or yours for the WeChat you bound.")
    message: str
