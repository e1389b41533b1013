"""Personal identifiers are encrypted at rest and found by keyed hash; one person's data is exported and erased."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from pushtask import cli
from pushtask.config import load_settings
from pushtask.db import unit_of_work
from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import KeyRing
from pushtask.migrations import upgrade
from pushtask.models import (
    AuditEntry,
    Feedback,
    LinkVisitor,
    Notification,
    NotificationSettings,
    Organization,
    Preview,
    PreviewDecision,
    PreviewRecipient,
    Recipient,
    Subscription,
    Task,
    TaskRecipient,
    new_id,
)
from pushtask.models.notification import MEMBER
from pushtask.notify import feedback_token
from pushtask.services.bootstrap import ensure_initial_data
from pushtask.services.keys import rotate
from pushtask.services.pushes import create_push
from pushtask.wiring import build_runtime
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock

SECRET = "k" * 40  # the test runtime's secret key, which signs feedback links


def _raw(db: Session, sql: str, **params: Any) -> Any:
    return db.execute(text(sql), params).one()


def _add_recipient(client: FlaskClient, world: World, **body: Any) -> str:
    payload = {"name": "周老师", "wechatId": "zhou_wx_2024", "channel": "wecom", "channelUserId": "ZhouLaoShi", **body}
    answer = client.post("/api/recipients", json=payload, headers=world.ada.headers)
    assert answer.status_code == 201, answer.get_json()
    recipient_id: str = answer.get_json()["id"]
    return recipient_id


def _answer(client: FlaskClient, token: str, member: str, rating: int, content: str) -> dict[str, Any]:
    answer = client.post(
        "/api/feedback", json={"token": token, "memberId": member, "rating": rating, "content": content}
    )
    assert answer.status_code == 200, answer.get_json()
    result: dict[str, Any] = answer.get_json()
    return result


def _token(clock: FrozenClock, task_id: str, group_id: str) -> str:
    return feedback_token.sign(SECRET, task_id, group_id, new_id(), clock() + timedelta(days=7))


# ---- encryption at rest and lookups ------------------------------------------------------------


def test_identifiers_are_stored_encrypted_and_the_api_still_shows_and_finds_them(
    client: FlaskClient, world: World, db: Session
) -> None:
    rid = _add_recipient(client, world)
    row = _raw(
        db,
        "SELECT wechat_id, wechat_id_hash, channel_user_id, channel_user_id_hash FROM t_recipients WHERE id = :id",
        id=rid,
    )
    for stored in row:
        assert "zhou_wx" not in stored and "ZhouLaoShi" not in stored
    assert row.wechat_id.startswith("enc:v1:") and row.channel_user_id.startswith("enc:v1:")
    ring = fieldcrypt.current()
    assert row.wechat_id_hash == ring.lookup_hash("zhou_wx_2024", "t_recipients.wechat_id")
    # The same text hashes differently per column, so the hash columns cannot be joined to each other.
    assert ring.lookup_hash("x", "t_recipients.wechat_id") != ring.lookup_hash("x", "t_recipients.channel_user_id")

    def search(q: str) -> list[str]:
        found = client.get("/api/recipients", query_string={"q": q}, headers=world.victor.headers).get_json()
        return [r["recipientId"] for r in found["recipients"]]

    assert search("zhou_wx_2024") == [rid]  # the exact WeChat ID, through its hash
    assert search("zhou_wx") == []  # no substring match on an encrypted column
    assert search("周老") == [rid]  # names still match by substring
    listed = client.get("/api/recipients", query_string={"q": "周老师"}, headers=world.victor.headers).get_json()
    assert listed["recipients"] == [
        {"recipientId": rid, "name": "周老师", "wechatId": "zhou_wx_2024", "channel": "wecom"}
    ]
    changed = client.put(f"/api/recipients/{rid}", json={"wechatId": "zhou_new"}, headers=world.ada.headers)
    assert changed.status_code == 200
    assert search("zhou_new") == [rid] and search("zhou_wx_2024") == []


def test_feedback_member_ids_are_encrypted_and_still_one_answer_per_member_and_link(
    client: FlaskClient, world: World, db: Session, clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    token = _token(clock, task_id, world.groups[0])
    first = _answer(client, token, "m-amy-phone", 5, "讲得很清楚")
    again = _answer(client, token, "m-amy-phone", 1, "再答一次")
    assert again == {**first, "duplicate": True}
    row = _raw(db, "SELECT member, member_hash, content FROM t_feedback WHERE id = :id", id=first["feedbackId"])
    assert row.member.startswith("enc:v1:") and "amy" not in row.member + row.member_hash
    listing = client.get("/api/feedback", headers=world.victor.headers).get_json()
    assert [(f["userId"], f["content"]) for f in listing["feedback"]] == [("m-amy-phone", "讲得很清楚")]


def test_lookups_work_under_an_added_key_and_after_rotation(
    client: FlaskClient, world: World, db: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    rid = _add_recipient(client, world)
    task_id = create_task(client, world.olga, task_body(world))
    token = _token(clock, task_id, world.groups[0])
    first = _answer(client, token, "m-before-rotation", 4, "好")
    old = fieldcrypt.current()
    new_entry = KeyRing.generate_entry("newer")
    fieldcrypt.install(KeyRing.parse(f"{old.to_text()},{new_entry}"))
    try:

        def found() -> list[str]:
            by_user = db.scalars(select(Recipient.id).where(Recipient.channel_user_id_is("ZhouLaoShi"))).all()
            by_wechat = db.scalars(select(Recipient.id).where(Recipient.wechat_id_is("zhou_wx_2024"))).all()
            assert list(by_user) == list(by_wechat)
            return list(by_user)

        # Rows hashed under the old key are found while the new key writes.
        assert found() == [rid]
        assert _answer(client, token, "m-before-rotation", 1, "again")["duplicate"] is True
        counts = rotate(sessions, batch=1)
        assert counts["t_recipients.channel_user_id"] == 4  # the world's three reviewers and 周老师
        assert counts["t_feedback.member"] == 1
        hashes = db.execute(text("SELECT wechat_id_hash, channel_user_id_hash FROM t_recipients")).all()
        assert all(h.startswith("newer:") for pair in hashes for h in pair)
        assert rotate(sessions)["t_recipients.wechat_id"] == 0, "nothing left to rotate"
        fieldcrypt.install(KeyRing.parse(new_entry))  # the old key retired
        db.expire_all()
        assert found() == [rid]
        assert db.get(Recipient, rid).channel_user_id == "ZhouLaoShi"  # type: ignore[union-attr]
        assert _answer(client, token, "m-before-rotation", 2, "and again") == {**first, "duplicate": True}
    finally:
        fieldcrypt.install(old)


# ---- export and erasure --------------------------------------------------------------------------


def _history(client: FlaskClient, world: World, db: Session, clock: FrozenClock) -> dict[str, Any]:
    """张老师 (WeCom userid and WeChat ID "zhang") reviewed, decided and was notified; members answered."""
    zhang, li = world.recipients
    task_id = create_task(client, world.olga, task_body(world, previewRecipients=[zhang, li]))
    now = clock()
    preview = Preview(
        id=new_id(),
        org_id=world.ada.org_id,
        task_id=task_id,
        content_version=1,
        content={"text": "x"},
        status="modify_requested",
        comment="图片换成横版",
        created_by=world.olga.user_id,
        created_at=now,
    )
    db.add(preview)
    db.flush()
    for position, rid in enumerate((zhang, li)):
        db.add(
            PreviewRecipient(preview_id=preview.id, recipient_id=rid, position=position, channel="wecom", state="sent")
        )
    db.add(
        PreviewDecision(
            id=new_id(),
            preview_id=preview.id,
            task_id=task_id,
            org_id=world.ada.org_id,
            response="modify",
            via="text",
            recipient_id=zhang,
            actor_name="张老师",
            comment="图片换成横版",
            created_at=now,
        )
    )
    for rid in (zhang, li):
        db.add(
            Notification(
                org_id=world.ada.org_id,
                type="reminder",
                dedupe_key=f"test:{rid}",
                recipient_id=rid,
                task_id=task_id,
                payload={"title": "提醒"},
                state="sent",
                attempts=1,
                next_attempt_at=now,
                created_at=now,
            )
        )
    db.add(Subscription(recipient_id=zhang, template_id="tpl", remaining=2, updated_at=now))
    db.add(
        NotificationSettings(user_id=world.olga.user_id, org_id=world.ada.org_id, recipient_id=zhang, updated_at=now)
    )
    db.commit()
    token = _token(clock, task_id, world.groups[0])
    mine = _answer(client, token, "m-zhang", 2, "太长了")["feedbackId"]
    theirs = _answer(client, token, "m-someone-else", 5, "很好")["feedbackId"]
    other_task = create_task(
        client, world.otto, task_body(world, groups=world.other_groups[:1], previewRecipients=world.other_recipients)
    )
    other_org = _answer(client, _token(clock, other_task, world.other_groups[0]), "m-zhang", 3, "别家")["feedbackId"]
    return {"task": task_id, "preview": preview.id, "mine": mine, "theirs": theirs, "other_org": other_org}


def _post(client: FlaskClient, world: World, action: str, identifier: str, value: str, who: str = "ada") -> Any:
    persona = getattr(world, who)
    return client.post(
        f"/api/privacy/{action}", json={"identifier": identifier, "value": value}, headers=persona.headers
    )


def test_export_returns_everything_about_the_person_and_nothing_of_others(
    client: FlaskClient, world: World, db: Session, clock: FrozenClock
) -> None:
    made = _history(client, world, db, clock)
    zhang = world.recipients[0]
    answer = _post(client, world, "export", "channelUserId", "zhang")
    assert answer.status_code == 200, answer.get_json()
    out = answer.get_json()
    assert [(r["recipientId"], r["wechatId"], r["channelUserId"], r["name"]) for r in out["recipients"]] == [
        (zhang, "zhang", "zhang", "张老师")
    ]
    assert [t["taskId"] for t in out["reviewerOf"]] == [made["task"]]
    assert [(p["previewId"], p["recipientId"]) for p in out["previews"]] == [(made["preview"], zhang)]
    assert [(d["response"], d["comment"]) for d in out["decisions"]] == [("modify", "图片换成横版")]
    assert [n["recipientId"] for n in out["notifications"]] == [zhang]  # not 李老师's
    assert out["subscriptions"] == [{"recipientId": zhang, "templateId": "tpl", "remaining": 2}]
    assert out["feedback"] == []  # a member id is another identifier
    assert _post(client, world, "export", "wechatId", "zhang").get_json()["recipients"] == out["recipients"]

    members = _post(client, world, "export", "memberId", "m-zhang").get_json()
    assert [(f["feedbackId"], f["memberId"], f["rating"], f["content"]) for f in members["feedback"]] == [
        (made["mine"], "m-zhang", 2, "太长了")  # not the other organisation's answer by the same member id
    ]
    assert members["recipients"] == []
    # Another organisation's person is unknown here, and an unknown identifier is a clear 404.
    for identifier, value in (("wechatId", "wang"), ("channelUserId", "nobody"), ("memberId", "m-nobody")):
        missing = _post(client, world, "export", identifier, value)
        assert missing.status_code == 404
        assert missing.get_json() == {
            "error": "Person not found",
            "reason": "本组织没有与该标识对应的个人数据（从未登记，或已删除）",
        }
    audits = db.scalars(select(AuditEntry).where(AuditEntry.action == "person.export")).all()
    assert len(audits) == 3 and {a.user_id for a in audits} == {world.ada.user_id}
    assert "zhang" not in json.dumps([a.details for a in audits], ensure_ascii=False)


def test_erase_anonymises_and_deletes_in_one_go_and_a_second_time_finds_nothing(
    client: FlaskClient, world: World, db: Session, clock: FrozenClock
) -> None:
    made = _history(client, world, db, clock)
    zhang, li = world.recipients
    answer = _post(client, world, "erase", "wechatId", "zhang")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "message": "Personal data erased",
        "erased": {
            "recipients": 1,
            "reviewerOf": 1,
            "previews": 1,
            "decisions": 1,
            "notifications": 1,
            "subscriptions": 1,
            "feedback": 0,
        },
    }
    db.expire_all()
    record = db.get(Recipient, zhang)
    assert record is not None and record.deleted_at is not None and record.name == "已删除"
    assert record.wechat_id.startswith("erased-") and record.channel_user_id == record.wechat_id
    raw = _raw(db, "SELECT name, wechat_id, wechat_id_hash, channel_user_id FROM t_recipients WHERE id = :id", id=zhang)
    assert "zhang" not in "".join(raw)
    # Counts stay right: the delivery row and the decision remain, anonymous and without the comment.
    assert db.scalar(select(func.count()).select_from(PreviewRecipient)) == 2
    decision = db.scalars(select(PreviewDecision)).one()
    assert (decision.response, decision.actor_name, decision.comment) == ("modify", "已删除", None)
    assert db.get(Preview, made["preview"]).comment is None  # type: ignore[union-attr]
    assert db.scalars(select(Notification.recipient_id)).all() == [li]
    assert db.scalar(select(func.count()).select_from(Subscription)) == 0
    assert db.scalars(select(TaskRecipient.recipient_id).where(TaskRecipient.task_id == made["task"])).all() == [li]
    assert db.get(NotificationSettings, world.olga.user_id).recipient_id is None  # type: ignore[union-attr]
    detail = client.get(f"/api/tasks/{made['task']}", headers=world.olga.headers).get_json()
    assert detail["previewRecipients"] == [li]
    # The audit entry says what was done, not to whom.
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "person.erase")).one()
    assert audit.details["identifier"] == "wechatId" and audit.details["counts"]["recipients"] == 1
    assert "zhang" not in json.dumps(audit.details)

    assert _post(client, world, "export", "wechatId", "zhang").status_code == 404
    assert _post(client, world, "export", "channelUserId", "zhang").status_code == 404
    assert _post(client, world, "erase", "wechatId", "zhang").status_code == 404  # nothing left, nothing changes
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "person.erase")) == 1


def test_erasing_a_member_keeps_the_rating_and_drops_the_words(
    client: FlaskClient, world: World, db: Session, clock: FrozenClock
) -> None:
    made = _history(client, world, db, clock)
    answer = _post(client, world, "erase", "memberId", "m-zhang")
    assert answer.status_code == 200 and answer.get_json()["erased"]["feedback"] == 1
    db.expire_all()
    mine, theirs, other = (db.get(Feedback, made[k]) for k in ("mine", "theirs", "other_org"))
    assert mine is not None and theirs is not None and other is not None
    assert (mine.rating, mine.content, mine.member.startswith("erased-")) == (2, "", True)
    assert (theirs.member, theirs.content) == ("m-someone-else", "很好")
    assert (other.member, other.content) == ("m-zhang", "别家")  # the other organisation's data is theirs to erase
    report = client.get("/api/reports/feedback", headers=world.victor.headers).get_json()
    assert report["responses"] == 2 and report["ratings"]["2"] == 1
    assert _post(client, world, "export", "memberId", "m-zhang").status_code == 404


def test_only_admins_export_or_erase(client: FlaskClient, world: World, db: Session, clock: FrozenClock) -> None:
    for who in ("victor", "olga", "otto"):
        for action in ("export", "erase"):
            assert _post(client, world, action, "wechatId", "zhang", who=who).status_code == 403, (who, action)
    assert client.post("/api/privacy/export", json={"identifier": "wechatId", "value": "zhang"}).status_code == 401
    assert db.scalar(select(func.count()).select_from(Recipient).where(Recipient.deleted_at.is_not(None))) == 0
    assert _post(client, world, "export", "wechatId", "zhang").status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "identifier", "必填项"),
        ({"identifier": "wechatId"}, "value", "必填项"),
        (
            {"identifier": "email", "value": "a@b.c"},
            "identifier",
            "取值无效，可选：wechatId, channelUserId or memberId",
        ),
        ({"identifier": "wechatId", "value": "   "}, "value", "不能为空"),
        ({"identifier": "wechatId", "value": 7}, "value", "应为文本"),
        ({"identifier": "wechatId", "value": "x" * 129}, "value", "最多 128 个字符（当前 129 个）"),
        ({"identifier": "wechatId", "value": "zhang", "org": "x"}, "org", "不支持的字段，请删除"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(
    client: FlaskClient, world: World, body: dict[str, Any], field: str, message: str
) -> None:
    for action in ("export", "erase"):
        answer = client.post(f"/api/privacy/{action}", json=body, headers=world.ada.headers)
        assert answer.status_code == 400, answer.get_json()
        assert {"field": field, "message": message} in answer.get_json()["details"]


# ---- the command line ----------------------------------------------------------------------------


def test_person_commands_export_and_erase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pushtask person export|erase` against a database of its own (the CLI commits for real)."""
    monkeypatch.setenv("PUSHTASK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PUSHTASK_DATABASE_URL", raising=False)
    monkeypatch.delenv("PUSHTASK_ENCRYPTION_KEYS", raising=False)
    test_ring = fieldcrypt.current()
    try:
        rt = build_runtime(load_settings())
        assert rt.engine is not None
        upgrade(rt.engine)
        with unit_of_work(rt.sessions) as db:
            ensure_initial_data(
                db,
                rt.clock(),
                admin_password="p" * 12,
                demo_data=True,
                timezone="Asia/Shanghai",
                approval_required=True,
            )
            org = db.scalars(select(Organization)).one()
            raw = db.execute(text("SELECT wechat_id FROM t_recipients")).scalars().all()
            assert raw and all(v.startswith("enc:v1:") for v in raw)
        rt.engine.dispose()

        def run(*argv: str) -> tuple[int, str, str]:
            code = cli.main(list(argv))
            out, err = capsys.readouterr()
            return code, out, err

        code, out, err = run("person", "export", "--org", org.name, "--wechat-id", "zhang_laoshi")
        assert code == 0, err
        exported = json.loads(out)
        assert [r["name"] for r in exported["recipients"]] == ["张老师"]
        code, _out, err = run("person", "erase", "--org", org.id, "--wechat-id", "zhang_laoshi")
        assert code == 2 and "--yes" in err
        code, out, err = run("person", "erase", "--org", org.id, "--wechat-id", "zhang_laoshi", "--yes")
        assert code == 0, err
        assert json.loads(out)["erased"]["recipients"] == 1
        code, out, err = run("person", "export", "--org", org.id, "--wechat-id", "zhang_laoshi")
        assert (code, out) == (1, "") and "No personal data is held" in err
        code, _out, err = run("person", "export", "--org", "no-such-org", "--member", "m1")
        assert code == 2 and "no-such-org" in err
        code, _out, err = run("person", "export", "--org", org.id, "--member", "  ")
        assert code == 2 and "value: Must not be blank" in err
        with pytest.raises(SystemExit):  # exactly one identifier: argparse refuses two
            cli.main(["person", "export", "--org", org.id, "--member", "a", "--wechat-id", "b"])
    finally:
        fieldcrypt.install(test_ring)


