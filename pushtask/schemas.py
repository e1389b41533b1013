"""Request and response shapes of the REST API (PRD §8), used to validate and to document.

Names are the PRD's camelCase. Input models forbid unknown fields so a typo is a 400,
not silently ignored. The OpenAPI document is generated from these same classes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, WithJsonSchema, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

Priority = Literal["high", "medium", "low"]
Status = Literal["draft", "scheduled", "running", "completed", "failed", "paused"]
Frequency = Literal["daily", "weekly", "monthly"]
GroupChannel = Literal["wecom_appchat", "wecom_robot", "bot_bridge", "wecom_customer_group"]
RecipientChannel = Literal["wecom", "miniprogram"]
Role = Literal["admin", "operator", "viewer"]
PreviewState = Literal["none", "pending", "confirmed", "modify_requested", "stale"]
WorkCalendar = Literal["all", "cn_workdays", "skip_cn_holidays"]
_CALENDAR_HELP = (
    "Recurring: all (every slot of the rule), cn_workdays (China's working days only: statutory holidays"
    " skipped, 调休 make-up days included), skip_cn_holidays (the rule's days, statutory holidays skipped)."
)

Id = str


def _iso_string(value: object) -> object:
    """Accept date-times only as ISO 8601 text (not numbers, which pydantic would read as Unix time)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise PydanticCustomError("datetime_parsing", "Input should be an ISO 8601 date-time") from None
    raise PydanticCustomError("datetime_type", "Input should be an ISO 8601 date-time string")


# The years the service accepts (pushtask.services.tasks.YEAR_RANGE), declared so clients know.
YEARS_1970_2199 = r"^(19[7-9][0-9]|2[01][0-9][0-9])-"
IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_iso_string),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEARS_1970_2199}),
]


