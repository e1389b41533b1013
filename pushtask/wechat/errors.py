"""Errcode classification: one table says what each WeChat/WeCom errcode means for a sender.

Every failure a wire client or a channel can meet ends up as a `WeChatError` carrying the errcode,
the raw errmsg, its class (retryable / refresh-token / permanent) and an operator-facing explanation
in zh-CN and en. Transport failures (timeouts, connection errors, HTTP 5xx, garbage bodies) get
negative pseudo-errcodes below -10000 so they travel through the same fields; they never collide
with Tencent's codes (which go down to -40011 only in the crypto samples, and those are not API
errcodes).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Platform(enum.Enum):
    """Which API family answered; some codes mean different things per family."""

    WECOM = "wecom"
    ROBOT = "robot"
    WECHAT = "wechat"
    BRIDGE = "bridge"


class ErrorKind(enum.Enum):
    """What a sender should do about an error."""

    RETRYABLE = "retryable"
    REFRESH_TOKEN = "refresh_token"  # noqa: S105 — a category name, not a secret
    PERMANENT = "permanent"


# Pseudo-errcodes for failures that never reached (or never came back from) the API.
TIMEOUT = -10001
CONNECTION_FAILED = -10002
HTTP_SERVER_ERROR = -10003
HTTP_UNEXPECTED_STATUS = -10004
BAD_RESPONSE = -10005
CLIENT_RATE_LIMITED = -10006
CONTENT_REFUSED = -10007


@dataclass(frozen=True)
class ErrcodeInfo:
    """One row of the table: class and explanation of an errcode."""

    code: int
    kind: ErrorKind
    zh: str
    en: str


_R, _T, _P = ErrorKind.RETRYABLE, ErrorKind.REFRESH_TOKEN, ErrorKind.PERMANENT
_ALL = (Platform.WECOM, Platform.ROBOT, Platform.WECHAT, Platform.BRIDGE)
_WECOM_LIKE = (Platform.WECOM, Platform.ROBOT)

# (code, platforms, kind, zh, en). Platform-specific rows come before the generic row of a code.
_ROWS: tuple[tuple[int, tuple[Platform, ...], ErrorKind, str, str], ...] = (
    (
        TIMEOUT,
        _ALL,
        _R,
        "请求超时，消息可能已送达也可能未送达",
        "Request timed out; the message may or may not have been delivered",
    ),
    (CONNECTION_FAILED, _ALL, _R, "无法连接到服务器", "Could not connect to the server"),
    (HTTP_SERVER_ERROR, _ALL, _R, "服务器内部错误（HTTP 5xx）", "Server error (HTTP 5xx)"),
    (
        HTTP_UNEXPECTED_STATUS,
        _ALL,
        _P,
        "服务器返回了意外的 HTTP 状态码",
        "The server answered with an unexpected HTTP status",
    ),
    (BAD_RESPONSE, _ALL, _R, "服务器返回了无法解析的响应", "The server answered with an unreadable response"),
    (
        CLIENT_RATE_LIMITED,
        _ALL,
        _R,
        "发送过于频繁，已在本地限流，稍后重试",
        "Sending too fast; held back by the local rate limit, will retry later",
    ),
    (CONTENT_REFUSED, _ALL, _P, "内容不符合该渠道的要求", "The content is not accepted by this channel"),
    (-1, _ALL, _R, "微信系统繁忙，稍后重试", "WeChat is busy; try again later"),
    (-1000, _ALL, _R, "微信系统错误，稍后重试", "WeChat system error; try again later"),
    (6000, _ALL, _R, "数据版本冲突，稍后重试", "Data version conflict; try again later"),
    (40001, (Platform.WECHAT,), _T, "access_token 无效或不是最新的", "access_token invalid or not the latest"),
    (40001, (Platform.WECOM,), _T, "secret 或 access_token 无效", "Invalid secret or access_token"),
    (40014, _ALL, _T, "access_token 无效", "Invalid access_token"),
    (42001, _ALL, _T, "access_token 已过期", "access_token expired"),
    (41001, _ALL, _P, "缺少 access_token 参数（程序错误）", "access_token missing (a bug in the caller)"),
    (40002, _ALL, _P, "grant_type 不合法", "Invalid grant_type"),
    (
        40003,
        (Platform.WECOM,),
        _P,
        "成员 userid 无效（群主不是企业成员？）",
        "Invalid member userid (is the owner a member?)",
    ),
    (40003, _ALL, _P, "接收人 openid 无效", "Invalid recipient openid"),
    (
        40004,
        _ALL,
        _P,
        "不支持的媒体文件类型（仅支持 JPG/PNG 图片）",
        "Unsupported media type (images must be JPG or PNG)",
    ),
    (40005, _ALL, _P, "上传的文件类型参数不合法", "Invalid media type parameter"),
    (40006, _ALL, _P, "文件大小不合法", "Invalid file size"),
    (40007, _ALL, _P, "media_id 无效或已过期", "Invalid or expired media_id"),
    (40008, _ALL, _P, "消息类型不合法", "Invalid message type"),
    (40009, _ALL, _P, "图片大小不合法（须不超过 2MB）", "Invalid image size (at most 2 MB)"),
    (40013, _ALL, _P, "CorpID/AppID 不合法", "Invalid CorpID/AppID"),
    (40033, _ALL, _P, "请求包含不合法的字符", "The request contains illegal characters"),
    (40037, _ALL, _P, "订阅消息模板 ID 无效", "Invalid subscription template id"),
    (40050, _ALL, _P, "群聊不存在", "The group chat does not exist"),
    (40056, _ALL, _P, "应用 agentid 不合法", "Invalid agentid"),
    (40058, _ALL, _P, "请求参数不合法", "Invalid request parameter"),
    (40091, _ALL, _P, "secret 不合法", "Invalid secret"),
    (40125, _ALL, _P, "AppSecret 不合法", "Invalid AppSecret"),
    (40164, _ALL, _P, "服务器 IP 不在公众平台白名单中", "Server IP not in the WeChat IP whitelist"),
    (41002, _ALL, _P, "缺少 corpid/appid 参数", "corpid/appid missing"),
    (41004, _ALL, _P, "缺少 secret 参数", "secret missing"),
    (41030, _ALL, _P, "小程序页面路径不存在", "The mini-program page path does not exist"),
    (
        41063,
        _ALL,
        _R,
        "群发消息正在被派发中，请稍后再试",
        "The mass send is still being dispatched; try again later",
    ),
    (41065, _ALL, _P, "群发附件类型不合法", "Invalid mass-send attachment type"),
    (43004, _ALL, _P, "接收人未关注或未绑定", "The recipient does not follow or is not bound"),
    (
        43101,
        _ALL,
        _P,
        "用户未订阅或订阅次数已用完，需要重新订阅",
        "The user has not subscribed or has no subscription left; ask them to subscribe again",
    ),
    (44004, _ALL, _P, "消息内容为空", "The message content is empty"),
    (45002, _ALL, _P, "消息内容超过长度限制", "The message content is too long"),
    (45008, _ALL, _P, "图文消息文章数量超过限制（1-8 篇）", "Too many news articles (1 to 8)"),
    (45009, (Platform.WECHAT,), _P, "接口调用已达今日上限", "Daily API quota reached"),
    (45009, _WECOM_LIKE, _R, "接口调用过于频繁，稍后重试", "API called too often; try again later"),
    (45011, _ALL, _R, "接口调用过于频繁，稍后重试", "API called too often; try again later"),
    (45015, _ALL, _P, "回复时间超过限制", "The reply window has passed"),
    (45033, _ALL, _R, "接口并发调用超过限制，稍后重试", "Too many concurrent API calls; try again later"),
    (45047, _ALL, _P, "客服消息条数超过上限", "Customer-service message limit reached"),
    (47001, _ALL, _P, "请求数据格式错误", "Malformed request data"),
    (47003, _ALL, _P, "模板参数不合法", "Invalid template parameters"),
    (48001, _ALL, _P, "接口未授权", "API not authorised"),
    (48002, _ALL, _P, "接口被禁用", "API banned"),
    (48004, _ALL, _P, "接口被封禁", "API blocked"),
    (
        60011,
        _ALL,
        _P,
        "应用没有权限（应用群聊需要应用可见范围为根部门）",
        "No privilege (app group chats need the app visible to the root department)",
    ),
    (60020, _ALL, _P, "服务器 IP 不在企业微信可信 IP 列表中", "Server IP not in the WeCom trusted IP list"),
    (81013, _ALL, _P, "接收人全部无效", "All recipients are invalid"),
    (82001, _ALL, _P, "接收人全部无效", "All recipients are invalid"),
    (86001, _ALL, _P, "群聊 ID 不合法", "Invalid chat id"),
    (86003, _ALL, _P, "群聊不存在或已解散", "The group chat does not exist or has been dissolved"),
    (86004, _ALL, _P, "群名称不合法", "Invalid group name"),
    (86005, _ALL, _P, "群主不合法", "Invalid group owner"),
    (86006, _ALL, _P, "群成员数量不合法（2-2000 人）", "Invalid number of group members (2 to 2000)"),
    (86007, _ALL, _P, "群成员不合法", "Invalid group member"),
    (86008, _ALL, _P, "该群不是由本应用创建的", "The group was not created by this app"),
    (86215, _ALL, _P, "群聊 ID 已存在", "The chat id already exists"),
    (86216, _ALL, _P, "群成员 ID 不合法", "Invalid member id"),
    (86217, _ALL, _P, "发送者不在群中", "The sender is not in the group"),
    (86220, _ALL, _P, "群聊参数不合法", "Invalid group chat parameters"),
    (
        93000,
        _ALL,
        _P,
        "机器人 key 无效或请求无效（机器人可能已被移出群）",
        "Invalid robot key or request (the robot may have been removed)",
    ),
    (1001, (Platform.BRIDGE,), _P, "桥接服务找不到该群", "The bridge does not know this room"),
    (1002, (Platform.BRIDGE,), _R, "桥接的微信号未登录", "The bridge's WeChat account is not logged in"),
    (1003, (Platform.BRIDGE,), _R, "桥接服务发送过于频繁，稍后重试", "The bridge is rate limited; try again later"),
    (1004, (Platform.BRIDGE,), _P, "桥接服务拒绝了请求内容", "The bridge refused the request"),
    (1005, (Platform.BRIDGE,), _P, "桥接服务令牌无效", "Invalid bridge token"),
    (
        1006,
        (Platform.BRIDGE,),
        _P,
        "有多个同名的群，按群名发送的桥接服务无法区分，请先改名",
        "Several rooms share this name; a bridge that addresses rooms by name cannot tell them apart, rename one",
    ),
)

_TABLE: dict[tuple[int, Platform], ErrcodeInfo] = {}
for _code, _platforms, _kind, _zh, _en in _ROWS:
    for _platform in _platforms:
        _TABLE.setdefault((_code, _platform), ErrcodeInfo(_code, _kind, _zh, _en))


def classify(code: int, platform: Platform) -> ErrcodeInfo:
    """Look up what an errcode means for a sender on this platform."""
    info = _TABLE.get((code, platform))
    if info is not None:
        return info
    if 86000 <= code < 87000:
        return ErrcodeInfo(code, _P, f"群聊操作失败（错误码 {code}）", f"Group chat operation failed (errcode {code})")
    # An unknown code is treated as permanent: retrying blindly could spam a group.
    return ErrcodeInfo(code, _P, f"未登记的错误码 {code}", f"Unregistered errcode {code}")


class WeChatError(Exception):
    """A failed call: carries the errcode, raw errmsg, class and explanation."""

    def __init__(
        self,
        code: int,
        errmsg: str,
        platform: Platform,
        *,
        delivery_unknown: bool = False,
        retry_after_s: float | None = None,
        request_sent: bool | None = None,
    ) -> None:
        self.info = classify(code, platform)
        self.code = code
        self.errmsg = errmsg
        self.platform = platform
        # True when the request may have reached the server and been acted on (timeouts, 5xx).
        self.delivery_unknown = delivery_unknown
        self.retry_after_s = retry_after_s
        # What is known of the request itself: True = fully sent (an answer came, unreadable or 5xx),
        # False = never left (connection refused), None = unknown (timed out or broken mid-way).
        self.request_sent = request_sent
        super().__init__(f"{platform.value} errcode {code}: {errmsg}")

    @property
    def kind(self) -> ErrorKind:
        return self.info.kind

    @property
    def permanent(self) -> bool:
        return self.info.kind is ErrorKind.PERMANENT

    @property
    def is_token_error(self) -> bool:
        return self.info.kind is ErrorKind.REFRESH_TOKEN
