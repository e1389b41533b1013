"""The in-package two-phase channel behaves like the real kind: jobs, owners, limits, unknown groups."""

from __future__ import annotations

import asyncio

from pushtask.channels.base import GroupTarget, Message, Pending
from pushtask.channels.fake import UNKNOWN_GROUP, TwoPhaseFake


def test_unknown_group_fails_permanently_and_others_still_wait() -> None:
    fake = TwoPhaseFake(clock=lambda: 100.0, unknown_refs={"gone"})
    targets = [GroupTarget(1, "a", fake.name, "gone"), GroupTarget(2, "b", fake.name, "ok", owner="li")]
    gone, ok = asyncio.run(fake.send_batch(targets, Message(text="hi")))
    assert not gone.sent and gone.permanent and gone.errcode == UNKNOWN_GROUP and not gone.awaiting
    assert ok.awaiting and ok.owner == "li" and "li" in ok.detail_zh
    assert fake.refs_for("ok") == [ok.external_ref] and fake.refs_for("gone") == []


def test_confirm_uses_the_clock_and_a_sent_job_cannot_be_reminded() -> None:
    fake = TwoPhaseFake(clock=lambda: 42.0)
    target = GroupTarget(1, "a", fake.name, "r")
    [result] = asyncio.run(fake.send_batch([target], Message(text="hi")))
    fake.confirm(result.external_ref)
    pending = [Pending(target, result.external_ref, 0.0)]
    [outcome] = asyncio.run(fake.check(pending))
    assert outcome.state == "sent" and outcome.sent_at == 42.0
    [answer] = asyncio.run(fake.remind(pending))
    assert not answer.ok and answer.reason_en
    assert fake.calls == ["send_batch", "check", "remind"]
