"""The engagement report: what each push achieved, per push, group and A/B variant, and over time.

Every figure is counted in SQL (Core SELECTs with GROUP BY), so the report stays fast on a million
clicks; Python only joins the few aggregated rows, runs the variant comparison and finds the common
words of the answers (jieba, pushtask.notify.report.common_opinions).

What is counted:
- a push is counted when it reached at least one group (a delivery `sent`), whatever the task (also
  deleted tasks and tasks without feedback); the window selects pushes by their fire time;
- members reached: the member counts of the groups a push reached;
- clicks: counted visits of the group's short link (bots and link-preview fetchers are not written)
  and mini-program opens; unique clickers: distinct visitor keys among them;
- answers: feedback answers to the push from that group; average rating over the rated ones;
- interaction rate = unique (clickers ∪ answerers) / members reached. A clicker is a visitor key
  (phone and network, per day) or the member id the mini program reports; an answerer is the member
  who answered — someone who opened the mini program and answered counts once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, select, text
from sqlalchemy.orm import Session

from pushtask.domain import stats
from pushtask.models import Delivery, Feedback, Group, LinkDaily, LinkVisitor, Organization, Push, Task
from pushtask.notify.report import common_opinions
from pushtask.services.context import Actor

DEFINITION = {
    "interactionRate": "互动率 = 去重后的（点击链接或打开小程序的人 ∪ 提交反馈的人）÷ 触达成员数",
    "interactionRateEn": "interaction rate = unique (people who clicked or opened ∪ people who answered) ÷ members"
    " reached",
    "details": "触达成员数：推送成功送达的群的成员数之和；点击：短链接被打开的次数（不含机器人和链接预览抓取），"
    "唯一点击人数：按访问者标识去重（同一手机同一网络同一天算一人）；反馈：该群对该次推送的反馈条数。"
    "按推送时间筛选推送；按天统计时点击按任务时区的日期，“新点击人数”为当天首次点击该推送链接的人。",
    "detailsEn": "members reached: the member counts of the groups the push reached; clicks: opens of the short link"
    " (bots and link previews not counted) and mini-program opens; unique clickers: distinct visitors (one phone on one"
    " network on one day); answers: feedback answers from that group to that push. Pushes are selected by fire time;"
    " per day, clicks are dated in the task's zone and new clickers are those who first clicked that push's link"
    " that day; sends and answers are dated in the organisation's zone.",
}
OPINION_SAMPLE = 2000  # the newest answers whose words are counted
METRICS = ("membersReached", "clicks", "uniqueClickers", "answers", "interactors")


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _day(column: Any, minutes: int, dialect: str) -> ColumnElement[Any]:
    """The calendar date of a UTC timestamp in a fixed offset (the organisation's zone's, at report time)."""
    if dialect == "sqlite":
        return func.date(column, f"{minutes:+d} minutes")
    return func.date(func.date_add(column, text(f"INTERVAL {int(minutes)} MINUTE")))


def engagement_report(
    session: Session,
    actor: Actor,
    *,
    task_id: str | None,
    group_id: str | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """Return the engagement report over the caller's organisation (or a task, or a group), pushes in [start, end)."""
    org = actor.org_id
    pushes_q = select(Push.id).where(Push.org_id == org)
    if task_id:
        pushes_q = pushes_q.where(Push.task_id == task_id)
    if start:
        pushes_q = pushes_q.where(Push.fire_at >= start)
    if end:
        pushes_q = pushes_q.where(Push.fire_at < end)
    in_window = pushes_q.subquery()

    def scoped(query: Select[Any], push_col: Any, group_col: Any) -> Select[Any]:
        query = query.where(push_col.in_(select(in_window.c.id)))
        return query.where(group_col == group_id) if group_id else query

    reach = scoped(
        select(
            Delivery.push_id,
            Delivery.group_id,
            Delivery.variant,
            Group.name,
            Group.member_count,
            Delivery.sent_at,
        )
        .join(Group, Group.id == Delivery.group_id)
        .where(Delivery.org_id == org, Delivery.state == "sent"),
        Delivery.push_id,
        Delivery.group_id,
    )
    clicks = scoped(
        select(LinkDaily.push_id, LinkDaily.group_id, func.sum(LinkDaily.clicks), func.sum(LinkDaily.visitors))
        .where(LinkDaily.org_id == org)
        .group_by(LinkDaily.push_id, LinkDaily.group_id),
        LinkDaily.push_id,
        LinkDaily.group_id,
    )
    answers = scoped(
        select(
            Feedback.push_id,
            Feedback.group_id,
            func.count(),
            func.count(Feedback.rating),
            func.sum(Feedback.rating),
            func.count(func.distinct(Feedback.member_hash)),
        )
        .where(Feedback.org_id == org)
        .group_by(Feedback.push_id, Feedback.group_id),
        Feedback.push_id,
        Feedback.group_id,
    )
    # Answerers who also clicked (the mini program names its member): counted once among interactors.
    both = scoped(
        select(Feedback.push_id, Feedback.group_id, func.count(func.distinct(Feedback.member_hash)))
        .join(
            LinkVisitor,
            and_(
                LinkVisitor.push_id == Feedback.push_id,
                LinkVisitor.group_id == Feedback.group_id,
                LinkVisitor.visitor == Feedback.member_hash,
            ),
        )
        .where(Feedback.org_id == org)
        .group_by(Feedback.push_id, Feedback.group_id),
        Feedback.push_id,
        Feedback.group_id,
    )

    reached = session.execute(reach).all()
    click_counts = {(p, g): (int(n or 0), int(u or 0)) for p, g, n, u in session.execute(clicks)}
    answer_counts = {
        (p, g): (int(n), int(r), int(total or 0), int(people)) for p, g, n, r, total, people in session.execute(answers)
    }
    overlap = {(p, g): int(n) for p, g, n in session.execute(both)}
    push_ids = sorted({p for p, *_ in reached})
    push_info = (
        {
            pid: (tid, name, deleted, fire_at)
            for pid, tid, name, deleted, fire_at in session.execute(
                select(Push.id, Push.task_id, Task.name, Task.deleted_at.is_not(None), Push.fire_at)
                .join(Task, Task.id == Push.task_id)
                .where(Push.id.in_(push_ids))
            )
        }
        if push_ids
        else {}
    )

    rows: list[dict[str, Any]] = []
    rating_sums: dict[tuple[str, str], tuple[int, int]] = {}
    for push_id, gid, variant, group_name, members, _sent_at in reached:
        key = (push_id, gid)
        n_clicks, unique = click_counts.get(key, (0, 0))
        n_answers, rated, rating_sum, answerers = answer_counts.get(key, (0, 0, 0, 0))
        rating_sums[key] = (rated, rating_sum)
        people_n = unique + answerers - overlap.get(key, 0)
        task, task_name, _deleted, _fire = push_info[push_id]
        rows.append(
            {
                "pushId": push_id,
                "taskId": task,
                "taskName": task_name,
                "groupId": gid,
                "groupName": group_name,
                "variant": variant,
                "membersReached": int(members or 0),
                "clicks": n_clicks,
                "uniqueClickers": unique,
                "answers": n_answers,
                "averageRating": round(rating_sum / rated, 2) if rated else None,
                "interactors": people_n,
                "interactionRate": _rate(people_n, int(members or 0)),
            }
        )
    rows.sort(key=lambda r: (push_info[r["pushId"]][3], r["pushId"], r["variant"] or "", r["groupName"], r["groupId"]))

    def total(items: list[dict[str, Any]], keys: list[tuple[str, str]]) -> dict[str, Any]:
        out: dict[str, Any] = {m: sum(i[m] for i in items) for m in METRICS}
        rated = sum(rating_sums[k][0] for k in keys)
        out["averageRating"] = round(sum(rating_sums[k][1] for k in keys) / rated, 2) if rated else None
        out["interactionRate"] = _rate(out["interactors"], out["membersReached"])
        return out

    by_push: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_variant: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_push[r["pushId"]].append(r)
        by_variant[r["variant"]].append(r)
    pushes = []
    for pid in sorted(by_push, key=lambda p: (push_info[p][3], p)):
        task, task_name, deleted, fire_at = push_info[pid]
        items = by_push[pid]
        pushes.append(
            {
                "pushId": pid,
                "taskId": task,
                "taskName": task_name,
                "taskDeleted": bool(deleted),
                "firedAt": fire_at.isoformat(),
                "groups": len(items),
                **total(items, [(pid, i["groupId"]) for i in items]),
            }
        )
    variants = []
    for variant in sorted(by_variant, key=lambda v: (v is not None, v or "")):
        items = by_variant[variant]
        summary = total(items, [(i["pushId"], i["groupId"]) for i in items])
        interval = stats.wilson(summary["interactors"], summary["membersReached"])
        variants.append(
            {
                "variant": variant,
                "groups": len(items),
                **summary,
                "interval": {"low": round(interval[0], 4), "high": round(interval[1], 4)} if interval else None,
            }
        )
    totals = total(rows, [(r["pushId"], r["groupId"]) for r in rows])
    report: dict[str, Any] = {
        "definition": DEFINITION,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "totals": {"pushes": len(pushes), "groups": len(rows), **totals},
        "pushes": pushes,
        "rows": rows,
        "variants": variants,
        "comparison": _comparison([v for v in variants if v["variant"] is not None]),
        "overTime": _over_time(session, org, scoped, reach, now),
        **_answers(session, org, scoped),
    }
    return report


