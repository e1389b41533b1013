"""The collaborators one process builds from its settings and hands to requests and workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pushtask.clock import Clock, system_clock
from pushtask.config import Settings, ensure_secret_key
from pushtask.db import create_db_engine, create_session_factory
from pushtask.infra.throttle import LoginThrottle, MemoryCounter, RedisCounter
from pushtask.infra.wakeup import RedisWakeup, Wakeup
from pushtask.security import TokenSigner

if TYPE_CHECKING:
    from pushtask.infra.wechatlink import WeChatLink


@dataclass
class Runtime:
    settings: Settings
    engine: Engine | None
    sessions: sessionmaker[Session]
    signer: TokenSigner
    clock: Clock
    wakeup: Wakeup
    login_throttle: LoginThrottle
    # Base URL of the WeChat sandbox this process started (embedded default), else None.
    sandbox_url: str | None = None
    # Reviewer messages from request threads: built on first use (pushtask.infra.wechatlink).
    wechat_link: WeChatLink | None = None


def build_runtime(
    settings: Settings, *, clock: Clock = system_clock, sessions: sessionmaker[Session] | None = None
) -> Runtime:
    """Create the engine, session factory and token signer for these settings."""
    settings = ensure_secret_key(settings)
    engine = None
    if sessions is None:
        engine = create_db_engine(settings.database_url, pool_size=max(5, settings.api_threads + 2))
        sessions = create_session_factory(engine)
    signer = TokenSigner(
        secret=settings.secret_key, issuer=settings.jwt_issuer, ttl=timedelta(seconds=settings.jwt_ttl_seconds)
    )
    wakeup = RedisWakeup(settings.redis_url) if settings.redis_url else Wakeup()
    counter = RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()
    throttle = LoginThrottle(counter, clock=lambda: clock().timestamp())
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        signer=signer,
        clock=clock,
        wakeup=wakeup,
        login_throttle=throttle,
    )
