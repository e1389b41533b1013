"""The worker: fire due tasks on time and deliver each group's message, within bounded concurrency.

One asyncio loop per process. Database work runs in threads (never an HTTP call inside a
transaction); sends run as tasks; results are written in small batches. The loop sleeps until
the earliest due time (at most `poll_s`) and wakes at once when a task changes.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import itertools
import logging
import math
import os
import socket
import sys
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels.base import Channel, GroupTarget, Message, SendResult, TwoPhaseChannel, is_two_phase
from pushtask.clock import Clock
from pushtask.config import Settings
from pushtask.db import is_unavailable, unit_of_work
from pushtask.domain.content import fill_variables
from pushtask.domain.rendering import message_from_content
from pushtask.infra.wakeup import Wakeup
from pushtask.models import Push, Task, WorkerBeat
from pushtask.services import task_list
from pushtask.worker import ahead, collector, confirmations, deliveries, gate, planner, readback
from pushtask.worker.notices import Notifier

log = logging.getLogger("pushtask.worker")
MAX_BACKOFF_S = 2.0  # how late a push may get, at worst, for the back-off after the database returns
# The interpreter's thread switch interval in a `pushtask worker` process (default 5 ms): how long the
# fire thread may wait for the interpreter after each database answer while planning or sends run.
SWITCH_S = 0.001
PLAN_BATCH = 50  # tasks planned ahead per transaction
PLAN_SLICE = 5  # the same while a planned push of this worker fires within FIRES_NEAR,
PLAN_SOON_S = 5.0  # and then only tasks due within this many seconds
FIRES_NEAR = timedelta(seconds=2)
# The firer wakes this much before a fire time; the fire thread readies its connection, then waits
# for the instant itself (a thread's sleep is far more exact than the event loop's timer).
FIRE_EARLY_S = 0.005
ROUND_S = 1.0  # a generous bound on one round of sends (all slots once), for the lease of queued deliveries


class Sender(Protocol):
    """What the worker needs of the channels: send, and which channels drop repeats."""

    async def send(self, target: GroupTarget, message: Message) -> SendResult: ...

    def deduplicating(self) -> set[str]: ...


@dataclass(frozen=True)
class WorkerConfig:
    concurrency: int = 256
    # Slots only high-priority deliveries may take, so a burst of low-priority sends never blocks them
    # (default: an eighth of the concurrency).
    high_reserved: int | None = None
    claim_batch: int = 100
    lease_s: float = 60.0
    poll_s: float = 1.0
    housekeeping_s: float = 1.0
    flush_s: float = 0.05
    flush_batch: int = 200
    drain_s: float = 20.0
    # Occurrences due within this many seconds are planned ahead and fired from memory (0: at the fire time).
    plan_ahead_s: float = 60.0
    # A planned occurrence's lease: another worker takes it over once this worker's heartbeat is this old.
    plan_lease_s: float = 10.0
    # Deliveries a fire may hand to this worker's memory (sending or waiting for a slot); the rest of
    # a burst is left `pending` for any worker's claim (one more write per delivery). Default: 64 times
    # the concurrency; the lease of what waits is lengthened by its place in the queue (`ROUND_S`).
    memory_budget: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        return cls(
            concurrency=settings.worker_concurrency,
            lease_s=settings.worker_lease_seconds,
            plan_ahead_s=settings.worker_plan_ahead_seconds,
            plan_lease_s=settings.worker_plan_lease_seconds,
        )


class Worker:
    """Schedule and deliver until told to stop; then finish what is in flight."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        sender: Sender,
        clock: Clock,
        *,
        config: WorkerConfig | None = None,
        wakeup: Wakeup | None = None,
        worker_id: str | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.clock = clock
        self.config = config or WorkerConfig()
        self.wakeup = wakeup or Wakeup()
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._inflight: set[asyncio.Task[None]] = set()
        self._results: list[deliveries.Outcome] = []
        self._claims = 0
        self._last_housekeeping = 0.0
        self._started = clock()
        self._task_due: datetime | None = None
        self._flushing: asyncio.Task[None] | None = None
        # Set by our own sends (results to write, slots free) and by other processes' changes.
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        # Notices, alerts and the retention purge: run beside the cycle so a slow WeChat call never delays a push.
        self.notifier = notifier
        self._notifying: asyncio.Task[None] | None = None
        self._stepping = False
        self._notify_at: datetime | None = None
        # Two-phase deliveries: checks, reminders and cancellations, also beside the cycle.
        self._rounds = confirmations.Rounds(self.id)
        self._confirming: asyncio.Task[None] | None = None
        self._has_two_phase: bool | None = None
        self._confirm_at: datetime | None = None
        # Uncertain deliveries on channels that can read back: resolved beside the cycle (worker/readback.py).
        self.readback = readback.Verifier(sessions, sender, self.id, notifier.decorate if notifier else None)
        # Planned occurrences this worker holds, by fire time (see worker/ahead.py).
        self._timer: list[tuple[datetime, int, str]] = []
        self._held: dict[str, ahead.Planned] = {}
        self._armed = asyncio.Event()
        self._swept: set[str] = set()
        self._resumed = False
        self._plan_more = False
        self._running = False
        self._fires = itertools.count(1)
        self._fire_pool: ThreadPoolExecutor | None = None
        self._fire_failures = 0
        self._fire_retry_at = 0.0
        # Background threads step aside while a fire is near or under way (worker/gate.py).
        self._gate = gate.FireGate()
        if notifier is not None:
            notifier.pause = self._gate.wait_clear  # its housekeeping's database work too
        self._opening: set[str] = set()  # pushes just fired whose first send has not returned yet
        # Organisations whose tasks a fire set running: the fire's statement runs on the bare connection,
        # which the task list cache's write tracking does not see, so the next result write names them
        # (off the fire's path: no Redis round trip between the fire time and the first send).
        self._listed_stale: set[str] = set()
        # Set by `run(owns_process=True)`: full garbage collections only when nothing is about to fire.
        self._collections: collector.FullCollections | None = None
        # Fired deliveries waiting for a send slot, most urgent first.
        self._ready: list[tuple[int, int, deliveries.Claimed, tuple[GroupTarget, Message] | None]] = []
        self._seq = itertools.count()
        # Deliveries of each push this worker holds (waiting, sending, or sent and not yet written):
        # such a push cannot be finished yet, so writing results skips the finishing query for it.
        self._holding: collections.Counter[str] = collections.Counter()

    # ---- one cycle -------------------------------------------------------------------------

    def _plan(self, now: datetime, housekeeping: bool, tasks: bool) -> list[ahead.Planned]:
        planned: list[ahead.Planned] = []
        self._gate.wait_clear()
        with unit_of_work(self.sessions) as session:
            if housekeeping:
                self._beat(session, now)
                planner.resume_paused(session, now)
                deliveries.recover_expired(session, now, self.sender.deduplicating())
                deliveries.finalize(session, now)
                # Even with planning ahead off: a mixed fleet still takes a dead worker's plans over.
                taken = ahead.take_over(
                    session,
                    self.id,
                    now,
                    # Presumed dead a housekeeping round before the lease ends: taken over within the lease.
                    lease_s=max(1.0, self.config.plan_lease_s - self.config.housekeeping_s),
                    horizon_s=max(self.config.plan_ahead_s, 60.0),
                    swept=self._swept,
                )
                if taken:
                    log.info("took over %d planned push(es) of stopped or silent workers", len(taken))
                if not self._resumed:
                    taken += ahead.held_by(session, self.id)
                    self._resumed = True
                planned += ahead.load(session, taken, self.id, self._fire_token)
            if tasks:
                while len(planner.materialize_due(session, now)) >= 100:
                    pass
                horizon = self.config.plan_ahead_s
                if horizon > 0:
                    # One batch per cycle: it is armed (and fires) as soon as it commits, and result
                    # writes and claims are not held up behind a long planning transaction. While this
                    # worker has fires coming, small slices of what is due soon (a rolling horizon): a
                    # burst of new tasks is planned a few at a time between fires, not all at once beside them.
                    near = bool(self._timer) and self._timer[0][0] - now < FIRES_NEAR
                    size, horizon = (PLAN_SLICE, min(horizon, PLAN_SOON_S)) if near else (PLAN_BATCH, horizon)
                    until = now + timedelta(seconds=horizon)
                    batch = ahead.plan(session, now, until, self.id, self._fire_token, limit=size)
                    self._plan_more = len(batch) >= size
                    planned += batch
                # Remember when the next unplanned task is due, so busy cycles skip planning until then.
                unplanned = ~(
                    select(Push.id)
                    .where(Push.task_id == Task.id, Push.fire_at == Task.next_fire_at, Push.status == ahead.PLANNED)
                    .exists()
                )
                self._task_due = session.scalar(
                    select(func.min(Task.next_fire_at)).where(Task.status == "scheduled", unplanned)
                )
                if self._task_due is not None and self.config.plan_ahead_s > 0:
                    self._task_due -= timedelta(seconds=horizon)
        for entry in planned:
            entry.rendered = [self.render(item) for item in entry.items]

        return planned

    def _fire_token(self) -> str:
        return f"{self.id}:f{next(self._fires)}"

    # ---- planned ahead, fired from memory --------------------------------------------------

    def _arm(self, planned: list[ahead.Planned]) -> None:
        """Hold planned occurrences in the timer; wake the firer when one is nearer than it knew."""
        nearest = self._timer[0][0] if self._timer else None
        for entry in planned:
            if entry.push_id in self._held:
                continue
            self._held[entry.push_id] = entry
            heapq.heappush(self._timer, (entry.fire_at, entry.rank, entry.push_id))
        if self._timer and (nearest is None or self._timer[0][0] < nearest):
            self._armed.set()

    async def _firer(self) -> None:
        """Sleep until the nearest planned fire time, then fire what is due (beside the cycle)."""
        while True:
            delay = self.config.poll_s
            if self._timer:
                until_next = (self._timer[0][0] - self.clock()).total_seconds()
                delay = min(delay, until_next - FIRE_EARLY_S)
                self._gate.expect(time.monotonic() + until_next)
            else:
                self._gate.expect(math.inf)
            delay = max(delay, self._fire_retry_at - time.monotonic())
            if delay > 0 and self._collections is not None and self._collections.maybe(delay):
                continue  # it took a while: look at the timer again
            if delay > 0:
                self._armed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._armed.wait(), delay)
                continue
            await self._fire_due(self.clock(), early_s=FIRE_EARLY_S)

    async def _fire_due(self, now: datetime, early_s: float = 0.0) -> None:
        """Fire what is due at `now`, or within `early_s` of it (the fire thread waits for the instant)."""
        due: list[ahead.Planned] = []
        until = now + timedelta(seconds=early_s)
        while self._timer and self._timer[0][0] <= until:
            _at, _rank, push_id = heapq.heappop(self._timer)
            entry = self._held.pop(push_id, None)
            if entry is not None:
                due.append(entry)
        if not due:
            return
        self._gate.begin()
        due.sort(key=lambda e: (e.rank, e.fire_at, e.push_id))
        budget = self.config.memory_budget or self.config.concurrency * 64
        load = len(self._ready) + len(self._inflight)
        to_memory: set[str] = set()
        for entry in due:
            if load + len(entry.items) <= budget or load == 0:
                to_memory.add(entry.push_id)
                load += len(entry.items)
        if self._fire_pool is None:
            # Its own thread: a fire never waits behind planning, claims or result writes.
            self._fire_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pushtask-fire")
        loop = asyncio.get_running_loop()
        try:
            # What waits in memory behind `load` others keeps its lease that much longer: one round of
            # sends per `concurrency` ahead of it (never recovered as "uncertain" while merely queued).
            wait_s = load / self.config.concurrency * ROUND_S
            fired, discarded = await loop.run_in_executor(self._fire_pool, self._fire, due, now, to_memory, wait_s)
            self._fire_failures = 0
        except Exception as exc:  # noqa: BLE001 — the database away: keep them, try again after a back-off
            self._fire_failures += 1
            backoff = failure_backoff(self._fire_failures)
            self._fire_retry_at = time.monotonic() + backoff
            _log_failure(exc, f"firing planned pushes failed; retrying in {backoff:.1f} s")
            self._gate.end()
            self._arm(due)
            return
        for entry in fired:
            if entry.push_id in to_memory:
                self._holding[entry.push_id] += len(entry.items)
                for item, rendered in zip(entry.items, entry.rendered, strict=True):
                    heapq.heappush(self._ready, (item.claim_rank, next(self._seq), item, rendered))
        self._listed_stale.update(e.org_id for e in fired)
        # Background work waits until the first of these sends returns (or the gate's hold ends).
        self._opening = {e.push_id for e in fired if e.push_id in to_memory}
        if not self._opening:
            self._gate.end()
        if len(fired) > len([e for e in fired if e.push_id in to_memory]):
            self._wake.set()  # left pending: the ordinary claim takes them
        if discarded:
            self._changed.set()  # the task changed since its plan: plan it afresh now
        self._pump()

    def _fire(
        self, due: list[ahead.Planned], now: datetime, to_memory: set[str], wait_s: float = 0.0
    ) -> tuple[list[ahead.Planned], bool]:
        lease_for = timedelta(seconds=self.config.lease_s + wait_s)
        try:
            with unit_of_work(self.sessions) as session:
                session.connection()  # checked out and begun before the instant
                now = self._at_the_instant(due, now)
                ahead.fire_all(session, due, now, self.id, lease_for, to_memory)
            return due, False
        except ahead.Mismatch:
            pass
        now = max(now, self.clock())
        fired: list[ahead.Planned] = []
        discarded = False
        for entry in due:
            with unit_of_work(self.sessions) as session:
                outcome = ahead.fire_one(session, entry, now, self.id, lease_for, entry.push_id in to_memory)
            if outcome == "fired":
                fired.append(entry)
            elif outcome == "discarded":
                discarded = True
        return fired, discarded

    def _at_the_instant(self, due: list[ahead.Planned], now: datetime) -> datetime:
        """Wait (on the fire thread) until the latest fire time of `due`; return the time to fire at.

        The firer wakes `FIRE_EARLY_S` early, so the connection is ready and the wake-up's own delay
        is behind it; the statement still runs at the fire time, never before (a pause a moment
        before it wins).
        """
        wait = (max(e.fire_at for e in due) - self.clock()).total_seconds()
        if wait > 0:
            time.sleep(wait)
        return max(now, self.clock())

    def _pump(self) -> None:
        """Start fired sends while slots are free (the reserved ones only for high priority)."""
        reserved = self.config.high_reserved
        if reserved is None:
            reserved = max(1, self.config.concurrency // 8)
        batches: dict[tuple[str, str], list[deliveries.Claimed]] = {}
        while self._ready:
            free = self.config.concurrency - len(self._inflight)
            rank = self._ready[0][0]
            if free <= 0 or (rank > 1 and free <= reserved):
                break
            _rank, _seq, item, rendered = heapq.heappop(self._ready)
            if self._two_phase(item.channel) is not None:
                batches.setdefault((item.push_id, item.channel), []).append(item)
                continue
            self._start(self._send(item, rendered))
        for items in batches.values():
            self._start(self._send_batch(items))

    def _beat(self, session: Session, now: datetime) -> None:
        beat = session.get(WorkerBeat, self.id)
        if beat is None:
            session.add(
                WorkerBeat(
                    id=self.id,
                    hostname=socket.gethostname()[:255],
                    pid=os.getpid(),
                    started_at=self._started,
                    last_tick_at=now,
                    stopped=False,
                )
            )
        else:
            beat.last_tick_at = now

    def _claim(self, now: datetime, free: int) -> list[deliveries.Claimed]:
        reserved = self.config.high_reserved
        if reserved is None:
            reserved = max(1, self.config.concurrency // 8)
        max_rank = 3 if free > reserved else 1
        self._claims += 1
        self._gate.wait_clear()
        token = f"{self.id}:{self._claims}"
        with unit_of_work(self.sessions) as session:
            return deliveries.claim(
                session,
                token,
                now,
                min(free, self.config.claim_batch),
                timedelta(seconds=self.config.lease_s),
                max_rank=max_rank,
            )

    def _next_due(self) -> datetime | None:
        with self.sessions() as session:
            retry_due = deliveries.earliest_retry(session)
        candidates = [d for d in (self._task_due, retry_due) if d is not None]
        return min(candidates) if candidates else None

    async def cycle(self) -> float:
        """Run one scheduling round; return how long the loop may sleep."""
        now = self.clock()
        housekeeping = time.monotonic() - self._last_housekeeping >= self.config.housekeeping_s
        if housekeeping:
            self._last_housekeeping = time.monotonic()
        # Plan tasks when one is due, when told something changed, and at every housekeeping round
        # (which also catches tasks written straight into the database by another tool).
        plan_tasks = (
            housekeeping
            or self._plan_more
            or self._changed.is_set()
            or (self._task_due is not None and now >= self._task_due)
        )
        self._changed.clear()
        if self._stepping:
            await self._fire_due(now)  # (a running worker's firer does this on its own)
            # A step plans every time: whoever steps (a test, `--once`) moves the clock as it likes, so
            # the running loop's "plan when the next task is due or once a second" would depend on wall time.
            plan_tasks = True
            self._changed.clear()
        if housekeeping or plan_tasks:
            self._arm(await asyncio.to_thread(self._plan, now, housekeeping, plan_tasks))
        if self._stepping:
            await self._fire_due(now)
        if housekeeping and self.notifier is not None:
            if self._stepping:
                self._notify_at = now  # `step` runs it after the sends, one database call at a time
            elif self._notifying is None or self._notifying.done():
                self._notifying = asyncio.create_task(self._notify(now))
        if housekeeping and self._any_two_phase():
            if self._stepping:
                self._confirm_at = now
            elif self._confirming is None or self._confirming.done():
                self._confirming = asyncio.create_task(self._confirm(now))
        if housekeeping:
            self.readback.kick(now, defer=self._stepping)
        free = self.config.concurrency - len(self._inflight) - len(self._ready)
        claimed: list[deliveries.Claimed] = []
        # Claim in batches: a claim per finished send would spend more time in the database than sending.
        slots_full = free < min(self.config.claim_batch, max(1, self.config.concurrency // 4)) and bool(self._inflight)
        if not slots_full:
            claimed = await asyncio.to_thread(self._claim, now, free)
            batches: dict[tuple[str, str], list[deliveries.Claimed]] = {}
            for item in claimed:
                self._holding[item.push_id] += 1
                if self._two_phase(item.channel) is not None:
                    # A two-phase channel takes a push's groups in one call (one job per owner).
                    batches.setdefault((item.push_id, item.channel), []).append(item)
                    continue
                self._start(self._send(item))
            for items in batches.values():
                self._start(self._send_batch(items))
        if (claimed and len(claimed) >= min(free, self.config.claim_batch)) or self._plan_more:
            return 0.0  # more may be waiting
        if slots_full:
            return self.config.poll_s  # a send that returns frees a slot and wakes the loop (`_sent_one`)
        next_due = await asyncio.to_thread(self._next_due)
        if next_due is None:
            return self.config.poll_s
        return max(0.0, min(self.config.poll_s, (next_due - self.clock()).total_seconds()))

    def _start(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._inflight.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if self._ready:
            self._pump()

    def _channel(self, name: str) -> Channel | None:
        lookup = getattr(self.sender, "channel", None)  # a test's fake sender may have none
        return lookup(name) if lookup is not None else None

    def _any_two_phase(self) -> bool:
        """Whether any configured channel is two-phase (otherwise the round is skipped: no cost)."""
        if self._has_two_phase is None:
            names: list[str] = getattr(getattr(self.sender, "registry", None), "names", lambda: [])()
            self._has_two_phase = any(self._two_phase(name) is not None for name in names)
        return self._has_two_phase

    def _two_phase(self, name: str) -> TwoPhaseChannel | None:
        found = self._channel(name)
        return found if found is not None and is_two_phase(found) else None  # type: ignore[return-value]

    async def _confirm(self, now: datetime) -> None:
        try:
            await confirmations.run_round(self.sessions, self._channel, now, self._rounds, to_thread=asyncio.to_thread)
        except Exception as exc:  # noqa: BLE001 — logged by kind, tried again next housekeeping
            _log_failure(exc, "two-phase round failed")

    async def _notify(self, now: datetime) -> None:
        assert self.notifier is not None
        try:
            await self.notifier.housekeeping(now)
        except Exception as exc:  # noqa: BLE001 — logged by kind, tried again next housekeeping
            _log_failure(exc, "notification round failed")

    def render(self, item: deliveries.Claimed) -> tuple[GroupTarget, Message]:
        """The one place a delivery becomes what its group receives: target and message.

        Runs when a delivery is planned ahead (so the fire sends from memory) or claimed.
        """
        target = GroupTarget(
            group_id=item.group_id,
            name=item.group_name,
            channel=item.channel,
            ref=item.ref,
            owner=item.owner,
            owner_name=item.owner_name,
            delivery_key=f"{item.push_id}:{item.group_id}",
        )
        # {{群名}} / {{日期}} are filled here, per group, in the task's zone on the occurrence's date.
        content = fill_variables(item.content, item.group_name, _local_date(item.fire_at, item.content))
        message = message_from_content(content)
        if self.notifier is not None:
            message = self.notifier.decorate(item.task_id, item.group_id, item.push_id, item.fire_at, content, message)
        return target, message

    async def _send(self, item: deliveries.Claimed, rendered: tuple[GroupTarget, Message] | None = None) -> None:
        target, message = rendered or self.render(item)
        try:
            result = await self.sender.send(target, message)
        except Exception as exc:  # a channel bug must not kill the worker; it is recorded
            log.exception("delivery %s: channel %s raised", item.id, item.channel)
            result = _raised(item.channel, exc)
        self._results.append(deliveries.Outcome(item, result, self.clock()))
        if item.push_id in self._opening:
            self._opening.clear()
            self._gate.end()
        self._release_held(item.push_id, 1)
        self._sent_one()

    async def _send_batch(self, items: list[deliveries.Claimed]) -> None:
        """Send one push's deliveries of a two-phase channel in one `send_batch` call.

        The message is the first group's ({{群名}} cannot differ per group in one mass send).
        """
        channel = self._two_phase(items[0].channel)
        assert channel is not None
        targets = [self.render(item)[0] for item in items]
        _target, message = self.render(items[0])
        try:
            results = await channel.send_batch(targets, message)
            if len(results) != len(items):
                raise RuntimeError(f"send_batch answered {len(results)} results for {len(items)} targets")
        except Exception as exc:  # a channel bug must not kill the worker; it is recorded
            log.exception("push %s: two-phase channel %s raised", items[0].push_id, items[0].channel)
            results = [_raised(items[0].channel, exc)] * len(items)
        at = self.clock()
        self._results.extend(deliveries.Outcome(item, result, at) for item, result in zip(items, results, strict=True))
        self._release_held(items[0].push_id, len(items))
        self._sent_one()

    def _sent_one(self) -> None:
        # Wake the loop when a batch of results is ready or a quarter of the slots are free again;
        # otherwise the flush timer picks the results up.
        if len(self._results) >= self.config.flush_batch or len(self._inflight) - 1 <= self.config.concurrency * 3 // 4:
            self._wake.set()
        if self._running and len(self._results) >= self.config.flush_batch:
            self._flush_in_background()  # not behind a cycle that is busy planning or claiming

    async def _flusher(self) -> None:
        """Write results every `flush_s`, beside the cycle (which may be busy planning ahead)."""
        while True:
            await asyncio.sleep(self.config.flush_s)
            self._flush_in_background()

    def _release_held(self, push_id: str, count: int) -> None:
        left = self._holding[push_id] - count
        if left > 0:
            self._holding[push_id] = left
        else:
            self._holding.pop(push_id, None)

    def _flush(self, batch: list[deliveries.Outcome], busy: set[str], listed: Iterable[str] = ()) -> None:
        """Write a batch of results; then, in a transaction of its own, finish the pushes they may complete.

        `listed`: organisations whose task list is stale since a fire (marked with this transaction).
        """
        self._gate.wait_clear()
        now = self.clock()
        with unit_of_work(self.sessions) as session:
            touched = deliveries.record(session, batch, now)
            task_list.mark_written(session, listed)
        # Counts, task status and result notices are off the result-write path: a push of which this
        # worker still holds deliveries cannot be finished, so it is not even asked.
        # One push per transaction, each after any fire that is due: finishing one (counts, task status,
        # result notices) is a few milliseconds of the interpreter, which a fire must not wait behind.
        for push_id in sorted(touched - busy):
            self._gate.wait_clear()
            try:
                with unit_of_work(self.sessions) as session:
                    deliveries.finalize(session, now, [push_id])
            except Exception as exc:  # noqa: BLE001 — the results are written; housekeeping finishes them
                _log_failure(exc, "finishing pushes failed; the next housekeeping round finishes them")
                break

    async def flush(self) -> None:
        """Write the results gathered so far."""
        while self._results:
            batch, self._results = self._results[: self.config.flush_batch], self._results[self.config.flush_batch :]
            busy = set(self._holding) | {o.delivery.push_id for o in self._results}
            listed, self._listed_stale = self._listed_stale, set()
            try:
                await asyncio.to_thread(self._flush, batch, busy, listed)
            except BaseException:
                self._results[:0] = batch  # not written: keep them for the next flush
                self._listed_stale |= listed
                raise

    def _flush_in_background(self) -> None:
        """Write results while the loop goes on claiming: the two transactions overlap.

        One flush at a time keeps results in order; a failed flush keeps its batch for the next.
        """
        if self._results and (self._flushing is None or self._flushing.done()):
            if self._flushing is not None and not self._flushing.cancelled():
                failed = self._flushing.exception()
                if failed is not None:
                    _log_failure(failed, "writing results failed; they are kept and written again")
            self._flushing = asyncio.create_task(self.flush())

    async def step(self) -> None:
        """Run one cycle, wait for its sends, and record them (tests and `--once` drive this)."""
        self._stepping = True
        await self.cycle()
        while self._inflight or self._ready:
            self._pump()
            if self._inflight:
                await asyncio.wait(set(self._inflight))
        await self.flush()
        if self._notify_at is not None:
            now, self._notify_at = self._notify_at, None
            await self._notify(now)
        if self._confirm_at is not None:
            now, self._confirm_at = self._confirm_at, None
            await self._confirm(now)
        await self.readback.settle()

    # ---- the loop --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, owns_process: bool = False) -> None:
        """Work until `stop` is set, then drain: finish sends in flight and record them.

        `owns_process` (`pushtask worker`): the process is this worker's alone, so it may tune the
        interpreter for firing on time: full garbage collections at quiet moments (worker/collector.py)
        and a shorter thread switch interval, so the fire thread gets the interpreter back within
        `SWITCH_S` of its database's answer instead of the default 5 ms.
        """
        switch_was = sys.getswitchinterval()
        if owns_process:
            self._collections = collector.FullCollections()
            self._collections.start()
            sys.setswitchinterval(SWITCH_S)
        self.wakeup.register(self._changed)
        listener = asyncio.create_task(self.wakeup.listen(stop))
        firer = asyncio.create_task(self._firer())
        flusher = asyncio.create_task(self._flusher())
        self._running = True
        log.info("worker %s started", self.id)
        try:
            failures = 0
            while not stop.is_set():
                try:
                    delay = await self.cycle()
                    self._flush_in_background()
                    failures = 0
                except Exception as exc:  # noqa: BLE001 — the database away or a bug: back off, carry on
                    failures += 1
                    delay = failure_backoff(failures)
                    _log_failure(exc, f"worker cycle failed; retrying in {delay:.1f} s")
                await self._sleep(delay, stop)
            firer.cancel()
            flusher.cancel()
            await asyncio.gather(firer, flusher, return_exceptions=True)
            self._running = False
            await self._drain()
        finally:
            self.wakeup.unregister(self._changed)
            listener.cancel()
            firer.cancel()
            flusher.cancel()
            await asyncio.gather(listener, firer, flusher, return_exceptions=True)
            if self._fire_pool is not None:
                self._fire_pool.shutdown(wait=False)
            await asyncio.to_thread(self._stopped)
            if self._collections is not None:
                self._collections.stop()
                self._collections = None
                sys.setswitchinterval(switch_was)
            log.info("worker %s stopped", self.id)

    async def _sleep(self, delay: float, stop: asyncio.Event) -> None:
        if self._results:
            delay = min(delay, self.config.flush_s)
        if delay <= 0 or stop.is_set():
            return
        self._wake.clear()
        if self._changed.is_set():
            return
        waiters = [
            asyncio.create_task(self._wake.wait()),
            asyncio.create_task(self._changed.wait()),
            asyncio.create_task(stop.wait()),
        ]
        _done, pending = await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _drain(self) -> None:
        if self._held:
            # Planned occurrences not yet due: say we stopped, so another worker takes them over at once.
            try:
                await asyncio.to_thread(self._release)
            except Exception as exc:  # noqa: BLE001 — they are taken over once our heartbeat is old
                _log_failure(exc, "releasing planned pushes failed")
            self._held.clear()
            self._timer.clear()
        # Fired deliveries still waiting for a slot are ours (sending): send them now rather than leave them.
        while self._ready:
            _rank, _seq, item, rendered = heapq.heappop(self._ready)
            self._start(self._send(item, rendered))
        if self._inflight:
            log.info("draining %d send(s) in flight", len(self._inflight))
            await asyncio.wait(set(self._inflight), timeout=self.config.drain_s)
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        await self.flush()
        if self._notifying is not None:
            await asyncio.wait({self._notifying}, timeout=self.config.drain_s)
        if self._confirming is not None:
            await asyncio.wait({self._confirming}, timeout=self.config.drain_s)
        await self.readback.settle(self.config.drain_s)

    def _release(self) -> None:
        with unit_of_work(self.sessions) as session:
            ahead.release(session, self.id)

    def _stopped(self) -> None:
        with unit_of_work(self.sessions) as session:
            beat = session.get(WorkerBeat, self.id)
            if beat is not None:
                beat.stopped = True


def _raised(channel: str, exc: BaseException) -> SendResult:
    return SendResult(
        channel=channel,
        sent=False,
        errcode=-2,
        errmsg=type(exc).__name__,
        reason_zh=f"发送失败（内部错误 {type(exc).__name__}），请重发或联系运维",
        reason_en=f"Send failed (internal error {type(exc).__name__}); resend or ask ops",
        permanent=True,
        may_duplicate=False,
    )


def failure_backoff(failures: int) -> float:
    """Seconds to wait after `failures` failed cycles in a row: 0.5, 1, then every 2 s."""
    return float(min(MAX_BACKOFF_S, 0.5 * 2 ** (failures - 1)))


def _log_failure(exc: BaseException, message: str) -> None:
    # An unreachable database is reported once per outage by the engine (pushtask.db); a traceback
    # per cycle would bury that line. Anything else is a bug worth its traceback.
    if is_unavailable(exc):
        log.debug("%s: %s", message, exc)
    else:
        log.error(message, exc_info=exc)


def _local_date(fire_at: datetime, content: dict[str, Any]) -> date:
    zone = str(content.get("timezone") or "Asia/Shanghai")
    try:
        return fire_at.astimezone(ZoneInfo(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return fire_at.date()
