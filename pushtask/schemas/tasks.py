"""Tasks: their content, schedule, list, detail, batch edits and change log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from pushtask.schemas.base import (
    NO_CONTROL,
    UNIQUE,
    Frequency,
    GroupChannel,
    Id,
    Input,
    IsoDateTime,
    Output,
    PreviewState,
    Priority,
    RecipientChannel,
    Status,
    StrictInt,
    WorkCalendar,
)
from pushtask.schemas.pushes import PushOut
from pushtask.schemas.reach import QuotaWarningOut
from pushtask.schemas.rules import RECURRING_RULES, TAG_PATTERN

_CALENDAR_HELP = (
    "Recurring: all (every slot of the rule), cn_workdays (China's working days only: statutory holidays"
    " skipped, 调休 make-up days included), skip_cn_holidays (the rule's days, statutory holidays skipped)."
)

APPID_PATTERN = r"^wx[0-9a-f]{16}$"
PAGE_PATH_PATTERN = r"^[A-Za-z0-9_\-.][A-Za-z0-9_\-./]*(\?[^\s#]*)?$"
# The host: no brackets (not an IPv6 literal) and no empty label ("a..b"), as is_http_url refuses them.
HTTP_URL_PATTERN = r"^https?://[A-Za-z0-9][^\s/?#:@\[\].]*(\.[^\s/?#:@\[\].]+)*\.?(:[0-9]{1,5})?([/?#][^\s]*)?$"


class MiniProgramIn(Input):
    # The card's rules (pushtask.domain.content), declared: an AppID, a relative page path, a title, an
    # http(s) thumbnail. The title's limit is 64 characters as a reader counts them (checked by the service).
    appid: Annotated[str, Field(max_length=64, pattern=APPID_PATTERN)] | SkipJsonSchema[None] = None
    pagePath: Annotated[str, Field(max_length=512, pattern=PAGE_PATH_PATTERN)] | (SkipJsonSchema[None]) = None
    title: Annotated[str, Field(max_length=64, pattern=NO_CONTROL)] | SkipJsonSchema[None] = None
    thumbnail: Annotated[str, Field(max_length=255, pattern=HTTP_URL_PATTERN)] | SkipJsonSchema[None] = None

    # {} means "no card"; any card has all four (refused here, so every route agrees with the document).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [{"required": ["appid", "pagePath", "title", "thumbnail"]}, {"maxProperties": 0}]},
    )

    @model_validator(mode="after")
    def _whole_card(self) -> MiniProgramIn:
        if self.model_fields_set:
            missing = [n for n in ("appid", "pagePath", "title", "thumbnail") if getattr(self, n) is None]
            if missing:
                raise PydanticCustomError("card_incomplete", "A card needs {missing}", {"missing": ",".join(missing)})
        return self


TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # as domain/content.py's _control
TEXT_HELP = "At most 500 characters as a reader counts them (an emoji is one); maxLength bounds code points."


class ContentIn(Input):
    # Declared only (the content rules refuse it with their own message, "text_control"): no control
    # characters but tab, line feed and carriage return.
    text: str | None = Field(
        default=None, max_length=20000, description=TEXT_HELP, json_schema_extra={"pattern": TEXT_PATTERN}
    )
    image: str | None = Field(default=None, max_length=255)
    # Declared only: the link's rule is checked with the other content rules, whose answer the routes shape.
    link: str | None = Field(default=None, max_length=2048, json_schema_extra={"pattern": f"^$|{HTTP_URL_PATTERN}"})
    miniprogram: MiniProgramIn | None = None


class ScheduleIn(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra=RECURRING_RULES)
    type: Literal["once", "recurring"]
    time: IsoDateTime = Field(
        description="First (or only) push time, ISO 8601; without an offset it is read in `timezone`."
    )
    timezone: str | None = Field(default=None, max_length=64, description="IANA zone; default: the organisation's.")
    recurringInterval: Frequency | None = None
    interval: StrictInt = Field(default=1, ge=1, le=366, description="Every N days/weeks/months.")
    weekdays: list[StrictInt] | None = Field(default=None, max_length=7, description="Weekly: ISO weekdays, 1=Monday.")
    monthDay: StrictInt | None = Field(
        default=None, ge=1, le=31, description="Monthly: day of month; 29–31 clamp to month end."
    )
    recurringEnd: IsoDateTime | None = None
    endAfter: StrictInt | None = Field(default=None, ge=1, le=1000, description="End after this many pushes.")
    calendar: WorkCalendar = Field(default="all", description=_CALENDAR_HELP)


class SchedulePatch(Input):
    # Leave type, time or timezone out to keep them; null is refused, so it is not declared.
    type: Literal["once", "recurring"] | SkipJsonSchema[None] = None
    time: IsoDateTime | SkipJsonSchema[None] = None
    timezone: Annotated[str, Field(max_length=64)] | SkipJsonSchema[None] = None
    recurringInterval: Frequency | None = None
    interval: StrictInt | None = Field(default=None, ge=1, le=366)
    weekdays: list[StrictInt] | None = Field(default=None, max_length=7)
    monthDay: StrictInt | None = Field(default=None, ge=1, le=31)
    recurringEnd: IsoDateTime | None = None
    endAfter: StrictInt | None = Field(default=None, ge=1, le=1000)
    calendar: WorkCalendar | None = Field(default=None, description=_CALENDAR_HELP)


SOMETHING_TO_SEND: dict[str, Any] = {
    "anyOf": [
        {"required": ["text"], "properties": {"text": {"type": "string", "pattern": r"\S"}}},
        {"required": ["image"], "properties": {"image": {"type": "string", "minLength": 1}}},
        {"required": ["link"], "properties": {"link": {"type": "string", "minLength": 1}}},
        {"required": ["miniprogram"], "properties": {"miniprogram": {"type": "object", "minProperties": 1}}},
    ]
}


VariantKey = Literal["A", "B", "C", "D"]
_VARIANTS_HELP = (
    "A/B test: 2–4 versions of the content (keys A–D, each once) instead of one `content`; every occurrence"
    " splits the groups between them, balanced by member count and the same for the same groups. Needs at"
    " least as many groups as variants. Each version passes the same content rules as `content`."
)
_VARIANT_GROUPS_HELP = (
    'Optional: groups assigned to a variant by hand ({"A": [groupId, …]}); each must be one of the task\'s'
    " groups and under one key only. The groups not listed are split automatically."
)


class VariantIn(Input):
    key: VariantKey
    content: ContentIn


VariantGroups = dict[VariantKey, Annotated[list[Id], Field(max_length=100, json_schema_extra=UNIQUE)]]

# `content` and `variants` together is refused (which would be sent?).
_ONE_OR_THE_OTHER: dict[str, Any] = {
    "not": {
        "required": ["content", "variants"],
        "properties": {"variants": {"type": "array"}, "content": {"type": "object"}},
    }
}


class TaskCreate(Input):
    # A scheduled task needs groups and something to send: one content, or its variants (a draft may be
    # incomplete).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "if": {"required": ["status"], "properties": {"status": {"const": "scheduled"}}},
                    "then": {
                        "required": ["groups"],
                        "properties": {"groups": {"minItems": 1}},
                        "anyOf": [
                            {
                                "required": ["variants"],
                                "properties": {
                                    "variants": {
                                        "type": "array",
                                        "items": {"properties": {"content": SOMETHING_TO_SEND}},
                                    }
                                },
                            },
                            {"required": ["content"], "properties": {"content": SOMETHING_TO_SEND}},
                        ],
                    },
                },
                _ONE_OR_THE_OTHER,
            ]
        },
    )

    name: str = Field(max_length=200, pattern=NO_CONTROL)
    schedule: ScheduleIn
    content: ContentIn = Field(default_factory=ContentIn)
    groups: list[Id] = Field(default_factory=list, max_length=100, json_schema_extra=UNIQUE)
    groupTags: list[Annotated[str, Field(min_length=1, max_length=32, pattern=TAG_PATTERN)]] | None = Field(
        default=None,
        max_length=20,
        description="Add every group carrying one of these tags, as they are when the task is saved (docs/groups.md).",
    )
    priority: Priority = "medium"
    status: Literal["draft", "scheduled"] = "draft"
    previewRecipients: list[Id] = Field(default_factory=list, max_length=100, json_schema_extra=UNIQUE)
    feedbackEnabled: bool = False
    variants: Annotated[list[VariantIn], Field(min_length=2, max_length=4)] | None = Field(
        default=None, description=_VARIANTS_HELP + " null or absent: one `content`."
    )
    variantGroups: VariantGroups | None = Field(default=None, description=_VARIANT_GROUPS_HELP)


class TaskUpdate(Input):
    # Leave a field out to keep it; null is not "keep" and not "clear", so it is not declared.
    model_config = ConfigDict(extra="forbid", json_schema_extra=_ONE_OR_THE_OTHER)

    name: Annotated[str, Field(max_length=200, pattern=NO_CONTROL)] | SkipJsonSchema[None] = None
    schedule: SchedulePatch | SkipJsonSchema[None] = None
    content: ContentIn | None = None
    groups: Annotated[list[Id], Field(max_length=100, json_schema_extra=UNIQUE)] | SkipJsonSchema[None] = None
    groupTags: list[Annotated[str, Field(min_length=1, max_length=32, pattern=TAG_PATTERN)]] | None = Field(
        default=None,
        max_length=20,
        description="Add every group carrying one of these tags, as they are when the task is saved (docs/groups.md).",
    )
    priority: Priority | None = None
    status: Literal["draft", "scheduled"] | None = None
    previewRecipients: list[Id] | None = Field(default=None, max_length=100, json_schema_extra=UNIQUE)
    feedbackEnabled: bool | None = None
    variants: Annotated[list[VariantIn], Field(min_length=2, max_length=4)] | None = Field(
        default=None,
        description=_VARIANTS_HELP + " Replaces the task's variants; null removes them (the task keeps variant"
        " A's content, or `content` when given).",
    )
    variantGroups: VariantGroups | None = Field(
        default=None, description=_VARIANT_GROUPS_HELP + " null: all automatic."
    )


class PauseIn(Input):
    resumeAt: IsoDateTime | None = None


class BatchUpdates(Input):
    schedule: SchedulePatch | None = None
    groups: list[Id] | None = Field(default=None, max_length=100, json_schema_extra=UNIQUE)
    groupTags: list[Annotated[str, Field(min_length=1, max_length=32, pattern=TAG_PATTERN)]] | None = Field(
        default=None,
        max_length=20,
        description="Add every group carrying one of these tags, as they are when the task is saved (docs/groups.md).",
    )
    previewRecipients: list[Id] | None = Field(default=None, max_length=100, json_schema_extra=UNIQUE)
    resumeAt: IsoDateTime | None = None


class BatchIn(Input):
    # What the route checks, declared: `updates` only with edit (at least one of schedule, groups,
    # previewRecipients) or pause (its resumeAt).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"action": {"enum": ["delete", "resume", "copy"]}}},
                    "then": {"properties": {"updates": {"type": "null"}}},
                },
                {
                    "if": {"properties": {"action": {"const": "edit"}}},
                    "then": {
                        "required": ["updates"],
                        "properties": {
                            "updates": {
                                "type": "object",
                                "anyOf": [
                                    {"required": ["schedule"]},
                                    {"required": ["groups"]},
                                    {"required": ["previewRecipients"]},
                                ],
                            }
                        },
                    },
                },
            ]
        },
    )

    taskIds: list[Id] = Field(min_length=1, max_length=500)
    action: Literal["delete", "pause", "resume", "copy", "edit"]
    updates: BatchUpdates | None = None


class ScheduleOut(Output):
    type: Literal["once", "recurring"]
    time: str
    timezone: str
    recurringInterval: Frequency | None
    interval: int
    weekdays: list[int] | None
    monthDay: int | None
    recurringEnd: str | None
    endAfter: int | None
    calendar: WorkCalendar = "all"


class MiniProgramOut(Output):
    appid: str | None = None
    pagePath: str | None = None
    title: str | None = None
    thumbnail: str | None = None


class ContentOut(Output):
    text: str | None
    image: str | None
    link: str | None
    miniprogram: MiniProgramOut | None
    imageUrl: str | None = Field(
        default=None, description="A fresh signed link that loads the image without a sign-in (about an hour)."
    )
    imageName: str | None = Field(default=None, description="The image's file name as uploaded.")


class VariantOut(Output):
    key: VariantKey
    content: ContentOut


class TaskOut(Output):
    taskId: Id
    name: str
    schedule: ScheduleOut
    scheduleText: str
    content: ContentOut
    contentVersion: int
    groups: list[Id]
    groupNames: list[str]
    priority: Priority
    status: Status
    creatorId: Id
    creatorName: str
    previewRecipients: list[Id]
    previewRecipientNames: list[str]
    previewState: PreviewState
    nextFireAt: str | None
    pausedUntil: str | None
    createdAt: str
    updatedAt: str
    feedbackEnabled: bool = False
    variants: list[VariantOut] | None = Field(
        default=None,
        description="The A/B variants (absent for a task with one content); `content` is then variant A's.",
    )


class GroupRef(Output):
    groupId: Id
    name: str
    channel: GroupChannel


class RecipientRef(Output):
    recipientId: Id
    name: str
    wechatId: str
    channel: RecipientChannel


SkipReason = Literal["holiday", "skipped", "moved"]


class PlannedOccurrenceOut(Output):
    """One slot of a task's schedule: when it fires, or why it does not."""

    fireAt: str = Field(description="ISO 8601 with the task zone's offset: the fire time, or the slot's own time.")
    fires: bool
    reason: SkipReason | None = Field(
        default=None, description="Why it does not fire: a public holiday, skipped by hand, or moved elsewhere."
    )
    reasonText: str | None = Field(default=None, description="The reason in the caller's language, e.g. 国庆节.")
    movedFrom: str | None = None
    movedTo: str | None = None
    unverified: bool = Field(default=False, description="In a year whose China public holidays are not published yet.")


