"""The migrations and the models describe the same schema, on SQLite and on MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from pushtask.db import create_db_engine
from pushtask.infra import fieldcrypt
from pushtask.migrations import alembic_config, upgrade
from pushtask.models import Base, Feedback, Recipient
from tests.conftest import _mariadb_engine


def test_migrations_have_exactly_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads, merge them: {heads}"


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def at_0005(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A private database at revision 0005, the schema before identifiers were encrypted."""
    if request.param == "mariadb":
        yield from _mariadb_engine(revision="0005")
        return
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0005")
    yield engine
    engine.dispose()


def test_0006_encrypts_and_hashes_the_identifiers_already_stored(at_0005: Engine) -> None:
    now = datetime(2026, 3, 1, 9, 0)
    with at_0005.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO t_orgs (id, name, timezone, approval_required, created_at)"
                " VALUES ('o1', 'S', 'UTC', 1, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO t_recipients"
                " (id, org_id, name, wechat_id, channel, channel_user_id, created_at, updated_at)"
                " VALUES ('r1', 'o1', '张老师', 'zhang_wx', 'wecom', 'ZhangSan', :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO t_feedback (org_id, task_id, group_id, member, rating, content, token_hash, created_at)"
                " VALUES ('o1', 't1', 'g1', 'm-amy', 5, '很好', :h, :t)"
            ),
            {"h": "h" * 64, "t": now},
        )
        conn.execute(
            text(
                "INSERT INTO t_callback_receipts (`key`, channel, received_at)"
                " VALUES ('wecom:evt:ZhangSan:1', 'wecom', :t)"
            ),
            {"t": now},
        )

    upgrade(at_0005)

    ring = fieldcrypt.current()
    with at_0005.connect() as conn:
        recipient = conn.execute(text("SELECT * FROM t_recipients")).mappings().one()
        feedback = conn.execute(text("SELECT * FROM t_feedback")).mappings().one()
        assert conn.execute(text("SELECT COUNT(*) FROM t_callback_receipts")).scalar_one() == 0
    assert recipient["wechat_id"].startswith("enc:v1:") and "zhang" not in recipient["wechat_id"]
    assert recipient["channel_user_id"].startswith("enc:v1:") and "Zhang" not in recipient["channel_user_id"]
    assert feedback["member"].startswith("enc:v1:")
    assert recipient["channel_user_id_hash"] == ring.lookup_hash("ZhangSan", "t_recipients.channel_user_id")
    with Session(at_0005) as db:
        found = db.scalars(select(Recipient).where(Recipient.channel_user_id_is("ZhangSan"))).one()
        assert (found.wechat_id, found.channel_user_id) == ("zhang_wx", "ZhangSan")
        answer = db.scalars(select(Feedback).where(Feedback.member_is("m-amy"))).one()
        assert (answer.member, answer.content, answer.rating) == ("m-amy", "很好", 5)
        # One answer per member and link still holds, now on the hash.
        db.add(
            Feedback(
                org_id="o1",
                task_id="t1",
                group_id="g1",
                member="m-amy",
                content="",
                token_hash="h" * 64,
                created_at=answer.created_at,
            )
        )
        with pytest.raises(IntegrityError):
            db.flush()

    command.downgrade(alembic_config(at_0005), "0005")
    with at_0005.connect() as conn:
        assert conn.execute(text("SELECT wechat_id, channel_user_id FROM t_recipients")).one() == (
            "zhang_wx",
            "ZhangSan",
        )
        assert conn.execute(text("SELECT member FROM t_feedback")).scalar_one() == "m-amy"


def test_database_errors_do_not_carry_the_values_bound_into_them(engine: Engine) -> None:
    """Error messages end up in logs; the values (names, WeChat IDs, feedback) must not."""
    with engine.connect() as conn, pytest.raises(DBAPIError) as error:
        conn.execute(text("SELECT 1 FROM t_no_such_table WHERE x = :v"), {"v": "zhang_wx_secret"})
    assert "zhang_wx_secret" not in str(error.value)


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A private database at revision 0006, before images had an owning organisation."""
    if request.param == "mariadb":
        yield from _mariadb_engine(revision="0006")
        return
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0006")
    yield engine
    engine.dispose()


def test_0009_gives_images_tasks_already_use_to_the_task_s_organisation(at_0006: Engine) -> None:
    now = datetime(2026, 3, 1, 9, 0)
    key = "a" * 64
    with at_0006.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO t_orgs (id, name, timezone, approval_required, created_at)"
                " VALUES ('o1', 'S', 'UTC', 1, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO t_users (id, org_id, wechat_id, name, role, password_hash, tokens_valid_after,"
                " created_at, updated_at) VALUES ('u1', 'o1', 'li', 'Li', 'operator', 'x', :t, :t, :t)"
            ),
            {"t": now},
        )
        for task_id, image in (("t1", key), ("t2", key), ("t3", None)):
            conn.execute(
                text(
                    "INSERT INTO t_tasks (id, org_id, name, schedule_type, schedule_time, timezone, `interval`,"
                    " content_image, content_version, priority, status, preview_state, creator_id, display_time,"
                    " misfire_grace_seconds, send_late, created_at, updated_at, feedback_enabled)"
                    " VALUES (:id, 'o1', 'n', 'once', :t, 'UTC', 1, :image, 1, 2, 'draft', 'none', 'u1', :t,"
                    " 600, 0, :t, :t, 0)"
                ),
                {"id": task_id, "image": image, "t": now},
            )
    upgrade(at_0006)
    with at_0006.connect() as conn:
        rows = conn.execute(text("SELECT org_id, media_id, file_name FROM t_media")).all()
    assert [(r[0], r[1]) for r in rows] == [("o1", key)]
    assert rows[0][2] == "image-aaaaaaaa"  # the upload's name was never kept; the log shows this instead


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def private_head(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A private database at the latest revision, free to go down and up again."""
    if request.param == "mariadb":
        yield from _mariadb_engine()
        return
    engine = create_db_engine(f"sqlite:///{tmp_path / 'head.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _delivery_indexes(engine: Engine) -> set[str]:
    return {index["name"] for index in inspect(engine).get_indexes("t_deliveries") if index["name"]}


def test_0017_keeps_the_claim_index_alone_and_its_downgrade_brings_the_other_two_back(private_head: Engine) -> None:
    state_led = {"ix_t_deliveries_state_next_attempt_at", "ix_t_deliveries_state_lease_expires_at"}
    assert "ix_t_deliveries_claim" in _delivery_indexes(private_head)
    assert not state_led & _delivery_indexes(private_head)
    command.downgrade(alembic_config(private_head), "0016")
    assert state_led | {"ix_t_deliveries_claim"} <= _delivery_indexes(private_head)
    upgrade(private_head)
    assert not state_led & _delivery_indexes(private_head)
    with private_head.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
