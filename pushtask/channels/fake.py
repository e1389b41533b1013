"""An in-memory two-phase channel: what the engine and the contract test use to stand for a channel
whose sends a person confirms later (the WeCom customer-group mass send), without WeChat.

Each accepted target becomes a job (`external_ref`) awaiting its owner; the test (or the
sandbox's control API, if wired) then confirms, fails or leaves it. Reminders are limited per
job like WeCom's `remind_groupmsg_send` (once per job here by default), and refused beyond it.
It is itself tested in `tests/unit/test_fake_channel.py` and runs the channel contract.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pushtask.channels.base import (
    ActionResult,
    GroupTarget,
    Message,
    Pending,
    Reading,
    Refusal,
    SendResult,
    refused,
)

NAME = "two_phase_fake"
UNKNOWN_GROUP = 1001
REMIND_LIMIT = 41101  # "reminded too often" (the fake's own code)


@dataclass
class Job:
    external_ref: str
    target: GroupTarget
    text: str
    state: str = "awaiting_confirmation"  # | sent | failed | cancelled
    sent_at: float | None = None
    errcode: int | None = None
    reminders: int = 0


@dataclass
class TwoPhaseFake:
    """A two-phase channel kept in memory; `confirm` / `fail` play the person's part."""

    name: str = NAME
    deduplicates: bool = False
    clock: Callable[[], float] = time.time
    check_after_s: float | None = None
    max_reminders: int = 1
    unknown_refs: set[str] = field(default_factory=set)
    jobs: dict[str, Job] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # "send_batch", "check", "cancel", "remind", in order
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ---- Channel -------------------------------------------------------------------------------

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        problems = []
        if target.channel != self.name:
            problems.append(
                Refusal("target", "wrong_channel", f"该群不属于 {self.name} 渠道", f"Not a {self.name} group")
            )
        if not (message.text or message.image or message.link or message.miniprogram):
            problems.append(Refusal("text", "empty", "内容为空", "The message is empty"))
        return problems

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        [result] = await self.send_batch([target], message)
        return result

    # ---- TwoPhaseChannel -----------------------------------------------------------------------

    async def send_batch(self, targets: Sequence[GroupTarget], message: Message) -> list[SendResult]:
        self.calls.append("send_batch")
        out = []
        for target in targets:
            problems = self.validate(target, message)
            if problems:
                out.append(refused(self.name, problems))
                continue
            if target.ref in self.unknown_refs:
                out.append(
                    SendResult(
                        channel=self.name,
                        sent=False,
                        errcode=UNKNOWN_GROUP,
                        errmsg="unknown group",
                        reason_zh="群不存在或已解散，请在群列表中更新",
                        reason_en="The group does not exist; update the group list",
                        permanent=True,
                    )
                )
                continue
            ref = f"fakejob{next(self._ids)}"
            self.jobs[ref] = Job(ref, target, message.text)
            owner = target.owner or "owner"
            out.append(
                SendResult(
                    channel=self.name,
                    sent=False,
                    awaiting=True,
                    external_ref=ref,
                    check_after_s=self.check_after_s,
                    detail_zh=f"等待群主 {owner} 确认发送",
                    detail_en=f"Waiting for the group owner {owner} to confirm",
                    owner=owner,
                )
            )
        return out

    async def check(self, pending: Sequence[Pending]) -> list[Reading]:
        self.calls.append("check")
        out = []
        for p in pending:
            job = self.jobs.get(p.external_ref)
            if job is None:
                out.append(Reading("failed", errcode=404, reason_zh="群发任务不存在", reason_en="No such job"))
            elif job.state == "failed":
                out.append(Reading("failed", errcode=job.errcode, reason_zh="群主未能发送", reason_en="Not sent"))
            else:
                out.append(Reading(job.state, sent_at=job.sent_at))
        return out

    async def cancel(self, pending: Sequence[Pending]) -> list[ActionResult]:
        self.calls.append("cancel")
        out = []
        for p in pending:
            job = self.jobs.get(p.external_ref)
            if job is None or job.state != "awaiting_confirmation":
                out.append(ActionResult(False, reason_zh="已发送，无法撤回", reason_en="Already sent; cannot withdraw"))
                continue
            job.state = "cancelled"
            out.append(ActionResult(True))
        return out

    async def remind(self, pending: Sequence[Pending]) -> list[ActionResult]:
        self.calls.append("remind")
        out = []
        for p in pending:
            job = self.jobs.get(p.external_ref)
            if job is None or job.state != "awaiting_confirmation":
                out.append(ActionResult(False, reason_zh="无需提醒：已不在等待确认", reason_en="Nothing to remind"))
            elif job.reminders >= self.max_reminders:
                out.append(
                    ActionResult(
                        False,
                        errcode=REMIND_LIMIT,
                        reason_zh=f"每个群发任务最多提醒 {self.max_reminders} 次",
                        reason_en=f"A job may be reminded at most {self.max_reminders} time(s)",
                    )
                )
            else:
                job.reminders += 1
                out.append(ActionResult(True))
        return out

    # ---- the person's part ---------------------------------------------------------------------

    def confirm(self, external_ref: str, at: float | None = None) -> None:
        job = self.jobs[external_ref]
        job.state, job.sent_at = "sent", self.clock() if at is None else at

    def fail(self, external_ref: str, errcode: int = 41050) -> None:
        job = self.jobs[external_ref]
        job.state, job.errcode = "failed", errcode

    def refs_for(self, ref: str) -> list[str]:
        """The jobs created for one group (by its channel ref), oldest first."""
        return [j.external_ref for j in self.jobs.values() if j.target.ref == ref]
