"""Access tokens as the real hosts issue them: expiry, stable tokens, early invalidation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from pushtask.sandbox.wire import WECHAT, WECOM, ApiError

LIFETIME_S = 7200
OVERLAP_S = 300  # WeChat keeps a replaced token valid this long
FORCE_REFRESH_PER_DAY = 20
FORCE_REFRESH_GAP_S = 30


@dataclass
class Issued:
    owner: str  # "<corpid>:<agentid>" or appid
    platform: str
    expires_at: float
    revoked: bool = False


class SandboxTokens:
    """Issue and check tokens; time comes from the caller (the state's clock)."""

    def __init__(self) -> None:
        self._issued: dict[str, Issued] = {}
        self._current: dict[tuple[str, str], str] = {}
        self._forced: dict[str, list[float]] = {}

    def _new(self, owner: str, platform: str, kind: str, now: float) -> str:
        token = secrets.token_urlsafe(96)
        self._issued[token] = Issued(owner, platform, now + LIFETIME_S)
        self._current[(owner, kind)] = token
        return token

    def _live_current(self, owner: str, kind: str, now: float) -> tuple[str, Issued] | None:
        token = self._current.get((owner, kind))
        if token is None:
            return None
        issued = self._issued[token]
        if issued.revoked or issued.expires_at <= now:
            return None
        return token, issued

    def wecom(self, owner: str, now: float) -> tuple[str, int]:
        """gettoken: the same token while it is valid, a new one after."""
        live = self._live_current(owner, "gettoken", now)
        if live is None:
            token = self._new(owner, WECOM, "gettoken", now)
            return token, LIFETIME_S
        return live[0], int(live[1].expires_at - now)

    def stable(self, appid: str, now: float, force: bool) -> tuple[str, int]:
        """stable_token: same token while valid; renewed in the last 5 minutes; forced ≤20/day, ≥30 s apart."""
        live = self._live_current(appid, "stable", now)
        if force:
            history = [t for t in self._forced.get(appid, []) if t > now - 86400]
            if len(history) < FORCE_REFRESH_PER_DAY and (not history or now - history[-1] >= FORCE_REFRESH_GAP_S):
                history.append(now)
                self._forced[appid] = history
                if live is not None:
                    live[1].revoked = True
                return self._new(appid, WECHAT, "stable", now), LIFETIME_S
            self._forced[appid] = history
        if live is None or live[1].expires_at - now < OVERLAP_S:
            # The old one (if any) stays valid until its own expiry: the 5-minute overlap.
            return self._new(appid, WECHAT, "stable", now), LIFETIME_S
        return live[0], int(live[1].expires_at - now)

    def plain(self, appid: str, now: float) -> tuple[str, int]:
        """cgi-bin/token: every call issues a new token; the previous one lives 5 more minutes."""
        live = self._live_current(appid, "token", now)
        if live is not None:
            live[1].expires_at = min(live[1].expires_at, now + OVERLAP_S)
        return self._new(appid, WECHAT, "token", now), LIFETIME_S

    def check(self, token: str | None, platform: str, now: float) -> str:
        """Return the owner of a usable token, or raise the errcode the real host would."""
        if not token:
            raise ApiError(41001)
        issued = self._issued.get(token)
        if issued is None or issued.platform != platform or issued.revoked:
            if platform == WECOM:
                raise ApiError(40014)
            raise ApiError(40001, "invalid credential, access_token is invalid or not latest")
        if issued.expires_at <= now:
            raise ApiError(42001)
        return issued.owner

    def invalidate(self, owner: str | None = None) -> int:
        """Revoke current tokens early (of one owner, or all); return how many were revoked."""
        count = 0
        for token in list(self._current.values()):
            issued = self._issued[token]
            if not issued.revoked and (owner is None or issued.owner == owner or issued.owner.startswith(owner + ":")):
                issued.revoked = True
                count += 1
        return count
