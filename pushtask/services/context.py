"""Who is acting: the signed-in user as the services see them."""

from __future__ import annotations

from dataclasses import dataclass

ROLE_RANK = {"viewer": 1, "operator": 2, "admin": 3}


@dataclass(frozen=True)
class Actor:
    user_id: str
    org_id: str
    role: str
    name: str
    jti: str = ""
    # "operator" for users; "reviewer" (recipient_id set) and "member" (member_id set) come from
    # WeChat sign-in and never pass a role check: the routes that admit them say so.
    scope: str = "operator"
    recipient_id: str | None = None
    member_id: str | None = None

    def can(self, role: str) -> bool:
        """Tell whether this actor has at least `role` (never for reviewer and member tokens)."""
        return self.scope == "operator" and ROLE_RANK[self.role] >= ROLE_RANK[role]