def _comparison(variants: list[dict[str, Any]]) -> dict[str, Any]:
    if len(variants) < 2:
        return {
            "test": None,
            "statistic": None,
            "df": None,
            "pValue": None,
            "enoughData": False,
            "significant": False,
            "verdict": "只有一个内容版本，无需比较",
            "verdictEn": "One content only: nothing to compare",
        }
    result = stats.compare([v["interactors"] for v in variants], [v["membersReached"] for v in variants])
    if not result.enough_data:
        zh = (
            f"数据不足：每个版本至少需触达 {stats.MIN_N} 名成员，且互动与未互动的预期人数都不少于 "
            f"{int(stats.MIN_EXPECTED)}；请等更多推送后再比较"
        )
        en = (
            f"Not enough data yet: each variant needs at least {stats.MIN_N} members reached and an expected"
            f" {int(stats.MIN_EXPECTED)} or more who interact and who do not; compare after more pushes"
        )
    elif result.significant:
        best = max(variants, key=lambda v: v["interactionRate"])
        zh = f"版本 {best['variant']} 的互动率显著更高（p = {result.p_value:.4f} < 0.05）"
        en = f"Variant {best['variant']} has a significantly higher interaction rate (p = {result.p_value:.4f} < 0.05)"
    else:
        zh = f"各版本的互动率没有显著差异（p = {result.p_value:.4f} ≥ 0.05）"
        en = f"No significant difference between the variants (p = {result.p_value:.4f} ≥ 0.05)"
    return {
        "test": result.test,
        "statistic": round(result.statistic, 4) if result.statistic is not None else None,
        "df": result.df,
        "pValue": round(result.p_value, 6) if result.p_value is not None else None,
        "enoughData": result.enough_data,
        "significant": result.significant,
        "verdict": zh,
        "verdictEn": en,
    }


