"""The feedback report: interaction rate, ratings, and the common opinions in members' words.

Reach is what the feedback link was sent to: deliveries that reached a group (state sent) of
tasks with feedback enabled, in the period, and those groups' member counts. Opinions are
found by segmenting the Chinese text with jieba, dropping stop words, punctuation and single
characters, and counting each word (and each pair of adjacent words) once per comment.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from itertools import pairwise
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.domain.actor import Actor
from pushtask.models import Delivery, Feedback, Group, Push, Task

TOP = 20
EXAMPLES = 3
# Function words and filler that say nothing about an opinion.
_STOP_TEXT = """
的 了 是 我 你 他 她 它 们 这 那 就 都 也 和 与 及 还 很 太 非常 有 在 吗 呢 吧 啊 呀 哦 嗯 一个 一下 一点
我们 你们 他们 她们 大家 觉得 希望 可以 能 会 要 没有 不 没 什么 怎么 因为 所以 但是 而且 如果 还是 就是 比较
感觉 自己 这个 那个 这样 那样 一些 已经 时候 知道 真的 其实 然后 现在 还有 应该 可能 或者 以及 对于 这次 本次
谢谢 老师 家长
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"^[\w\u4e00-\u9fff]+$")


@cache
def _jieba() -> Any:
    # jieba 0.42 imports pkg_resources and has old regex escapes: silence that, once.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba  # type: ignore[import-untyped]

    jieba.setLogLevel(logging.WARNING)
    return jieba


def segment(text: str) -> list[str]:
    """Return the words of a Chinese (or mixed) text, as jieba cuts them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        words: list[str] = _jieba().lcut(text)
    return words


def keywords(text: str) -> list[str]:
    """Return the words of a text that carry meaning: no stop words, punctuation, digits or single characters."""
    return [
        w
        for w in (t.strip().lower() for t in segment(text))
        if len(w) >= 2 and w not in STOP_WORDS and _WORD.match(w) and not w.isdigit()
    ]


def common_opinions(comments: Iterable[str], top: int = TOP) -> dict[str, list[dict[str, Any]]]:
    """Return the most frequent words and two-word phrases, each with how many comments and examples."""
    word_counts: Counter[str] = Counter()
    phrase_counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for comment in comments:
        kept = keywords(comment)
        words = set(kept)
        phrases = {a + b for a, b in pairwise(kept)}
        for item in words | phrases:
            if len(examples[item]) < EXAMPLES:
                examples[item].append(comment)
        word_counts.update(words)
        phrase_counts.update(phrases)

    def out(counter: Counter[str], minimum: int) -> list[dict[str, Any]]:
        ranked = sorted(((n, t) for t, n in counter.items() if n >= minimum), key=lambda x: (-x[0], x[1]))
        return [{"text": t, "count": n, "examples": examples[t]} for n, t in ranked[:top]]

    return {"words": out(word_counts, 1), "phrases": out(phrase_counts, 2)}


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def feedback_report(
    session: Session,
    actor: Actor,
    *,
    task_id: str | None,
    group_id: str | None,
    start: datetime | None,
    end: datetime | None,
) -> dict[str, Any]:
    """Return the report over the caller's organisation, a task or a group, in [start, end)."""
    reach = (
        select(Delivery.push_id, Delivery.group_id, Delivery.sent_at, Group.name, Group.member_count)
        .join(Push, Push.id == Delivery.push_id)
        .join(Task, Task.id == Push.task_id)
        .join(Group, Group.id == Delivery.group_id)
        .where(Delivery.org_id == actor.org_id, Delivery.state == "sent", Task.feedback_enabled.is_(True))
    )
    answers = select(Feedback).where(Feedback.org_id == actor.org_id)
    if task_id:
        reach = reach.where(Push.task_id == task_id)
        answers = answers.where(Feedback.task_id == task_id)
    if group_id:
        reach = reach.where(Delivery.group_id == group_id)
        answers = answers.where(Feedback.group_id == group_id)
    if start:
        reach = reach.where(Delivery.sent_at >= start)
        answers = answers.where(Feedback.created_at >= start)
    if end:
        reach = reach.where(Delivery.sent_at < end)
        answers = answers.where(Feedback.created_at < end)
    sent = session.execute(reach).all()
    rows = list(session.scalars(answers.order_by(Feedback.created_at)))
    names = {gid: name for _p, gid, _s, name, _m in sent}
    missing = {r.group_id for r in rows} - set(names)
    if missing:
        names.update(dict(session.execute(select(Group.id, Group.name).where(Group.id.in_(missing))).tuples().all()))

    groups: dict[str, dict[str, Any]] = {}

    def group(gid: str) -> dict[str, Any]:
        return groups.setdefault(
            gid,
            {
                "groupId": gid,
                "groupName": names.get(gid, ""),
                "deliveries": 0,
                "membersReached": 0,
                "responses": 0,
                "ratings": [],
            },
        )

    days: dict[str, dict[str, int]] = defaultdict(lambda: {"deliveries": 0, "responses": 0})
    for _push, gid, sent_at, _name, members in sent:
        g = group(gid)
        g["deliveries"] += 1
        g["membersReached"] += members
        if sent_at is not None:
            days[sent_at.date().isoformat()]["deliveries"] += 1
    ratings: Counter[int] = Counter()
    for r in rows:
        g = group(r.group_id)
        g["responses"] += 1
        days[r.created_at.date().isoformat()]["responses"] += 1
        if r.rating is not None:
            ratings[r.rating] += 1
            g["ratings"].append(r.rating)
    by_group = []
    for g in sorted(groups.values(), key=lambda x: (-x["responses"], x["groupName"])):
        scores = g.pop("ratings")
        g["interactionRate"] = _rate(g["responses"], g["membersReached"])
        g["averageRating"] = round(sum(scores) / len(scores), 2) if scores else None
        by_group.append(g)
    pushes = len({p for p, *_ in sent})
    members = sum(m for *_, m in sent)
    rated = sum(ratings.values())
    return {
        "pushes": pushes,
        "deliveries": len(sent),
        "membersReached": members,
        "responses": len(rows),
        "responsesPerPush": round(len(rows) / pushes, 4) if pushes else 0.0,
        "interactionRate": _rate(len(rows), members),
        "ratings": {str(k): ratings.get(k, 0) for k in range(1, 6)},
        "averageRating": round(sum(k * n for k, n in ratings.items()) / rated, 2) if rated else None,
        "byGroup": by_group,
        "overTime": [{"date": d, **v} for d, v in sorted(days.items())],
        "opinions": common_opinions(r.content for r in rows if r.content),
    }


CSV_COLUMNS = ["groupId", "groupName", "deliveries", "membersReached", "responses", "interactionRate", "averageRating"]


def csv_rows(report: dict[str, Any]) -> list[list[Any]]:
    """Return the report's per-group table with a total line, for CSV export."""
    rows: list[list[Any]] = [[g[c] if g[c] is not None else "" for c in CSV_COLUMNS] for g in report["byGroup"]]
    rows.append(
        [
            "ALL",
            "合计",
            report["deliveries"],
            report["membersReached"],
            report["responses"],
            report["interactionRate"],
            report["averageRating"] if report["averageRating"] is not None else "",
        ]
    )
    return rows
