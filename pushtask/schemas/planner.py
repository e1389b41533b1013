"""Request and response shapes of the planner API (issue 18): occurrences, the calendar, CSV import."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pushtask.schemas.base import Id, Input, IsoDateTime, Output, Priority, Status
from pushtask.schemas.tasks import PlannedOccurrenceOut, SkipReason


class OccurrenceMoveIn(Input):
    time: IsoDateTime = Field(description="The new time, ISO 8601; without an offset it is read in the task's zone.")


class OccurrenceChanged(Output):
    taskId: Id
    message: str
    nextFireAt: str | None
    upcoming: list[PlannedOccurrenceOut]


OccurrenceOutcome = Literal[
    "planned", "skipped", "moved", "running", "completed", "partial", "failed", "missed", "cancelled"
]


class CalendarOccurrenceOut(Output):
    taskId: Id
    name: str
    fireAt: str = Field(description="ISO 8601 with the task zone's offset.")
    status: Status = Field(description="The task's status.")
    priority: Priority
    pushId: Id | None = Field(description="The push of a past (or running) occurrence.")
    outcome: str = Field(
        description="planned (will fire), skipped / moved (will not fire here; see reason), or the push's status"
        " (running, completed, failed, missed…) for an occurrence that fired."
    )
    recurring: bool
    reason: SkipReason | None = None
    reasonText: str | None = None
    movedFrom: str | None = None
    movedTo: str | None = None
    unverified: bool = False


class CalendarOut(Output):
    occurrences: list[CalendarOccurrenceOut]
    warnings: list[str] = Field(default_factory=list, description="E.g. a year whose holidays are not published.")
    truncated: bool = Field(default=False, description="True when more than 5,000 occurrences matched.")


class ImportErrorOut(Output):
    row: int = Field(description="CSV line number of the row (the header is line 1).")
    field: str
    message: str


class ImportOut(Output):
    created: int
    dryRun: bool
    valid: int = Field(description="Rows that passed every check.")
    errors: list[ImportErrorOut]
    taskIds: list[Id] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


TagText = Annotated[str, Field(min_length=1, max_length=32)]


class GroupTagsIn(Input):
    tags: list[TagText] = Field(max_length=20, description="The group's tags; replaces the ones it had.")


class GroupTagsOut(Output):
    groupId: Id
    tags: list[str]


class TagCount(Output):
    tag: str
    groupCount: int


class TagListOut(Output):
    tags: list[TagCount]


class TrashItemOut(Output):
    taskId: Id
    name: str
    status: Status
    priority: Priority
    deletedAt: str | None
    restorableUntil: str | None


class TrashListOut(Output):
    tasks: list[TrashItemOut]
