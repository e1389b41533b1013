"""A/B split (issue 19): balanced by members, the same for the same groups, hand assignments win."""

from __future__ import annotations

from pushtask.domain.variants import assign, content_for, contents, snapshot_variants


def test_groups_are_split_evenly_by_members_and_count() -> None:
    groups = [(f"g{i}", 100) for i in range(6)]
    chosen = assign("task-1", groups, ["A", "B"])
    assert sorted(chosen) == sorted(g for g, _ in groups)
    assert sorted(chosen.values()) == ["A", "A", "A", "B", "B", "B"]


def test_one_large_group_is_balanced_by_several_small_ones() -> None:
    groups = [("big", 500), ("s1", 100), ("s2", 150), ("s3", 120), ("s4", 130)]
    chosen = assign("task-1", groups, ["A", "B"])
    members = {k: sum(n for g, n in groups if chosen[g] == k) for k in "AB"}
    assert members == {"A": 500, "B": 500}
    assert chosen["big"] != chosen["s1"]


def test_the_split_is_the_same_every_time_and_in_any_order() -> None:
    groups = [(f"g{i}", 40 + i % 3) for i in range(10)]
    first = assign("task-1", groups, ["A", "B", "C"])
    assert assign("task-1", list(reversed(groups)), ["A", "B", "C"]) == first
    assert all(assign("task-1", groups, ["A", "B", "C"]) == first for _ in range(5))


def test_the_split_depends_on_the_task_not_on_group_names() -> None:
    groups = [(f"g{i}", 50) for i in range(12)]
    splits = {tuple(sorted(assign(f"task-{t}", groups, ["A", "B"]).items())) for t in range(6)}
    assert len(splits) > 1  # not always the first half to A


def test_hand_assigned_groups_win_and_the_rest_balance_around_them() -> None:
    groups = [("a", 100), ("b", 100), ("c", 100), ("d", 100)]
    chosen = assign("t", groups, ["A", "B"], {"A": ["a", "b"], "Z": ["c"], "B": ["unknown"]})
    assert chosen["a"] == chosen["b"] == "A"
    assert chosen["c"] == chosen["d"] == "B"


def test_a_group_listed_under_two_keys_goes_to_the_first() -> None:
    chosen = assign("t", [("a", 1), ("b", 1)], ["A", "B"], {"A": ["a"], "B": ["a"]})
    assert chosen == {"a": "A", "b": "B"}


def test_without_variants_nothing_is_assigned() -> None:
    assert assign("t", [("a", 1)], []) == {}


def test_each_group_is_sent_its_variants_content_and_the_rest_is_shared() -> None:
    stored = [
        {"key": "A", "content": {"text": "甲", "link": "https://a.example/1"}},
        {"key": "B", "content": {"text": "乙", "image": None}},
    ]
    snapshot = {"name": "n", "text": "甲", "link": "https://a.example/1", "timezone": "Asia/Shanghai"}
    snapshot["variants"] = snapshot_variants(stored)
    b = content_for(snapshot, "B")
    shared = {"name": "n", "timezone": "Asia/Shanghai"}
    assert b == {**shared, "text": "乙", "image": None, "link": None, "miniprogram": None}
    assert content_for(snapshot, "A")["link"] == "https://a.example/1"
    one = {"text": "x"}
    assert content_for(one, None) == one and content_for(one, "A") == one


def test_each_variants_content_is_offered_for_its_groups_links() -> None:
    stored = [
        {"key": "A", "content": {"link": "https://a.example"}},
        {"key": "B", "content": {"link": "https://b.example"}},
    ]
    snapshot = {"link": "https://a.example", "tracking": {"salt": "00"}, "variants": snapshot_variants(stored)}
    both = contents(snapshot)
    assert both is not None and {k: v["link"] for k, v in both.items()} == {
        "A": "https://a.example",
        "B": "https://b.example",
    }
    assert both["B"]["tracking"] == {"salt": "00"}
    assert contents({"link": "x"}) is None
