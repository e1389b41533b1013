"""Create tasks from a CSV file (docs/import.md): every row checked by the same rules as the API.

Each row becomes a TaskCreate and goes through ``pushtask.services.tasks.create_task`` inside its
own SAVEPOINT, so a dry run reports exactly what a real import would refuse. Nothing is created when
any row is invalid, unless the caller asks to skip the invalid rows.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.domain.actor import Actor
from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pushtask.i18n import translate
from pushtask.models import Group, Organization, Recipient
from pushtask.schemas import TaskCreate
from pushtask.services import tasks as task_service

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
COLUMNS = (
    "name",
    "time",
    "timezone",
    "recurrence",
    "end",
    "calendar",
    "text",
    "link",
    "groups",
    "priority",
    "reviewers",
)
# Headers an operator may have typed in Chinese.
ALIASES = {
    "名称": "name",
    "任务名称": "name",
    "时间": "time",
    "推送时间": "time",
    "时区": "timezone",
    "周期": "recurrence",
    "重复": "recurrence",
    "结束": "end",
    "日历": "calendar",
    "内容": "text",
    "文本": "text",
    "链接": "link",
    "群": "groups",
    "群组": "groups",
    "优先级": "priority",
    "审核人": "reviewers",
}
PRIORITY_WORDS = {"high": "high", "medium": "medium", "low": "low", "高": "high", "中": "medium", "低": "low"}
_SPLIT = re.compile(r"[;；|、\n]")
_RECURRENCE = re.compile(r"^(once|daily|weekly|monthly)(?:/(\d{1,3}))?(?::([\d,，\s]+))?$")
# Where an API field's problem shows in the file.
_FIELD_COLUMNS = {
    "name": "name",
    "schedule.time": "time",
    "schedule.timezone": "timezone",
    "schedule.recurringEnd": "end",
    "schedule.endAfter": "end",
    "schedule.calendar": "calendar",
    "content.text": "text",
    "content.link": "link",
    "groups": "groups",
    "priority": "priority",
    "previewRecipients": "reviewers",
}

TEMPLATE_ROWS = (
    COLUMNS,
    (
        "周一课程提醒",
        "2027-03-01 18:00",
        "Asia/Shanghai",
        "weekly:1",
        "2027-07-01",
        "skip_cn_holidays",
        "家长您好，明天 8:00 上课，请准时到校",
        "",
        "初一(1)班家长群;初一(2)班家长群",
        "medium",
        "zhang_wx",
    ),
    (
        "每日打卡",
        "2027-03-01 08:30",
        "",
        "daily",
        "30",
        "cn_workdays",
        "今日打卡开始了",
        "",
        "初一(1)班家长群",
        "low",
        "",
    ),
)


class ImportTooLarge(Exception):
    """The file is over 2 MB or 1,000 rows (answered 413)."""


@dataclass
class ImportResult:
    created: int = 0
    valid: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def template_csv() -> str:
    """Return the template the admin offers for download (UTF-8 with BOM, so Excel opens it right)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(TEMPLATE_ROWS)
    return "\ufeff" + buffer.getvalue()


def decode(raw: bytes) -> str:
    """Read UTF-8 (with or without BOM) or, failing that, GB18030 as Excel saves it in China."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def read_rows(raw: bytes) -> list[tuple[int, dict[str, str]]]:
    """Return (line number, row by column) for each non-empty data row; raise ImportTooLarge."""
    if len(raw) > MAX_BYTES:
        raise ImportTooLarge
    reader = csv.reader(io.StringIO(decode(raw), newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for values in reader:
        if header is None:
            header = [ALIASES.get(h.strip(), h.strip().lower()) for h in values]
            continue
        if not any(v.strip() for v in values):
            continue
        rows.append((reader.line_num, {h: v.strip() for h, v in zip(header, values, strict=False) if h}))
        if len(rows) > MAX_ROWS:
            raise ImportTooLarge
    if header is None:
        return []
    missing = [c for c in ("name", "time") if c not in header]
    if missing:
        raise InvalidInput(
            [FieldProblem("file", "import_header", {"columns": ", ".join(missing)})], error="Invalid file"
        )
    return rows


class _Directory:
    """The organisation's groups by id and name, and reviewers by WeChat ID, loaded once per import."""

    def __init__(self, session: Session, org_id: str) -> None:
        self.session, self.org_id = session, org_id
        self.groups: dict[str, str] = {}
        for gid, name in session.execute(
            select(Group.id, Group.name).where(Group.org_id == org_id, Group.deleted_at.is_(None))
        ):
            self.groups[gid] = gid
            self.groups.setdefault(name, gid)
        self.reviewers: dict[str, str | None] = {}

    def reviewer(self, wechat_id: str) -> str | None:
        if wechat_id not in self.reviewers:
            self.reviewers[wechat_id] = self.session.scalar(
                select(Recipient.id).where(
                    Recipient.org_id == self.org_id, Recipient.deleted_at.is_(None), Recipient.wechat_id_is(wechat_id)
                )
            )
        return self.reviewers[wechat_id]


