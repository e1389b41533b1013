"""Everything the sandbox remembers, behind one lock so Python callers and handlers can share it."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pushtask.sandbox import directory as d
from pushtask.sandbox.faults import FaultRule, Faults
from pushtask.sandbox.tokens import SandboxTokens

Clock = Callable[[], float]
MEDIA_LIFETIME_S = 3 * 86400
RESPONSE_CODE_LIFETIME_S = 72 * 3600


@dataclass
class Media:
    data: bytes
    mime: str
    filename: str
    media_type: str
    owner: str  # WeCom corp id, or "robot:<key>"
    expires_at: float


@dataclass
class Card:
    """An interactive template_card sent to people; its response_code may be used once."""

    app_key: str
    task_id: str
    userids: list[str]
    issued_at: float
    used: bool = False
    records: list[dict[str, Any]] = field(default_factory=list)


def iso_ms(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SandboxState:
    """The sandbox's memory: directory, tokens, received messages, faults, quotas, media, cards."""

    def __init__(self, clock: Clock = time.time, *, seed: int | None = None, max_messages: int = 200_000) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self._max_messages = max_messages
        self.base_url = ""  # set by the server once it listens
        # Run after every reset: the `pushtask serve` owning this sandbox re-registers its callback
        # URLs, groups and reviewers there, so a reset never cuts it off.
        self.after_reset: list[Callable[[SandboxState], None]] = []
        self.reset()

    def reset(self) -> None:
        """Forget everything, restore the default directory, then let the owner re-register (`after_reset`)."""
        with self.lock:
            self._clear()
            for hook in self.after_reset:
                hook(self)

    def _clear(self) -> None:
        with self.lock:
            self.apps: dict[str, d.WeComApp] = {}
            self.miniapps: dict[str, d.MiniApp] = {}
            self.groups: dict[str, d.Group] = {}
            self.people: dict[str, d.Person] = {}
            self.templates: dict[str, d.Template] = {}
            self.bridge_token = d.DEFAULT_BRIDGE_TOKEN
            self.tokens = SandboxTokens()
            self.faults = Faults(self.rng)
            self.log: deque[dict[str, Any]] = deque(maxlen=self._max_messages)
            self.seq = 0
            self.stats: Counter[str] = Counter()
            self.windows: dict[str, deque[float]] = {}
            self.quota: Counter[tuple[str, str]] = Counter()
            self.media: dict[str, Media] = {}
            self.cards: dict[str, Card] = {}
            self.task_ids: set[tuple[str, str]] = set()
            self.dedup: dict[tuple[str, str], tuple[float, str]] = {}
            self.callbacks: list[dict[str, Any]] = []
            # Mini-program login codes (pushtask.sandbox.login_api), made on first use.
            self.logins: Any = None
            self.groupmsgs: dict[str, Any] = {}  # msgid -> customer_group_api.GroupMsg
            self.group_sends: dict[str, list[float]] = {}  # customer chat_id -> mass sends received
            # The bridge's memory of idempotency keys: key -> (state, msgid, sent at), see bridge_api.
            self.bridge_keys: dict[str, tuple[str, str, float]] = {}
            self.apply_directory(d.default_entries())

    # -- directory ---------------------------------------------------------------------------

    def apply_directory(self, entries: Mapping[str, Any]) -> dict[str, int]:
        """Add or replace apps, groups, users and templates; return how many of each were set."""
        parsed_apps = [d.parse_app(e) for e in entries.get("apps", [])]
        parsed_groups = [d.parse_group(e) for e in entries.get("groups", [])]
        parsed_people = [d.parse_person(e) for e in entries.get("users", [])]
        parsed_templates = [d.parse_template(e) for e in entries.get("templates", [])]
        with self.lock:
            for app in parsed_apps:
                if isinstance(app, d.WeComApp):
                    self.apps[app.key] = app
                else:
                    self.miniapps[app.appid] = app
            for group in parsed_groups:
                if group.channel == "wecom_appchat" and not group.owner_app:
                    group.owner_app = "*"  # registered through the control API: any app may use it
                self.groups[group.ref] = group
            for person in parsed_people:
                self.people[person.id] = person
            for template in parsed_templates:
                self.templates[template.template_id] = template
            bridge = entries.get("bridge")
            if isinstance(bridge, Mapping) and bridge.get("token"):
                self.bridge_token = str(bridge["token"])
        return {
            "apps": len(parsed_apps),
            "groups": len(parsed_groups),
            "users": len(parsed_people),
            "templates": len(parsed_templates),
        }

    def register_group(
        self,
        channel: str,
        ref: str,
        name: str,
        member_count: int = 3,
        members: Iterable[str] = (),
        owner: str = "",
    ) -> None:
        """Add one group (how `pushtask serve` registers its seeded demo groups)."""
        entry: dict[str, Any] = {
            "channel": channel,
            "ref": ref,
            "name": name,
            "memberCount": member_count,
            "members": list(members),
        }
        if owner:
            entry["owner"] = owner
            entry["members"] = [owner, *entry["members"]]
        if channel == "wecom_customer_group" and not owner:
            return  # a customer group without its owner cannot be emulated (nobody could confirm)
        self.apply_directory({"groups": [entry]})
        if owner and owner not in self.people:
            self.apply_directory({"users": [{"userid": owner, "name": owner}]})

    def directory_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "apps": [a.to_json() for a in self.apps.values()] + [m.to_json() for m in self.miniapps.values()],
                "groups": [g.to_json() for g in self.groups.values()],
                "users": [p.to_json() for p in self.people.values()],
                "templates": [t.to_json() for t in self.templates.values()],
                "bridge": {"token": self.bridge_token},
            }

    def display_name(self, ref: str) -> str:
        group = self.groups.get(ref)
        if group is not None:
            return group.name
        person = self.people.get(ref)
        return person.name if person is not None else ref

    # -- the received-messages log -----------------------------------------------------------

    def record(
        self, target: str, channel: str, endpoint: str, msgtype: str, payload: Mapping[str, Any], **extra: Any
    ) -> dict[str, Any]:
        """Append what a group or person received; caller holds the lock."""
        self.seq += 1
        entry = {
            "seq": self.seq,
            "target": target,
            "targetName": self.display_name(target),
            "channel": channel,
            "endpoint": endpoint,
            "msgtype": msgtype,
            "payload": payload,
            "receivedAt": iso_ms(self.clock()),
            **extra,
        }
        self.log.append(entry)
        return entry

    def messages(self, target: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
        """Received messages in order; `target` is an id or display name, `since` a seq or ISO time."""
        with self.lock:
            rows = list(self.log)
        if target:
            rows = [r for r in rows if target in (r["target"], r["targetName"])]
        if since:
            if since.lstrip("-").isdigit():
                after = int(since)
                rows = [r for r in rows if r["seq"] > after]
            else:
                stamp = since.replace("+00:00", "Z")
                rows = [r for r in rows if r["receivedAt"] > stamp]
        return [dict(r) for r in rows]

    # -- sliding windows (robot 20/min, per-member silent drops) -----------------------------

    def admit(self, key: str, limit: int, window_s: float) -> bool:
        """Count one event in a sliding window if it fits; caller holds the lock."""
        now = self.clock()
        events = self.windows.setdefault(key, deque())
        while events and events[0] <= now - window_s:
            events.popleft()
        if len(events) >= limit:
            return False
        events.append(now)
        return True

    # -- control operations (also exposed over HTTP at B/_sandbox/) -------------------------

    def add_fault(self, **rule: Any) -> None:
        """Add a fault rule, e.g. add_fault(target="sandboxchat001", errcode=86003, times=1)."""
        parsed = FaultRule.from_json(
            {"latencyMs": rule.pop("latency_ms", 0), "httpStatus": rule.pop("http_status", 200), **rule}
        )
        with self.lock:
            self.faults.add(parsed)

    def grant_subscriptions(self, openid: str, template_id: str, count: int = 1) -> int:
        """A user accepts `count` one-time subscriptions; return how many they now hold."""
        with self.lock:
            self.quota[(openid, template_id)] += count
            return self.quota[(openid, template_id)]

    def invalidate_tokens(self, owner: str | None = None) -> int:
        """Invalidate access tokens early, as the real hosts may; return how many."""
        with self.lock:
            return self.tokens.invalidate(owner)
