"""Tokens are pinned to HS256, bound to issuer/audience, and expire by the injected clock."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from pushtask.security import InvalidToken, TokenSigner, hash_password, verify_password

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIGNER = TokenSigner(secret="x" * 40, issuer="pushtask", ttl=timedelta(hours=1))


def test_token_round_trip_carries_user_org_and_a_unique_id() -> None:
    token, claims = SIGNER.issue("u1", "o1", NOW)
    checked = SIGNER.verify(token, NOW + timedelta(minutes=59))
    assert (checked.user_id, checked.org_id, checked.jti) == ("u1", "o1", claims.jti)
    assert SIGNER.issue("u1", "o1", NOW)[1].jti != claims.jti


def test_token_expires_by_the_given_clock() -> None:
    token, _ = SIGNER.issue("u1", "o1", NOW)
    with pytest.raises(InvalidToken):
        SIGNER.verify(token, NOW + timedelta(hours=1))


def test_alg_none_and_other_secrets_and_audiences_are_refused() -> None:
    token, _ = SIGNER.issue("u1", "o1", NOW)
    _header, payload, _sig = token.split(".")
    none_header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    for forged in (
        f"{none_header.decode()}.{payload}.",
        jwt.encode(jwt.decode(token, options={"verify_signature": False}), "y" * 40, algorithm="HS256"),
        TokenSigner(secret="x" * 40, issuer="someone-else", ttl=timedelta(hours=1)).issue("u1", "o1", NOW)[0],
    ):
        with pytest.raises(InvalidToken):
            SIGNER.verify(forged, NOW)


def test_password_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("open sesame 123")
    assert verify_password(stored, "open sesame 123")
    assert not verify_password(stored, "open sesame 124")
    assert not verify_password(None, "open sesame 123")
