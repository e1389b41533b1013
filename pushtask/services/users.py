"""Sign-in, sign-out, and the admin's maintenance of users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pushtask.models import Organization, RevokedToken, User, new_id
from pushtask.schemas import UserCreate, UserUpdate
from pushtask.security import InvalidToken, TokenClaims, TokenSigner, hash_password, verify_password
from pushtask.services import wechat_identity
from pushtask.services.context import Actor


@dataclass(frozen=True)
class SignIn:
    token: str
    claims: TokenClaims
    user: User
    org: Organization


def login(session: Session, signer: TokenSigner, wechat_id: str, password: str, now: datetime) -> SignIn | None:
    """Check credentials and issue a token; None for any failure (same answer for all)."""
    user = session.scalars(select(User).where(User.wechat_id == wechat_id, User.deleted_at.is_(None))).first()
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    org = session.get(Organization, user.org_id)
    assert org is not None
    token, claims = signer.issue(user.id, user.org_id, now)
    return SignIn(token=token, claims=claims, user=user, org=org)


def authenticate(session: Session, signer: TokenSigner, token: str, now: datetime) -> tuple[Actor, TokenClaims]:
    """Return who holds this token, raising InvalidToken if it is bad, revoked or stale."""
    claims = signer.verify(token, now)
    if session.get(RevokedToken, claims.jti) is not None:
        raise InvalidToken("revoked")
    if claims.scope != "operator":
        return wechat_identity.actor_for(session, claims), claims
    user = session.get(User, claims.user_id)
    if user is None or user.deleted_at is not None or user.org_id != claims.org_id:
        raise InvalidToken("unknown user")
    if claims.issued_at < user.tokens_valid_after:
        raise InvalidToken("issued before the password changed")
    actor = Actor(user_id=user.id, org_id=user.org_id, role=user.role, name=user.name, jti=claims.jti)
    return actor, claims


def logout(session: Session, claims: TokenClaims) -> None:
    """Revoke the token until it would have expired anyway."""
    if session.get(RevokedToken, claims.jti) is None:
        session.add(RevokedToken(jti=claims.jti, expires_at=claims.expires_at))


def create_user(
    session: Session, org_id: str, wechat_id: str, name: str, password: str, role: str, now: datetime
) -> User:
    """Add a user to an organisation; the WeChat ID must be unused."""
    taken = session.scalar(select(func.count()).where(User.wechat_id == wechat_id.strip()))
    if taken:
        raise InvalidInput([FieldProblem("wechatId", "wechat_id_taken")])
    user = User(
        id=new_id(),
        org_id=org_id,
        wechat_id=wechat_id.strip(),
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
        tokens_valid_after=now,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # Another request took the same WeChat ID between our check and the insert.
        raise InvalidInput([FieldProblem("wechatId", "wechat_id_taken")]) from None
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    """Return the organisation's users by name."""
    return list(
        session.scalars(
            select(User).where(User.org_id == actor.org_id, User.deleted_at.is_(None)).order_by(User.name, User.id)
        )
    )


def _get(session: Session, actor: Actor, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.org_id != actor.org_id or user.deleted_at is not None:
        raise NotFound("User not found")
    return user


def _other_admins(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                User.org_id == user.org_id, User.role == "admin", User.deleted_at.is_(None), User.id != user.id
            )
        )
        or 0
    )


def update_user(session: Session, actor: Actor, user_id: str, data: UserUpdate, now: datetime) -> User:
    """Rename, change the role of, or reset the password of a user."""
    user = _get(session, actor, user_id)
    if data.role is not None and data.role != "admin" and user.role == "admin" and not _other_admins(session, user):
        raise Conflict("last_admin")
    if data.name is not None:
        user.name = data.name.strip()
    if data.role is not None:
        user.role = data.role
    if data.password is not None:
        user.password_hash = hash_password(data.password)
        # Every session of this user ends; they sign in again with the new password.
        user.tokens_valid_after = now
    user.updated_at = now
    return user


def delete_user(session: Session, actor: Actor, user_id: str, now: datetime) -> None:
    """Remove a user (their tasks stay); never yourself and never the last admin."""
    user = _get(session, actor, user_id)
    if user.id == actor.user_id:
        raise Conflict("delete_self")
    if user.role == "admin" and not _other_admins(session, user):
        raise Conflict("last_admin")
    user.deleted_at = now
    # Their WeChat no longer signs anyone in (and the openid, personal data, goes with the account).
    wechat_identity.unbind(session, Actor(user.id, user.org_id, user.role, user.name))
    # Free the WeChat ID for reuse while keeping the row for history.
    # Cut the ID, not the random suffix: a cut suffix would not free a 64-character ID, or would collide.
    user.wechat_id = f"{user.wechat_id[:47]}#deleted#{new_id()[:8]}"
    user.tokens_valid_after = now


def create_user_in(session: Session, actor: Actor, data: UserCreate, now: datetime) -> User:
    """Add a user to the admin's own organisation."""
    return create_user(session, actor.org_id, data.wechatId, data.name, data.password, data.role, now)
