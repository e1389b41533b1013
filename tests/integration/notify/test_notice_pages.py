"""Notices open mini-program pages that exist, with the ids those pages read (pushtask.domain.pages)."""

from __future__ import annotations

from flask.testing import FlaskClient

from pushtask.domain import pages
from tests.integration.conftest import World, create_task, task_body
from tests.integration.notify.conftest import Harness

AT_11 = "2026-03-02T11:00:00+08:00"
# The pages the mini program has (miniprogram/app.json on the `miniprogram` branch).
MINI_PROGRAM_PAGES = {"pages/tasks/tasks", "pages/task/task", "pages/preview/preview", "pages/feedback/feedback"}


def test_a_reviewer_s_reminder_opens_the_task_s_own_page(client: FlaskClient, world: World, harness: Harness) -> None:
    harness.grant("li", 3)
    body = task_body(world, schedule={"type": "once", "time": AT_11}, previewRecipients=world.recipients[1:])
    task_id = create_task(client, world.olga, body)
    harness.run(3600)  # 10:00, an hour before
    notices = [m["payload"] for m in harness.received("li") if m["msgtype"] == "subscribe"]
    assert [n["page"] for n in notices] == [f"pages/task/task?id={task_id}"]


def test_a_notice_about_a_task_opens_that_task_and_one_without_opens_the_list(
    client: FlaskClient, world: World, harness: Harness
) -> None:
    link = {"recipientId": world.recipients[1], "channels": ["miniprogram", "inbox"]}
    assert client.put("/api/notifications/settings", json=link, headers=world.victor.headers).status_code == 200
    harness.grant("li", 2)
    task_id = create_task(client, world.olga, task_body(world))
    about = {"userId": world.victor.user_id, "type": "preview", "taskId": task_id, "content": {"message": "请查看"}}
    plain = {"userId": world.victor.user_id, "type": "preview", "content": {"message": "系统维护"}}
    for body in (about, plain):
        assert client.post("/api/notifications", json=body, headers=world.olga.headers).status_code == 200
    harness.run(0)
    received = sorted(m["payload"]["page"] for m in harness.received("li"))
    assert received == sorted([f"pages/task/task?id={task_id}", "pages/tasks/tasks"])


def test_every_page_a_notice_can_open_is_a_page_of_the_mini_program() -> None:
    made = {pages.preview("p1"), pages.task("t1"), pages.feedback("a.b"), pages.TASKS}
    assert {m.split("?", 1)[0] for m in made} == MINI_PROGRAM_PAGES
    assert pages.preview("p1") == "pages/preview/preview?id=p1"
    assert pages.feedback("a.b") == "pages/feedback/feedback?ptfb=a.b"
