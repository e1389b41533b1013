"""Moved to `pushtask.domain.actor` (issue 16: `Actor` below services, so that any layer may name who acts);
kept for importers that have not moved yet."""

from __future__ import annotations

from pushtask.domain.actor import ROLE_RANK, Actor

__all__ = ["ROLE_RANK", "Actor"]
