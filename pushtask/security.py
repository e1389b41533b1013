"""Password hashing (argon2) and sign-in tokens (JWT, HS256, with expiry and a revocable jti)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this keeps the timing of "unknown user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
ALGORITHM = "HS256"
# What a token may do: an operator (a password or bound-WeChat user, whose role decides the rest),
# a reviewer (a directory recipient: their own previews only) or a group member (feedback only).
SCOPES = ("operator", "reviewer", "member")


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Tell whether `password` matches; spends the same time when there is no user."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    org_id: str
    jti: str
    issued_at: datetime
    expires_at: datetime
    scope: str = "operator"


class InvalidToken(Exception):
    """The bearer token is malformed, forged, expired or for another audience."""


@dataclass(frozen=True)
class TokenSigner:
    """Issue and check sign-in tokens with one secret; the algorithm is pinned to HS256."""

    secret: str
    issuer: str
    ttl: timedelta

    def issue(self, user_id: str, org_id: str, now: datetime, scope: str = "operator") -> tuple[str, TokenClaims]:
        """Return a new token for the subject (a user, a reviewer or a member) and the claims it carries."""
        if scope not in SCOPES:
            raise ValueError(f"unknown token scope {scope!r}")
        claims = TokenClaims(
            user_id=user_id,
            org_id=org_id,
            jti=secrets.token_hex(16),
            issued_at=now,
            expires_at=now + self.ttl,
            scope=scope,
        )
        payload = {
            "sub": user_id,
            "org": org_id,
            "jti": claims.jti,
            # A fractional iat lets a password change revoke tokens issued a moment before it.
            "iat": now.timestamp(),
            "exp": int(claims.expires_at.timestamp()),
            "iss": self.issuer,
            "aud": self.issuer,
            "scope": scope,
        }
        return jwt.encode(payload, self.secret, algorithm=ALGORITHM), claims

    def verify(self, token: str, now: datetime) -> TokenClaims:
        """Decode and check a token at time `now`, raising InvalidToken when it is not good."""
        try:
            payload = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.issuer,
                options={
                    "require": ["exp", "iat", "sub", "jti", "iss", "aud"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        # Expiry is checked against the injected clock, not the wall clock, so tests drive it.
        if int(payload["exp"]) <= int(now.timestamp()):
            raise InvalidToken("expired")
        # Tokens from before scopes existed were all operators' tokens.
        scope = payload.get("scope", "operator")
        if scope not in SCOPES:
            raise InvalidToken("unknown scope")
        try:
            return TokenClaims(
                user_id=str(payload["sub"]),
                org_id=str(payload["org"]),
                jti=str(payload["jti"]),
                issued_at=datetime.fromtimestamp(float(payload["iat"]), tz=UTC),
                expires_at=datetime.fromtimestamp(int(payload["exp"]), tz=UTC),
                scope=str(scope),
            )
        except (KeyError, TypeError, ValueError):
            raise InvalidToken("malformed claims") from None
