"""Moved to `pushtask.domain.rendering` (issue 16: the domain must not import services); kept for importers
that have not moved yet (the worker)."""

from __future__ import annotations

from pushtask.domain.rendering import message_from_content

__all__ = ["message_from_content"]
