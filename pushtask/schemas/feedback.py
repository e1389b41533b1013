"""Group members' feedback and its report (PRD §8.6, issue 8)."""

from __future__ import annotations

from pydantic import Field

from pushtask.schemas.base import Id, Input, Output, StrictInt


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