def test_erasing_a_member_unlinks_their_mini_program_opens_and_keeps_them_counted_once(
    client: FlaskClient, world: World, db: Session, clock: FrozenClock
) -> None:
    """Issue 19: an open reported with a memberId is keyed by its hash; erasure re-keys it to the answer's marker."""
    made = _history(client, world, db, clock)
    task = db.get(Task, create_task(client, world.olga, task_body(world)))
    assert task is not None
    push = create_push(db, task, clock(), clock(), trigger="manual")
    assert push is not None
    group = world.groups[0]
    db.add_all(
        LinkVisitor(push_id=push.id, group_id=group, visitor=fieldcrypt.lookup_hash(m, MEMBER), first_at=clock())
        for m in ("m-zhang", "m-someone-else")
    )
    db.commit()
    assert _post(client, world, "erase", "memberId", "m-zhang").status_code == 200
    db.expire_all()
    visitors = set(db.scalars(select(LinkVisitor.visitor).where(LinkVisitor.push_id == push.id)))
    mine = db.get(Feedback, made["mine"])
    assert mine is not None
    assert fieldcrypt.lookup_hash("m-zhang", MEMBER) not in visitors, "the member can no longer be found by id"
    assert visitors == {fieldcrypt.lookup_hash("m-someone-else", MEMBER), mine.member_hash}, "still one person each"
