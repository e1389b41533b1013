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

    def can(self, role: str) -> bool:
        """Tell whether this actor has at least `role`."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]
