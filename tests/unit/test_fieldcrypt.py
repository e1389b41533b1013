"""AES-256-GCM columns: round trip, tamper and wrong-column detection, key ring parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pushtask.infra.fieldcrypt import DecryptionError, KeyRing, KeyRingError, load_or_create

OLD = KeyRing.generate_entry("old")
NEW = KeyRing.generate_entry("new")


def test_round_trip_hides_the_value_and_uses_a_fresh_nonce_each_time() -> None:
    ring = KeyRing.parse(OLD)
    first, second = (
        ring.encrypt("robot-key-123", "t_groups.channel_ref"),
        ring.encrypt("robot-key-123", "t_groups.channel_ref"),
    )
    assert "robot-key-123" not in first and first != second
    assert ring.decrypt(first, "t_groups.channel_ref") == "robot-key-123"


def test_a_value_moved_to_another_column_or_tampered_with_does_not_decrypt() -> None:
    ring = KeyRing.parse(OLD)
    stored = ring.encrypt("secret", "t_groups.channel_ref")
    with pytest.raises(DecryptionError):
        ring.decrypt(stored, "t_feedback.content")
    flipped = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(DecryptionError):
        ring.decrypt(flipped, "t_groups.channel_ref")


def test_rotation_keeps_old_values_readable_and_writes_with_the_newest_key() -> None:
    old_ring, both = KeyRing.parse(OLD), KeyRing.parse(f"{OLD},{NEW}")
    stored = old_ring.encrypt("chat-1", "c")
    assert both.decrypt(stored, "c") == "chat-1"
    assert both.needs_rotation(stored)
    assert both.encrypt("chat-1", "c").startswith("enc:v1:new:")
    with pytest.raises(DecryptionError, match="not in the key ring"):
        KeyRing.parse(NEW).decrypt(stored, "c")


def test_plaintext_from_before_encryption_is_read_as_is() -> None:
    assert KeyRing.parse(OLD).decrypt("wrLegacyChat", "c") == "wrLegacyChat"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no key"),
        ("nocolon", "<id>:<base64 key>"),
        ("k1:!!!", "not valid base64"),
        ("k1:c2hvcnQ=", "has 5 bytes"),
        (f"{OLD},{OLD}", "appears twice"),
    ],
)
def test_malformed_key_rings_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(KeyRingError, match=message):
        KeyRing.parse(text)


def test_embedded_default_generates_a_private_key_file_and_reuses_it(tmp_path: Path) -> None:
    first = load_or_create(None, tmp_path, embedded=True)
    assert (tmp_path / "encryption.keys").stat().st_mode & 0o777 == 0o600
    assert load_or_create(None, tmp_path, embedded=True) == first


def test_mysql_without_configured_keys_stops_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="pushtask keys generate"):
        load_or_create(None, tmp_path, embedded=False)