class TaskDetailOut(TaskOut):
    groupsDetail: list[GroupRef]
    recipientsDetail: list[RecipientRef]
    upcoming: list[str]
    lastResult: PushOut | None
    upcomingPlan: list[PlannedOccurrenceOut] = Field(
        default_factory=list,
        description="The next five pushes with the slots between them that will not fire (holiday, skipped, moved).",
    )
    calendarWarnings: list[str] = Field(
        default_factory=list, description="E.g. 2028 年节假日安排尚未公布 for a year the holiday data lacks."
    )
    variantGroups: dict[VariantKey, list[Id]] | None = Field(
        default=None,
        description="Which variant each group receives at the next occurrence (the hand-assigned ones and the"
        " automatic split), absent without variants.",
    )
    variantPinned: dict[VariantKey, list[Id]] | None = Field(
        default=None, description="The groups assigned by hand (absent: none)."
    )


class TaskListOut(Output):
    tasks: list[TaskOut]
    total: int = Field(
        description="Tasks matching the filters. Exact below 5,000; a larger total may lag other"
        " sessions' changes by up to 3 s (it is reused rather than recounted on every page)."
    )
    page: int
    limit: int


class AdoptOut(Output):
    taskId: Id
    message: str
    adopted: VariantKey


class TaskCreated(Output):
    taskId: Id
    message: str
    warnings: list[str] = Field(default_factory=list, description="E.g. 2028 年节假日安排尚未公布.")
    quotaWarnings: list[QuotaWarningOut] | None = Field(
        default=None, description="Present when a push would exceed a WeCom customer group's mass-send cap."
    )


class MessageOut(Output):
    message: str


class FailedTask(Output):
    taskId: Id
    error: str


class BatchResult(Output):
    taskId: Id
    ok: bool
    newTaskId: Id | None = None


class BatchOut(Output):
    message: str
    failedTasks: list[FailedTask]
    results: list[BatchResult]


class LogChange(Output):
    old: object = None
    new: object = None


class TaskLogOut(Output):
    logId: Id
    taskId: Id
    action: Literal[
        "create",
        "update",
        "delete",
        "pause",
        "resume",
        "mark_sent",
        "resend",
        "skip",
        "restore",
        "move",
        "undelete",
        "auto_verify",
    ]
    userId: Id
    userName: str
    timestamp: str
    changes: dict[str, LogChange]


class TaskLogListOut(RootModel[list[TaskLogOut]]):
    pass
