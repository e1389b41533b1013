"""Request and response shapes of tracked links and the engagement report (issue 19)."""

from __future__ import annotations

from pydantic import Field

from pushtask.schemas import Input, OpinionsOut, Output


class LinkOpenIn(Input):
    memberId: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="The mini program's per-phone member id: the open and that member's answers count as one person.",
    )


class LinkOpenOut(Output):
    counted: bool = Field(description="False when the caller is a bot or a link-preview fetcher.")


class LinkSettingsIn(Input):
    tracking: bool = Field(description="Send each group its own short link and count clicks (false: original links).")


class LinkSettingsOut(Output):
    tracking: bool


class EngagementDefinitionOut(Output):
    interactionRate: str
    interactionRateEn: str
    details: str
    detailsEn: str


class EngagementFiguresOut(Output):
    membersReached: int = Field(description="Sum of the member counts of the groups reached.")
    clicks: int = Field(description="Short-link visits and mini-program opens (bots not counted).")
    uniqueClickers: int = Field(description="Distinct visitors among the clicks (per group).")
    answers: int = Field(description="Feedback answers.")
    averageRating: float | None
    interactors: int = Field(description="Distinct people who clicked or answered (per group).")
    interactionRate: float = Field(description="interactors / membersReached (0 when nobody was reached).")


class EngagementRowOut(EngagementFiguresOut):
    pushId: str
    taskId: str
    taskName: str
    groupId: str
    groupName: str
    variant: str | None = Field(description="The A/B variant the group received; null: the task's one content.")


class EngagementPushOut(EngagementFiguresOut):
    pushId: str
    taskId: str
    taskName: str
    taskDeleted: bool
    firedAt: str
    groups: int


class IntervalOut(Output):
    low: float
    high: float


class EngagementVariantOut(EngagementFiguresOut):
    variant: str | None
    groups: int
    interval: IntervalOut | None = Field(description="95 % Wilson interval of the interaction rate.")


class EngagementTotalsOut(EngagementFiguresOut):
    pushes: int
    groups: int


class EngagementComparisonOut(Output):
    test: str | None = Field(description='"two-proportion z-test" (2 variants), "chi-square" (3–4), null: one content.')
    statistic: float | None
    df: int | None
    pValue: float | None
    enoughData: bool
    significant: bool
    verdict: str
    verdictEn: str


class EngagementDayOut(Output):
    date: str
    membersReached: int
    clicks: int
    newClickers: int = Field(description="People who first clicked a push's link in their group on this day.")
    answers: int


class EngagementReportOut(Output):
    definition: EngagementDefinitionOut
    from_: str | None = Field(alias="from")
    to: str | None
    totals: EngagementTotalsOut
    pushes: list[EngagementPushOut]
    rows: list[EngagementRowOut]
    variants: list[EngagementVariantOut]
    comparison: EngagementComparisonOut
    overTime: list[EngagementDayOut]
    ratings: dict[str, int]
    opinions: OpinionsOut