def _whole(value: object) -> object:
    """JSON Schema counts 130.0 as an integer, so it is accepted as 130; 130.5 stays a float and is refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer in JSON's sense: 130 or 130.0 (strict otherwise: not "130", not true).
StrictInt = Annotated[int, BeforeValidator(_whole)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


UNIQUE: dict[str, Any] = {"uniqueItems": True}  # the service refuses repeated items ("duplicate_items")
# A name or identifier an operator types: no control characters, and not only spaces.
NO_CONTROL = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- sign-in -----------------------------------------------------------------------------------


class LoginIn(Input):
    wechatId: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserOut(Output):
    id: Id
    wechatId: str
    name: str
    role: Role
    orgId: Id
    orgName: str


class LoginOut(Output):
    token: str
    expiresAt: str
    scope: Literal["operator"] = Field(
        default="operator", description="Password sign-in always gives an operator's token (see SignInOut)."
    )
    user: UserOut


class MeOut(Output):
    user: UserOut


# ---- tasks -------------------------------------------------------------------------------------


APPID_PATTERN = r"^wx[0-9a-f]{16}$"
PAGE_PATH_PATTERN = r"^[A-Za-z0-9_\-.][A-Za-z0-9_\-./]*(\?[^\s#]*)?$"
HTTP_URL_PATTERN = r"^https?://[A-Za-z0-9][^\s/?#:@]*(:[0-9]{1,5})?([/?#][^\s]*)?$"


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


class ContentIn(Input):
    text: str | None = Field(default=None, max_length=20000)
    image: str | None = Field(default=None, max_length=255)
    # Declared only: the link's rule is checked with the other content rules, whose answer the routes shape.
    link: str | None = Field(default=None, max_length=2048, json_schema_extra={"pattern": f"^$|{HTTP_URL_PATTERN}"})
    miniprogram: MiniProgramIn | None = None


class ScheduleIn(Input):
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
        {"required": ["image"], "properties": {"image": {"type": "string"}}},
        {"required": ["link"], "properties": {"link": {"type": "string"}}},
        {"required": ["miniprogram"], "properties": {"miniprogram": {"type": "object", "minProperties": 1}}},
    ]
}


class TaskCreate(Input):
    # A scheduled task needs groups and something to send (a draft may be incomplete).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"required": ["status"], "properties": {"status": {"const": "scheduled"}}},
            "then": {
                "required": ["groups", "content"],
                "properties": {"groups": {"minItems": 1}, "content": SOMETHING_TO_SEND},
            },
        },
    )

    name: str = Field(max_length=200, pattern=NO_CONTROL)
    schedule: ScheduleIn
    content: ContentIn = Field(default_factory=ContentIn)
    groups: list[Id] = Field(default_factory=list, max_length=100, json_schema_extra=UNIQUE)
    groupTags: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = Field(
        default=None,
        max_length=20,
        description="Add every group carrying one of these tags, as they are when the task is saved (docs/groups.md).",
    )
    priority: Priority = "medium"
    status: Literal["draft", "scheduled"] = "draft"
    previewRecipients: list[Id] = Field(default_factory=list, max_length=100, json_schema_extra=UNIQUE)
    feedbackEnabled: bool = False


class TaskUpdate(Input):
    # Leave a field out to keep it; null is not "keep" and not "clear", so it is not declared.
    name: Annotated[str, Field(max_length=200, pattern=NO_CONTROL)] | SkipJsonSchema[None] = None
    schedule: SchedulePatch | SkipJsonSchema[None] = None
    content: ContentIn | None = None
    groups: Annotated[list[Id], Field(max_length=100, json_schema_extra=UNIQUE)] | SkipJsonSchema[None] = None
    groupTags: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = Field(
        default=None,
        max_length=20,
        description="Add every group carrying one of these tags, as they are when the task is saved (docs/groups.md).",
    )
    priority: Priority | None = None
    status: Literal["draft", "scheduled"] | None = None
    previewRecipients: list[Id] | None = Field(default=None, max_length=100, json_schema_extra=UNIQUE)
    feedbackEnabled: bool | None = None


class PauseIn(Input):
    resumeAt: IsoDateTime | None = None


class BatchUpdates(Input):
    schedule: SchedulePatch | None = None
    groups: list[Id] | None = Field(default=None, max_length=100, json_schema_extra=UNIQUE)
    groupTags: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = Field(
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


class TaskListOut(Output):
    tasks: list[TaskOut]
    total: int = Field(
        description="Tasks matching the filters. Exact below 5,000; a larger total may lag other"
        " sessions' changes by up to 3 s (it is reused rather than recounted on every page)."
    )
    page: int
    limit: int


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
        "create", "update", "delete", "pause", "resume", "mark_sent", "resend", "skip", "restore", "move", "undelete"
    ]
    userId: Id
    userName: str
    timestamp: str
    changes: dict[str, LogChange]


class TaskLogListOut(RootModel[list[TaskLogOut]]):
    pass


# ---- pushes ------------------------------------------------------------------------------------


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


# ---- directory ---------------------------------------------------------------------------------


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


# ---- personal data (PIPL) ----------------------------------------------------------------------

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


# ---- users -------------------------------------------------------------------------------------


class UserListItem(Output):
    id: Id
    wechatId: str
    name: str
    role: Role
    createdAt: str


class UserListOut(Output):
    users: list[UserListItem]
    total: int


class UserCreate(Input):
    wechatId: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=8, max_length=256)
    role: Role = "operator"


class UserUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    role: Role | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)


# ---- errors and health -------------------------------------------------------------------------


class FieldError(Output):
    field: str
    message: str


class ErrorOut(Output):
    error: str
    details: list[FieldError] | None = None
    reason: str | None = None


class HealthOut(Output):
    status: Literal["ok", "degraded"]
    version: str
    database: dict[str, object]
    redis: dict[str, object] | None
    scheduler: dict[str, object]
    sandbox: dict[str, object] | None = None


# ---- notifications, feedback and reports (PRD §8.6, issue 8) ----------------------------------

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


class FeedbackIn(Input):
    token: str = Field(min_length=10, max_length=1000)
    memberId: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Required unless a member's WeChat sign-in token is sent (then the token's memberId is used).",
    )
    rating: StrictInt | None = Field(default=None, ge=1, le=5)
    content: str = Field(default="", max_length=1000)


class FeedbackAccepted(Output):
    message: str
    feedbackId: int
    duplicate: bool


class FeedbackItemOut(Output):
    feedbackId: int
    taskId: Id
    groupId: Id
    userId: str
    rating: int | None
    content: str
    timestamp: str


class FeedbackListOut(Output):
    feedback: list[FeedbackItemOut]
    total: int


class GroupFeedbackOut(Output):
    groupId: Id
    groupName: str
    deliveries: int
    membersReached: int
    responses: int
    interactionRate: float
    averageRating: float | None


class DayFeedbackOut(Output):
    date: str
    deliveries: int
    responses: int


class OpinionOut(Output):
    text: str
    count: int
    examples: list[str]


class OpinionsOut(Output):
    words: list[OpinionOut]
    phrases: list[OpinionOut]


class FeedbackReportOut(Output):
    pushes: int
    deliveries: int
    membersReached: int
    responses: int
    responsesPerPush: float
    interactionRate: float
    ratings: dict[str, int]
    averageRating: float | None
    byGroup: list[GroupFeedbackOut]
    overTime: list[DayFeedbackOut]
    opinions: OpinionsOut


# ---- previews, media and templates -------------------------------------------------------------


class PreviewIn(Input):
    taskId: Id = Field(min_length=1, max_length=64)
    content: ContentIn | None = Field(default=None, description="Saved into the task first when it differs.")
    recipients: list[Id] | None = Field(default=None, max_length=100, description="Default: the task's reviewers.")


class ValidateIn(Input):
    content: ContentIn
    groups: list[Id] | None = Field(
        default=None, max_length=1000, description="Also apply these groups' channel limits."
    )
    schedule: ScheduleIn | None = Field(
        default=None, description="With groups: warn when a push would exceed a WeCom customer group's cap."
    )
    taskId: Id | None = Field(default=None, description="The task being edited (its own pushes are not counted twice).")


class ValidationOut(Output):
    isValid: bool
    errors: list[FieldError]


class QuotaWarningOut(Output):
    """A planned push a WeCom customer group could not receive: over its mass-send cap."""

    groupId: Id
    groupName: str
    date: str = Field(description="Local date (China time) of the first push over the cap.")
    count: int = Field(ge=1, description="Which mass send of its period that push would be.")
    limit: int = Field(ge=1)
    cap: Literal["days_in_month", "7_per_week", "1_per_day"]
    message: str


class ValidationResult(Output):
    validation: ValidationOut
    quotaWarnings: list[QuotaWarningOut] | None = Field(
        default=None, description="Present when a push would exceed a WeCom customer group's mass-send cap."
    )


class InvalidContentOut(Output):
    """400 of a preview: content problems in `validation`, or malformed input in `details`."""

    error: str
    validation: ValidationOut | None = None
    details: list[FieldError] | None = None


class PreviewReviewerOut(Output):
    recipientId: Id
    name: str
    channel: RecipientChannel
    status: Literal["sending", "sent", "failed", "no_quota", "no_channel"]
    decision: Literal["confirm", "modify"] | None = None
    message: str | None = None


class PreviewSent(Output):
    previewId: Id
    validation: ValidationOut
    recipients: list[PreviewReviewerOut]
    warnings: list[str]


class ConfirmIn(Input):
    previewId: Id = Field(min_length=1, max_length=64)
    response: Literal["confirm", "modify"]
    comment: str = Field(default="", max_length=500)


class DecisionOut(Output):
    response: Literal["confirm", "modify"]
    via: Literal["api", "card", "text"]
    name: str
    comment: str | None
    timestamp: str


class PreviewOut(Output):
    previewId: Id
    taskId: Id
    contentVersion: int
    content: dict[str, object]
    status: Literal["pending", "confirmed", "modify_requested"]
    stale: bool
    comment: str | None
    createdAt: str
    decidedAt: str | None
    recipients: list[PreviewReviewerOut]
    decisions: list[DecisionOut]
    variant: Literal["A", "B", "C", "D"] | None = Field(default=None, description="A/B: the variant it shows.")


class PreviewListOut(Output):
    previews: list[PreviewOut]


class SubscriptionIn(Input):
    recipientId: Id = Field(min_length=1, max_length=64)
    count: StrictInt = Field(default=1, ge=1, le=100)


class SubscriptionOut(Output):
    recipientId: Id
    remaining: int


class MediaOut(Output):
    mediaId: str
    width: int
    height: int
    bytes: int
    sha256: str
    mime: Literal["image/jpeg", "image/png"]
    url: str = Field(description="Loads the image without a sign-in (signed for this organisation) until urlExpiresAt.")
    urlExpiresAt: str
    fileName: str = Field(description="The uploaded file's name (shown in the change log).")


class TemplateIn(Input):
    name: str = Field(max_length=200, pattern=NO_CONTROL)
    content: ContentIn = Field(json_schema_extra=SOMETHING_TO_SEND)


class TemplateUpdate(Input):
    name: Annotated[str, Field(max_length=200, pattern=NO_CONTROL)] | SkipJsonSchema[None] = None
    content: ContentIn | None = None


class TemplateOut(Output):
    templateId: Id
    name: str
    content: dict[str, object]
    builtin: bool


class TemplateListOut(RootModel[list[TemplateOut]]):
    pass


class TemplateSaved(Output):
    templateId: Id
    message: str
