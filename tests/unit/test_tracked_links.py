"""Each group's tracked links: derived codes, the message a group receives, visitors, bots."""

from __future__ import annotations

from datetime import UTC, datetime

from pushtask.channels.base import LinkCard, Message, MiniProgramCard
from pushtask.domain import bots, links

SALT = "00112233445566778899aabbccddeeff"
CONTENT = {"tracking": {"salt": SALT}}


def test_codes_are_long_base62_distinct_per_group_and_kind_and_stable() -> None:
    codes = {links.code_for(SALT, g, k) for g in ("g1", "g2", "g3") for k in ("link", "mini")}
    assert len(codes) == 6
    assert all(links.is_code(c) and len(c) >= 8 for c in codes)
    assert links.code_for(SALT, "g1", "link") == links.code_for(SALT, "g1", "link")
    assert links.code_for("ff" * 16, "g1", "link") != links.code_for(SALT, "g1", "link")


def test_a_group_sees_its_short_link_with_the_original_title_and_thumbnail() -> None:
    message = Message(
        text="开放日",
        link=LinkCard(title="开放日安排", url="https://school.example/a?x=1", thumb_url="https://cdn.example/t.jpg"),
        miniprogram=MiniProgramCard(
            appid="wx1234", pagepath="pages/feedback/feedback?ptfb=tok", title="反馈", thumb_url="m1"
        ),
    )
    tracked = links.track(message, CONTENT, "g1", "https://push.example/")
    assert tracked.link == LinkCard(
        title="开放日安排",
        url=f"https://push.example/l/{links.code_for(SALT, 'g1', 'link')}",
        thumb_url="https://cdn.example/t.jpg",
    )
    assert tracked.miniprogram is not None
    assert tracked.miniprogram.pagepath == f"pages/feedback/feedback?ptfb=tok&ptl={links.code_for(SALT, 'g1', 'mini')}"
    assert (tracked.miniprogram.title, tracked.miniprogram.thumb_url) == ("反馈", "m1")


def test_a_push_without_tracking_keeps_its_original_links() -> None:
    message = Message(link=LinkCard(title="t", url="https://school.example/a"))
    assert links.track(message, {}, "g1", "https://push.example") == message
    assert links.originals({"link": "https://a.example", "miniprogram": {"appid": "wx1", "pagePath": "p/q"}}) == {
        "link": "https://a.example",
        "mini": "p/q",
    }


def test_visitor_keys_hide_the_address_and_change_every_day() -> None:
    day1, later, day2 = (datetime(2026, 3, d, h, tzinfo=UTC) for d, h in ((2, 1), (2, 23), (3, 1)))
    key = links.visitor_key("s" * 40, "10.0.0.1", "phone", day1)
    assert "10.0.0.1" not in key and key == links.visitor_key("s" * 40, "10.0.0.1", "phone", later)
    assert key != links.visitor_key("s" * 40, "10.0.0.1", "phone", day2)
    assert key != links.visitor_key("s" * 40, "10.0.0.2", "phone", day1)
    assert key != links.visitor_key("t" * 40, "10.0.0.1", "phone", day1)


def test_bots_and_preview_fetchers_are_recognised_and_phones_are_not() -> None:
    for ua in (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "WhatsApp/2.23.20.0",
        "curl/8.5.0",
        "",
    ):
        assert bots.is_bot(ua), ua
    for ua in (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
        " MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
        "Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160117 MicroMessenger/8.0.49.2600 WeChat/arm64",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    ):
        assert not bots.is_bot(ua), ua
