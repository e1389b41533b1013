"""Which visits are not people: link-preview fetchers and bots are not counted as clicks.

The common bots come from `crawler-user-agents` (monperrus/crawler-user-agents, the list most
projects share: ~600 patterns, released monthly). It does not name the fetchers chat apps use to
draw a link's preview, nor plain HTTP clients, so those are added here; each line says what it is.
An empty user agent is not a person's phone either.
"""

from __future__ import annotations

import re
from functools import cache

# Link-preview fetchers and scripts that crawler-user-agents does not list (case-insensitive).
EXTRA_PATTERNS = (
    r"WeChatShareExtensionNew",  # WeChat's share extension fetching a page's title and thumbnail
    r"WXWork.*Preview|MicroMessenger.*Preview",  # WeCom / WeChat link-preview fetches
    r"Wechat-?Bot|WeChatBot",  # WeChat's and WeCom's server-side fetchers
    r"TelegramBot|WhatsApp/|Slackbot|Discordbot|LinkedInBot|Twitterbot|facebookexternalhit|SkypeUriPreview",
    r"Iframely|Embedly|redditbot|vkShare|W3C_Validator|preview",
    r"python-requests|python-urllib|aiohttp|httpx|curl/|Wget/|Go-http-client|okhttp/[0-9.]+$|Java/|libwww-perl",
    r"HeadlessChrome|PhantomJS|Lighthouse",
)


@cache
def _extra() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in EXTRA_PATTERNS), re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    """Tell whether a user agent is a bot or a link-preview fetcher (not a person opening the link)."""
    ua = user_agent.strip()
    if not ua:
        return True
    if _extra().search(ua):
        return True
    import crawleruseragents  # type: ignore[import-untyped]

    return bool(crawleruseragents.is_crawler(ua))
