"""Injected faults: make a target or an endpoint answer an errcode, fail at HTTP level, or lag."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class FaultRule:
    errcode: int = 0
    target: str = ""  # channel id or display name; empty = any target
    endpoint: str = ""  # e.g. "appchat/send", "webhook/send"; empty = any endpoint
    times: int | None = None  # None = always
    probability: float = 1.0
    latency_ms: int = 0
    http_status: int = 200  # e.g. 502 to simulate a gateway failure
    skip: int = 0  # let this many matching calls through first (fail the 2nd part of a message)

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> FaultRule:
        times = entry.get("times")
        rule = cls(
            errcode=int(entry.get("errcode", 0)),
            target=str(entry.get("target", "") or ""),
            endpoint=str(entry.get("endpoint", "") or "").strip("/").removeprefix("cgi-bin/"),
            times=int(times) if times is not None else None,
            probability=float(entry.get("probability", 1.0)),
            latency_ms=int(entry.get("latencyMs", 0)),
            http_status=int(entry.get("httpStatus", 200)),
            skip=int(entry.get("skip", 0)),
        )
        if not 0.0 <= rule.probability <= 1.0:
            raise ValueError("probability must be within 0..1")
        if rule.errcode == 0 and rule.latency_ms == 0 and rule.http_status == 200:
            raise ValueError("a fault needs an errcode, an httpStatus or a latencyMs")
        return rule

    def to_json(self) -> dict[str, Any]:
        return {
            "errcode": self.errcode,
            "target": self.target,
            "endpoint": self.endpoint,
            "times": self.times,
            "probability": self.probability,
            "latencyMs": self.latency_ms,
            "httpStatus": self.http_status,
            "skip": self.skip,
        }


@dataclass(frozen=True)
class FaultHit:
    errcode: int
    latency_ms: int
    http_status: int


class Faults:
    """The active rules, consulted in the order they were added (not thread-safe; callers lock)."""

    def __init__(self, rng: random.Random) -> None:
        self._rules: list[FaultRule] = []
        self._rng = rng

    def add(self, rule: FaultRule) -> None:
        self._rules.append(rule)

    def clear(self) -> None:
        self._rules.clear()

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def match(self, endpoint: str, targets: Sequence[str]) -> FaultHit | None:
        """Return the fault to apply to this call, consuming one of its `times`."""
        for rule in self._rules:
            if rule.endpoint and rule.endpoint != endpoint:
                continue
            if rule.target and rule.target not in targets:
                continue
            if rule.skip > 0:
                rule.skip -= 1
                continue
            if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
            return FaultHit(rule.errcode, rule.latency_ms, rule.http_status)
        return None