def _schedule(row: dict[str, str], problems: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    schedule: dict[str, Any] = {"type": "once", "time": row.get("time", "")}
    if row.get("timezone"):
        schedule["timezone"] = row["timezone"]
    recurrence = row.get("recurrence", "").lower().replace(" ", "")
    if recurrence:
        match = _RECURRENCE.match(recurrence)
        if match is None:
            problems.append(("recurrence", "import_recurrence", {}))
        elif match.group(1) != "once":
            frequency, interval, days = match.groups()
            schedule.update({"type": "recurring", "recurringInterval": frequency, "interval": int(interval or 1)})
            numbers = [int(d) for d in re.split(r"[,，\s]+", days or "") if d]
            if frequency == "weekly" and numbers:
                schedule["weekdays"] = numbers
            elif frequency == "monthly" and numbers:
                schedule["monthDay"] = numbers[0]
            elif numbers:
                problems.append(("recurrence", "import_recurrence", {}))
    end = row.get("end", "")
    if end and schedule["type"] == "recurring":
        if end.isdigit():
            schedule["endAfter"] = int(end)
        else:
            # A bare date ends after that whole day.
            schedule["recurringEnd"] = end + ("T23:59:59" if len(end) == 10 else "")
    if row.get("calendar"):
        schedule["calendar"] = row["calendar"]
    if isinstance(schedule["time"], str) and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?", schedule["time"]):
        schedule["time"] = schedule["time"].replace(" ", "T")
    return schedule


def _body(
    row: dict[str, str], directory: _Directory, status: str, problems: list[tuple[str, str, dict[str, Any]]]
) -> dict[str, Any]:
    groups = []
    for ref in (g.strip() for g in _SPLIT.split(row.get("groups", ""))):
        if not ref:
            continue
        gid = directory.groups.get(ref)
        if gid is None:
            problems.append(("groups", "import_group_unknown", {"name": ref}))
        else:
            groups.append(gid)
    reviewers = []
    for ref in (r.strip() for r in _SPLIT.split(row.get("reviewers", ""))):
        if not ref:
            continue
        rid = directory.reviewer(ref)
        if rid is None:
            problems.append(("reviewers", "import_reviewer_unknown", {"wechatId": ref}))
        else:
            reviewers.append(rid)
    priority = row.get("priority", "").lower() or "medium"
    if priority not in PRIORITY_WORDS:
        problems.append(("priority", "choice", {"choices": "high, medium, low"}))
    content: dict[str, Any] = {}
    if row.get("text"):
        content["text"] = row["text"].replace("\\n", "\n")
    if row.get("link"):
        content["link"] = row["link"]
    return {
        "name": row.get("name", ""),
        "schedule": _schedule(row, problems),
        "content": content,
        "groups": list(dict.fromkeys(groups)),
        "priority": PRIORITY_WORDS.get(priority, "medium"),
        "status": status,
        "previewRecipients": list(dict.fromkeys(reviewers)),
    }


def run(
    session: Session,
    actor: Actor,
    raw: bytes,
    now: datetime,
    lang: str,
    *,
    dry_run: bool,
    skip_invalid: bool,
) -> ImportResult:
    """Check every row and create the tasks (all or, with skip_invalid, the valid ones)."""
    rows = read_rows(raw)
    approval = session.scalar(select(Organization.approval_required).where(Organization.id == actor.org_id))
    status = "draft" if approval else "scheduled"
    directory = _Directory(session, actor.org_id)
    result = ImportResult()
    outer = session.begin_nested()
    for line, row in rows:
        problems: list[tuple[str, str, dict[str, Any]]] = []
        body = _body(row, directory, status, problems)
        if problems:
            result.errors += [_error(line, f, code, params, lang) for f, code, params in problems]
            continue
        savepoint = session.begin_nested()
        try:
            data = TaskCreate.model_validate(body)
            task = task_service.create_task(session, actor, data, now)
            session.flush()
        except ValidationError as exc:
            savepoint.rollback()
            result.errors += [
                _error(line, ".".join(str(part) for part in error["loc"]), "invalid", {}, lang)
                for error in exc.errors()
            ]
            continue
        except InvalidInput as exc:
            savepoint.rollback()
            result.errors += [_problem(line, p, lang) for p in exc.problems]
            continue
        except (Conflict, NotFound) as exc:
            savepoint.rollback()
            code = exc.code if isinstance(exc, Conflict) else "task_not_found"
            params = exc.params if isinstance(exc, Conflict) else {}
            result.errors.append(_error(line, "status", code, params, lang))
            continue
        savepoint.commit()
        result.valid += 1
        result.task_ids.append(task.id)
    if dry_run or (result.errors and not skip_invalid):
        outer.rollback()
        result.task_ids = []
    else:
        outer.commit()
        result.created = len(result.task_ids)
    return result


def _problem(line: int, problem: FieldProblem, lang: str) -> dict[str, Any]:
    return _error(line, problem.field, problem.code, problem.params, lang)


def _error(line: int, field_name: str, code: str, params: dict[str, Any], lang: str) -> dict[str, Any]:
    column = _FIELD_COLUMNS.get(field_name)
    if column is None:
        column = next((c for f, c in _FIELD_COLUMNS.items() if field_name.startswith(f + ".")), None)
    if column is None:
        column = "recurrence" if field_name.startswith("schedule.") else field_name
    return {"row": line, "field": column, "message": translate(code, lang, **params)}
