"""Robot keys are encrypted in the database and rotate to a new key without downtime."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import KeyRing
from pushtask.models import Group
from pushtask.services.keys import rotate
from tests.integration.conftest import World


def test_robot_key_is_stored_encrypted_and_read_back_in_clear(client: FlaskClient, world: World, db: Session) -> None:
    body = {"name": "机器人群", "channel": "wecom_robot", "channelRef": "693a91f6-7xxx-robot-key"}
    group_id = client.post("/api/groups", json=body, headers=world.ada.headers).get_json()["id"]
    raw = db.execute(text("SELECT channel_ref FROM t_groups WHERE id = :id"), {"id": group_id}).scalar_one()
    assert raw.startswith("enc:v1:") and "robot-key" not in raw
    assert db.get(Group, group_id).channel_ref == "693a91f6-7xxx-robot-key"  # type: ignore[union-attr]


def test_rotation_re_encrypts_every_value_under_the_newest_key(
    world: World, sessions: sessionmaker[Session], db: Session
) -> None:
    old = fieldcrypt.current()
    new_entry = KeyRing.generate_entry("rotated")
    fieldcrypt.install(KeyRing.parse(f"{old.to_text()},{new_entry}"))
    try:
        counts = rotate(sessions, batch=50)
        assert counts["t_groups.channel_ref"] == 123  # every group of both organisations, in batches of 50
        raws = db.execute(text("SELECT channel_ref FROM t_groups")).scalars().all()
        assert all(r.startswith("enc:v1:rotated:") for r in raws)
        assert rotate(sessions)["t_groups.channel_ref"] == 0, "nothing left to rotate"
        fieldcrypt.install(KeyRing.parse(new_entry))  # the old key can now be retired
        assert db.get(Group, world.groups[5]).channel_ref == "ref-5"  # type: ignore[union-attr]
    finally:
        fieldcrypt.install(old)
