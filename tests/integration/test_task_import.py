"""CSV import: dry run, all-or-nothing, skipInvalid, encodings Excel writes, limits, drafts under approval."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import Organization, Task
from tests.integration.conftest import World

HEADER = [
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
]
BAD_ROWS = {
    # CSV line (the header is line 1) → the column its error names
    41: "time",
    102: "groups",
    177: "recurrence",
}


def _csv(world: World, rows: int = 200, bad: bool = True) -> list[list[str]]:
    lines = [HEADER]
    for i in range(rows):
        line = i + 2
        row = [
            f"第{i:03d}周提醒",
            f"2026-04-{1 + i % 28:02d} 18:00",
            "Asia/Shanghai",
            "weekly:1,3" if i % 2 else "once",
            "2026-07-01" if i % 2 else "",
            "skip_cn_holidays" if i % 4 == 1 else "",
            f"家长您好，第 {i} 周的安排见链接",
            "https://example.org/week",
            f"{world.group_names[world.groups[0]]};{world.groups[1]}",
            ("high", "medium", "low", "低")[i % 4],
            "zhang" if i % 3 == 0 else "",
        ]
        if bad and line in BAD_ROWS:
            column = BAD_ROWS[line]
            row[HEADER.index(column)] = {"time": "下周一", "groups": "不存在的群", "recurrence": "fortnightly"}[column]
        lines.append(row)
    return lines


def _encode(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _post(client: FlaskClient, world: World, raw: bytes, query: str = "") -> Any:
    # Encoded here, not by the test client: it spools a large body to a temporary file it never closes.
    boundary = "pushtask-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="tasks.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + raw
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"/api/tasks/import{query}",
        data=body,
        headers=world.olga.headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _count(sessions: sessionmaker[Session], world: World) -> int:
    with sessions() as db:
        return int(db.scalar(select(func.count(Task.id)).where(Task.org_id == world.olga.org_id)) or 0)


def test_dry_run_lists_exactly_the_bad_rows_and_skip_invalid_creates_the_rest(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    raw = _encode(_csv(world))
    dry = _post(client, world, raw, "?dryRun=true")
    assert dry.status_code == 200, dry.get_json()
    answer = dry.get_json()
    assert {(e["row"], e["field"]) for e in answer["errors"]} == set(BAD_ROWS.items())
    assert answer["created"] == 0 and answer["valid"] == 197 and answer["dryRun"] is True
    assert all(e["message"] for e in answer["errors"])
    assert _count(sessions, world) == 0

    refused = _post(client, world, raw)  # any invalid row: nothing is created
    assert refused.status_code == 200 and refused.get_json()["created"] == 0
    assert _count(sessions, world) == 0

    done = _post(client, world, raw, "?skipInvalid=true").get_json()
    assert done["created"] == 197 and len(done["taskIds"]) == 197
    assert _count(sessions, world) == 197
    with sessions() as db:
        statuses = set(db.scalars(select(Task.status).where(Task.org_id == world.olga.org_id)))
        calendars = set(db.scalars(select(Task.schedule_calendar).where(Task.org_id == world.olga.org_id)))
    assert statuses == {"scheduled"}  # approval is off in this organisation
    assert calendars == {"all", "skip_cn_holidays"}


def test_excel_encodings_are_read(client: FlaskClient, world: World) -> None:
    rows = _csv(world, rows=3, bad=False)
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        answer = _post(client, world, _encode(rows, encoding), "?dryRun=true").get_json()
        assert answer["errors"] == [] and answer["valid"] == 3, (encoding, answer)


def test_imported_tasks_are_drafts_when_approval_is_on(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions() as db:
        db.execute(update(Organization).where(Organization.id == world.olga.org_id).values(approval_required=True))
        db.commit()
    answer = _post(client, world, _encode(_csv(world, rows=2, bad=False))).get_json()
    assert answer["created"] == 2
    with sessions() as db:
        assert set(db.scalars(select(Task.status).where(Task.org_id == world.olga.org_id))) == {"draft"}


def test_limits_and_mistakes(client: FlaskClient, world: World) -> None:
    too_many = _encode(_csv(world, rows=1001, bad=False))
    assert _post(client, world, too_many, "?dryRun=true").status_code == 413
    huge = b"name,time\n" + b"x" * (2 * 1024 * 1024 + 10)
    assert _post(client, world, huge, "?dryRun=true").status_code == 413
    no_file = client.post("/api/tasks/import", data={}, headers=world.olga.headers, content_type="multipart/form-data")
    assert no_file.status_code == 400 and no_file.get_json()["details"][0]["field"] == "file"
    no_header = _post(client, world, _encode([["名字", "text"], ["a", "b"]]))
    assert no_header.status_code == 400
    assert _post(client, world, _encode(_csv(world, rows=1)), "?dryRun=maybe").status_code == 400
    viewer = client.post(
        "/api/tasks/import",
        data={"file": (io.BytesIO(b"name,time\n"), "t.csv")},
        headers=world.victor.headers,
        content_type="multipart/form-data",
    )
    assert viewer.status_code == 403


def test_template_downloads_and_imports_as_a_dry_run(client: FlaskClient, world: World) -> None:
    template = client.get("/api/tasks/import/template", headers=world.victor.headers)
    assert template.status_code == 200
    assert template.mimetype == "text/csv"
    text = template.get_data().decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(HEADER)
