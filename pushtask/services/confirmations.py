"""Two-phase pushes seen from the API: check the outcome now, remind the owners now.

The service makes the push's awaiting deliveries due and commits; the delivery engine then runs
its own round for that push (same claim and lease as the worker's) through `ConfirmationEngine`,
which the composition root (`pushtask/wiring.py`) provides on the process's WeChat loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from pushtask.channels.base import ActionResult
from pushtask.domain.actor import Actor
from pushtask.errors import Conflict
from pushtask.models import Confirmation, Delivery
from pushtask.services import pushes


class RoundReport(Protocol):
    """One delivery's state after a round (what /refresh and /remind answer)."""

    @property
    def group_id(self) -> str: ...
    @property
    def group_name(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def reminded(self) -> ActionResult | None: ...


class ConfirmationEngine(Protocol):
    def confirmation_round(self, push_id: str, now: datetime, timeout_s: float) -> Sequence[RoundReport]:
        """Run the engine's round for one push now; TimeoutError after `timeout_s` (the channel is busy)."""
        ...


ROUND_TIMEOUT_S = 8.0


def request(
    session: Session,
    push_id: str,
    now: datetime,
    *,
    check: bool = False,
    remind: bool = False,
    group_ids: Sequence[str] | None = None,
) -> int:
    """Make a push's awaiting deliveries (or those of `group_ids`) due now; return how many are awaiting."""
    values: dict[str, Any] = {}
    if check:
        values["check_at"] = now
    if remind:
        values["remind_at"] = now
    open_rows = and_(Confirmation.push_id == push_id, Confirmation.check_at.is_not(None))
    if group_ids is not None:
        chosen = select(Delivery.id).where(Delivery.push_id == push_id, Delivery.group_id.in_(list(group_ids)))
        open_rows = and_(open_rows, Confirmation.delivery_id.in_(chosen))
    # Rows another worker holds (lease in the future) are left to it.
    result = session.execute(
        update(Confirmation)
        .where(open_rows, or_(Confirmation.lease_token.is_(None), Confirmation.check_at <= now))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def run_now(
    session: Session,
    actor: Actor,
    push_id: str,
    now: datetime,
    engine: ConfirmationEngine,
    *,
    check: bool,
    remind: bool,
    group_ids: Sequence[str] | None = None,
) -> Sequence[RoundReport]:
    """Make the push's awaiting groups due, commit, and have the engine run one round for them.

    409 `nothing_awaiting` when no group of the push awaits confirmation; TimeoutError when the
    channel does not answer within ROUND_TIMEOUT_S (the rows stay due: the worker's round takes them).
    """
    push = pushes.get_push(session, actor, push_id)
    if not request(session, push.id, now, check=check, remind=remind, group_ids=group_ids):
        raise Conflict("nothing_awaiting")
    session.commit()  # the round claims in its own transactions: it must see these rows due
    reports = engine.confirmation_round(push.id, now, ROUND_TIMEOUT_S)
    session.expire_all()
    return reports
