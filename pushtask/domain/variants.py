"""A/B variants (issue 19): which variant each group of an occurrence receives, and what it sends.

Pure: no database, no clock. The planner calls `assign` when it writes an occurrence's deliveries;
the worker calls `content_for` when it builds one group's message from the push's frozen content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

KEYS = ("A", "B", "C", "D")
MIN_VARIANTS, MAX_VARIANTS = 2, 4
# The content fields a variant carries; everything else in a push's snapshot is shared.
CONTENT_FIELDS = ("text", "image", "link", "miniprogram")
SNAPSHOT_KEY = "variants"  # in a push's content snapshot: {"A": {text, image, link, miniprogram}, …}


def _rank(task_id: str, group_id: str) -> bytes:
    """A stable pseudo-random rank of a group within a task (the same on every occurrence and process)."""
    return hashlib.sha256(f"{task_id}\x1f{group_id}".encode()).digest()


def assign(
    task_id: str,
    groups: Sequence[tuple[str, int]],
    keys: Sequence[str],
    pinned: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """Return {group id: variant key} for one occurrence.

    `groups` are (group id, member count); `pinned` the operator's own choice {key: [group ids]}, which
    always wins (ids not among `groups` or keys not among `keys` are ignored). The other groups are
    spread greedily, largest first, each to the variant with the fewest members so far (ties: fewest
    groups, then the earlier key), after ordering them by a hash of (task id, group id) — so the split
    is balanced by members, the same every time for the same groups, and not decided by names or ids.
    """
    if not keys:
        return {}
    known = {gid for gid, _ in groups}
    out: dict[str, str] = {}
    members = dict.fromkeys(keys, 0)
    count = dict.fromkeys(keys, 0)
    size = dict(groups)
    for key in keys:
        for gid in (pinned or {}).get(key, ()):
            if gid in known and gid not in out:
                out[gid] = key
                members[key] += max(0, size[gid])
                count[key] += 1
    free = [(gid, max(0, n)) for gid, n in groups if gid not in out]
    # Largest first makes the greedy split close to even; the hash breaks ties between equal sizes.
    free.sort(key=lambda g: (-g[1], _rank(task_id, g[0])))
    order = {k: i for i, k in enumerate(keys)}
    for gid, n in free:
        key = min(keys, key=lambda k: (members[k], count[k], order[k]))
        out[gid] = key
        members[key] += n
        count[key] += 1
    return out


def snapshot_variants(variants: Sequence[Mapping[str, Any]] | None) -> dict[str, dict[str, Any]] | None:
    """Return the variants as a push freezes them: {key: content} in key order, or None."""
    if not variants:
        return None
    return {str(v["key"]): {f: (v.get("content") or {}).get(f) for f in CONTENT_FIELDS} for v in variants}


def content_for(snapshot: Mapping[str, Any], variant: str | None) -> dict[str, Any]:
    """Return the content one group is sent: the push's snapshot with its variant's fields.

    A snapshot without variants (every push before issue 19, and every one-content task) is returned
    as it is; so is one whose group has no variant recorded.
    """
    table = snapshot.get(SNAPSHOT_KEY)
    if not variant or not isinstance(table, Mapping) or variant not in table:
        return dict(snapshot)
    out = {k: v for k, v in snapshot.items() if k != SNAPSHOT_KEY}
    out.update({f: table[variant].get(f) for f in CONTENT_FIELDS})
    return out


def contents(snapshot: Mapping[str, Any]) -> dict[str | None, dict[str, Any]] | None:
    """Return each variant's content of a push's snapshot ({key: content}), or None without variants."""
    table = snapshot.get(SNAPSHOT_KEY)
    if not isinstance(table, Mapping) or not table:
        return None
    return {str(key): content_for(snapshot, str(key)) for key in table}
