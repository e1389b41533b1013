"""Follow-ups to a reviewer's decision: relabel the WeCom card, tell the creator about a "modify".

The preview itself is sent by the engine (an outbox row per reviewer, through the `wecom_app` and
`mp_subscribe` channels in `channels/notices.py`).
"""

from __future__ import annotations

import contextlib

from pushtask.wechat import wecom_payloads as wp
from pushtask.wechat.errors import WeChatError
from pushtask.wechat.miniprogram import MiniProgramClient
from pushtask.wechat.wecom import WeComClient

QUOTA_USED_UP = 43101
_INVALID_MEDIA = 40007


class ReviewerMessenger:
    """Reach reviewers through the configured WeCom app and/or mini program."""

    def __init__(
        self,
        *,
        wecom: WeComClient | None,
        miniprogram: MiniProgramClient | None,
        subscribe_template_id: str | None,
    ) -> None:
        self.wecom = wecom
        self.miniprogram = miniprogram
        self.subscribe_template_id = subscribe_template_id

    async def update_card(self, response_code: str, userid: str, replace_name: str) -> None:
        """Replace the card's buttons with the decision (best effort: the code may be used up)."""
        if self.wecom is None:
            return
        # The decision is recorded either way; on failure only the button label stays as it was.
        with contextlib.suppress(WeChatError):
            await self.wecom.update_template_card(response_code, userids=[userid], replace_name=replace_name)

    async def text(self, userid: str, content: str) -> bool:
        """Send a WeCom text message (notices such as "modify requested" to a task's creator)."""
        if self.wecom is None:
            return False
        try:
            await self.wecom.send_message(wp.text(content), touser=[userid])
        except WeChatError:
            return False
        return True
