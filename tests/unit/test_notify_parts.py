"""Pure parts of notifications: reminder timing, feedback tokens and links, the limiter, opinions, JSON logs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from pushtask.channels.base import LinkCard, Message, MiniProgramCard
from pushtask.notify import feedback_token
from pushtask.notify.limiter import SlidingWindowLimiter
from pushtask.notify.planning import reminder_due
from pushtask.notify.report import common_opinions, keywords
from pushtask.obs.logs import JsonFormatter
from tests.support import FrozenClock

FIRE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SECRET = "s" * 40


@pytest.mark.parametrize(
    ("created_before", "now_before", "due"),
    [
        (timedelta(days=1), timedelta(hours=1), True),  # exactly T-1h
        (timedelta(days=1), timedelta(minutes=61), False),  # a minute early
        (timedelta(days=1), timedelta(minutes=55), True),  # a worker that was briefly down
        (timedelta(days=1), timedelta(minutes=45), False),  # too late to be a useful reminder
        (timedelta(minutes=50), timedelta(minutes=30), False),  # created less than an hour ahead
        (timedelta(days=1), timedelta(0), False),  # the occurrence itself
    ],
)
def test_reminder_is_due_from_an_hour_before_for_tasks_created_earlier(
    created_before: timedelta, now_before: timedelta, due: bool
) -> None:
    assert reminder_due(FIRE, FIRE - created_before, FIRE - now_before) is due


def test_token_round_trips_and_refuses_forgery_and_expiry() -> None:
    token = feedback_token.sign(SECRET, "task", "group", "push", FIRE + timedelta(days=7))
    claim = feedback_token.verify(SECRET, token, FIRE)
    assert (claim.task_id, claim.group_id, claim.push_id) == ("task", "group", "push")
    body, _, mac = token.partition(".")
    forged_body = feedback_token.sign(SECRET, "task", "other-group", "push", FIRE + timedelta(days=7)).split(".")[0]
    for bad in (f"{forged_body}.{mac}", f"{body}.{mac[:-2]}xx", body, "", "a.b"):
        with pytest.raises(feedback_token.BadToken):
            feedback_token.verify(SECRET, bad, FIRE)
    with pytest.raises(feedback_token.BadToken):
        feedback_token.verify("t" * 40, token, FIRE)
    with pytest.raises(feedback_token.BadToken, match="expired"):
        feedback_token.verify(SECRET, token, FIRE + timedelta(days=7))


def test_token_goes_on_the_link_or_page_path_or_as_a_line() -> None:
    link = Message(text="hi", link=LinkCard("t", "https://a.example/p?id=7#top"))
    assert feedback_token.attach(link, "TOK", "http://x").link == LinkCard("t", "https://a.example/p?id=7&ptfb=TOK#top")
    card = Message(miniprogram=MiniProgramCard("wx0123456789abcdef", "pages/a/a", "t"))
    assert feedback_token.attach(card, "TOK", "http://x").miniprogram.pagepath == "pages/a/a?ptfb=TOK"  # type: ignore[union-attr]
    assert (
        feedback_token.attach(Message(text="hi"), "TOK", "http://x/").text
        == "hi\n\n反馈意见：http://x/feedback?ptfb=TOK"
    )


def test_limiter_admits_the_limit_per_window_then_says_how_long_to_wait() -> None:
    clock = FrozenClock()
    limiter = SlidingWindowLimiter(3, 60, clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == 60
    assert limiter.hit("b") is None
    clock.advance(seconds=45)
    assert limiter.hit("a") == 15
    clock.advance(seconds=16)
    assert limiter.hit("a") is None


def test_chinese_comments_are_segmented_without_stop_words() -> None:
    assert keywords("课程安排很好，希望增加课后辅导") == ["课程", "安排", "增加", "课后", "辅导"]
    assert keywords("老师讲得很清楚，课程内容丰富") == ["讲得", "清楚", "课程内容", "丰富"]
    assert keywords("活动时间太早了!!! 123") == ["活动", "时间", "太早"]
    opinions = common_opinions(["希望增加课后辅导", "增加课后辅导时间", "很好"])
    assert opinions["words"][0] == {"text": "增加", "count": 2, "examples": ["希望增加课后辅导", "增加课后辅导时间"]}
    assert [p["text"] for p in opinions["phrases"]] == ["增加课后", "课后辅导"]


def test_json_log_line_has_event_fields_and_masks_secrets() -> None:
    record = logging.LogRecord("pushtask.notify", logging.INFO, __file__, 1, "notification %s", ("sent",), None)
    record.task_id = "t-1"
    record.robot_key = "very-secret"
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "notification sent" and line["level"] == "INFO" and line["task_id"] == "t-1"
    assert line["robot_key"] == "***"
