"""WeChat sign-in: who an openid is — a bound operator, a reviewer, or a group member — and their token.

The order is fixed: an operator who bound this WeChat signs in as themselves; otherwise a
mini-program reviewer of the directory with this openid gets a reviewer token (their own
previews only); anyone else is a group member (feedback only), known by a pseudonym derived
from the openid, so the openid itself is never handed back or stored in an answer.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pushtask.domain.actor import Actor
from pushtask.errors import Conflict
from pushtask.models import Organization, Recipient, User, WeChatBinding
from pushtask.security import InvalidToken, TokenClaims, TokenSigner

_MEMBER_PURPOSE = b"pushtask-member-v1:"


@dataclass(frozen=True)
class WeChatSignIn:
    token: str
    claims: TokenClaims
    scope: str
    user: User | None = None
    org: Organization | None = None
    recipient: Recipient | None = None


def member_id(secret: str, appid: str, openid: str) -> str:
    """Return the stable pseudonym of a group member (the same phone gets the same id every time)."""
    digest = hmac.new(secret.encode(), _MEMBER_PURPOSE + f"{appid}:{openid}".encode(), hashlib.sha256)
    return "m_" + digest.hexdigest()[:40]


def bound_user(session: Session, openid: str) -> User | None:
    """Return the live user who bound this openid, if any."""
    binding = session.scalars(select(WeChatBinding).where(WeChatBinding.openid_is(openid))).first()
    if binding is None:
        return None
    user = session.get(User, binding.user_id)
    return user if user is not None and user.deleted_at is None else None


def reviewer_of(session: Session, openid: str) -> Recipient | None:
    """Return the mini-program reviewer with this openid (the earliest added, if several organisations know them)."""
    return session.scalars(
        select(Recipient)
        .where(
            Recipient.channel == "miniprogram",
            Recipient.channel_user_id_is(openid),
            Recipient.deleted_at.is_(None),
        )
        .order_by(Recipient.created_at, Recipient.id)
    ).first()


def sign_in(session: Session, signer: TokenSigner, secret: str, appid: str, openid: str, now: datetime) -> WeChatSignIn:
    """Issue the token this WeChat user is entitled to."""
    user = bound_user(session, openid)
    if user is not None:
        org = session.get(Organization, user.org_id)
        token, claims = signer.issue(user.id, user.org_id, now)
        return WeChatSignIn(token, claims, "operator", user=user, org=org)
    recipient = reviewer_of(session, openid)
    if recipient is not None:
        org = session.get(Organization, recipient.org_id)
        token, claims = signer.issue(recipient.id, recipient.org_id, now, scope="reviewer")
        return WeChatSignIn(token, claims, "reviewer", org=org, recipient=recipient)
    token, claims = signer.issue(member_id(secret, appid, openid), "", now, scope="member")
    return WeChatSignIn(token, claims, "member")


def reissue(signer: TokenSigner, actor: Actor, now: datetime) -> tuple[str, TokenClaims]:
    """Return a fresh token of the same scope and subject (the refresh of a WeChat sign-in)."""
    if actor.scope == "reviewer":
        assert actor.recipient_id is not None
        return signer.issue(actor.recipient_id, actor.org_id, now, scope="reviewer")
    assert actor.member_id is not None
    return signer.issue(actor.member_id, "", now, scope="member")


def actor_for(session: Session, claims: TokenClaims) -> Actor:
    """Return the reviewer or member a WeChat token stands for, raising InvalidToken when gone."""
    if claims.scope == "reviewer":
        recipient = session.get(Recipient, claims.user_id)
        if (
            recipient is None
            or recipient.deleted_at is not None
            or recipient.org_id != claims.org_id
            or recipient.channel != "miniprogram"
        ):
            raise InvalidToken("unknown reviewer")
        return Actor(
            user_id="",
            org_id=recipient.org_id,
            role="viewer",
            name=recipient.name,
            jti=claims.jti,
            scope="reviewer",
            recipient_id=recipient.id,
        )
    return Actor(
        user_id="", org_id="", role="viewer", name="", jti=claims.jti, scope="member", member_id=claims.user_id
    )


def bind(session: Session, actor: Actor, appid: str, openid: str, now: datetime) -> WeChatBinding:
    """Bind this WeChat to the signed-in user (replacing their earlier one); 409 if another user has it."""
    other = session.scalars(select(WeChatBinding).where(WeChatBinding.openid_is(openid))).first()
    if other is not None and other.user_id != actor.user_id:
        raise Conflict("wechat_bound_elsewhere")
    binding = session.get(WeChatBinding, actor.user_id)
    if binding is None:
        binding = WeChatBinding(user_id=actor.user_id, org_id=actor.org_id, appid=appid, openid=openid, created_at=now)
        session.add(binding)
    else:
        binding.appid, binding.openid, binding.created_at = appid, openid, now
    try:
        session.flush()
    except IntegrityError:
        # Another user bound the same WeChat between our check and this write.
        raise Conflict("wechat_bound_elsewhere") from None
    return binding


def unbind(session: Session, actor: Actor) -> bool:
    """Remove the user's WeChat binding; tell whether there was one."""
    binding = session.get(WeChatBinding, actor.user_id)
    if binding is None:
        return False
    session.delete(binding)
    return True


def binding_of(session: Session, user_id: str) -> WeChatBinding | None:
    return session.get(WeChatBinding, user_id)