def _offset_minutes(session: Session, org: str, now: datetime) -> int:
    zone = session.scalar(select(Organization.timezone).where(Organization.id == org)) or "Asia/Shanghai"
    offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _over_time(session: Session, org: str, scoped: Any, reach: Select[Any], now: datetime) -> list[dict[str, Any]]:
    minutes = _offset_minutes(session, org, now)
    dialect = session.get_bind().dialect.name
    reach_sq = reach.subquery()
    sent_day = _day(reach_sq.c.sent_at, minutes, dialect)
    answer_day = _day(Feedback.created_at, minutes, dialect)
    days: dict[str, dict[str, int]] = defaultdict(
        lambda: {"membersReached": 0, "clicks": 0, "newClickers": 0, "answers": 0}
    )
    for day, members in session.execute(
        select(sent_day, func.sum(reach_sq.c.member_count)).where(reach_sq.c.sent_at.is_not(None)).group_by(sent_day)
    ):
        days[str(day)]["membersReached"] = int(members or 0)
    for day, n, fresh in session.execute(
        scoped(
            select(LinkDaily.day, func.sum(LinkDaily.clicks), func.sum(LinkDaily.visitors)).where(
                LinkDaily.org_id == org
            ),
            LinkDaily.push_id,
            LinkDaily.group_id,
        ).group_by(LinkDaily.day)
    ):
        days[str(day)].update(clicks=int(n or 0), newClickers=int(fresh or 0))
    for day, n in session.execute(
        scoped(
            select(answer_day, func.count()).where(Feedback.org_id == org), Feedback.push_id, Feedback.group_id
        ).group_by(answer_day)
    ):
        days[str(day)]["answers"] = int(n)
    return [{"date": d, **v} for d, v in sorted(days.items())]


def _answers(session: Session, org: str, scoped: Any) -> dict[str, Any]:
    ratings = dict(
        session.execute(
            scoped(
                select(Feedback.rating, func.count()).where(Feedback.org_id == org, Feedback.rating.is_not(None)),
                Feedback.push_id,
                Feedback.group_id,
            ).group_by(Feedback.rating)
        )
        .tuples()
        .all()
    )
    texts = session.scalars(
        scoped(select(Feedback.content).where(Feedback.org_id == org), Feedback.push_id, Feedback.group_id)
        .order_by(Feedback.created_at.desc())
        .limit(OPINION_SAMPLE)
    )
    return {
        "ratings": {str(k): int(ratings.get(k, 0)) for k in range(1, 6)},
        "opinions": common_opinions(t for t in texts if t),
    }


CSV_COLUMNS = [
    "pushId",
    "taskId",
    "taskName",
    "groupId",
    "groupName",
    "variant",
    "membersReached",
    "clicks",
    "uniqueClickers",
    "answers",
    "averageRating",
    "interactors",
    "interactionRate",
]


def csv_rows(report: dict[str, Any]) -> list[list[Any]]:
    """Return one line per push, group and variant, then a total line, for CSV export."""
    lines: list[list[Any]] = [["" if r[c] is None else r[c] for c in CSV_COLUMNS] for r in report["rows"]]
    t = report["totals"]
    lines.append(["ALL", "", "合计", "", "", "", *("" if t[c] is None else t[c] for c in CSV_COLUMNS[6:])])
    return lines
