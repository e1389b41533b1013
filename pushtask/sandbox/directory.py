"""Who exists in the sandbox: apps, groups, people and templates, with sensible defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CHANNELS = ("wecom_appchat", "wecom_robot", "bot_bridge")

DEFAULT_CORP_ID = "wwsandbox0000corp"
DEFAULT_CORP_SECRET = "sandbox-corp-secret"
DEFAULT_AGENT_ID = 1000002
DEFAULT_CALLBACK_TOKEN = "sandboxtoken"
DEFAULT_ENCODING_AES_KEY = "c2FuZGJveC1wdXNodGFzay1jYWxsYmFjay1hZXNrZXk"  # 43 chars, decodes to 32 bytes
DEFAULT_MP_APPID = "wxsandbox00000mp"
DEFAULT_MP_SECRET = "sandbox-mp-secret"
DEFAULT_TEMPLATE_ID = "sandbox-preview-template"
DEFAULT_BRIDGE_TOKEN = "sandbox-bridge-token"


class DirectoryError(ValueError):
    """A directory entry the sandbox cannot accept; the message says which field."""


@dataclass
class WeComApp:
    corp_id: str
    corp_secret: str
    agent_id: int
    name: str = "PushTask"
    callback_url: str = ""
    token: str = DEFAULT_CALLBACK_TOKEN
    encoding_aes_key: str = DEFAULT_ENCODING_AES_KEY
    miniprogram_appids: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.corp_id}:{self.agent_id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "wecom",
            "corpId": self.corp_id,
            "corpSecret": self.corp_secret,
            "agentId": self.agent_id,
            "name": self.name,
            "callbackUrl": self.callback_url,
            "token": self.token,
            "encodingAesKey": self.encoding_aes_key,
            "miniprogramAppids": list(self.miniprogram_appids),
        }


@dataclass
class MiniApp:
    appid: str
    secret: str
    name: str = "PushTask 小程序"
    pages: list[str] = field(default_factory=list)  # released page paths (41030 otherwise)
    callback_url: str = ""
    token: str = DEFAULT_CALLBACK_TOKEN
    encoding_aes_key: str = DEFAULT_ENCODING_AES_KEY

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "miniprogram",
            "appid": self.appid,
            "secret": self.secret,
            "name": self.name,
            "pages": list(self.pages),
            "callbackUrl": self.callback_url,
            "token": self.token,
            "encodingAesKey": self.encoding_aes_key,
        }


@dataclass
class Group:
    channel: str
    ref: str
    name: str
    member_count: int
    members: list[str] = field(default_factory=list)
    owner_app: str = ""  # WeCom app key that "created" an app chat

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "ref": self.ref,
            "name": self.name,
            "memberCount": self.member_count,
            "members": list(self.members),
        }


@dataclass
class Person:
    id: str  # WeCom userid or mini-program openid
    kind: str  # "userid" | "openid"
    name: str

    def to_json(self) -> dict[str, Any]:
        return {self.kind: self.id, "name": self.name}


@dataclass
class Template:
    template_id: str
    title: str
    keywords: dict[str, str]  # keyword key (thing1, time2, …) -> label
    enums: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "templateId": self.template_id,
            "title": self.title,
            "keywords": dict(self.keywords),
            "enums": {k: list(v) for k, v in self.enums.items()},
        }


def _req(entry: Mapping[str, Any], name: str) -> Any:
    if name not in entry or entry[name] in (None, ""):
        raise DirectoryError(f"missing field {name!r}")
    return entry[name]


def parse_app(entry: Mapping[str, Any]) -> WeComApp | MiniApp:
    kind = entry.get("kind") or ("miniprogram" if "appid" in entry else "wecom")
    if kind == "wecom":
        return WeComApp(
            corp_id=str(_req(entry, "corpId")),
            corp_secret=str(_req(entry, "corpSecret")),
            agent_id=int(_req(entry, "agentId")),
            name=str(entry.get("name", "PushTask")),
            callback_url=str(entry.get("callbackUrl", "")),
            token=str(entry.get("token", DEFAULT_CALLBACK_TOKEN)),
            encoding_aes_key=str(entry.get("encodingAesKey", DEFAULT_ENCODING_AES_KEY)),
            miniprogram_appids=[str(a) for a in entry.get("miniprogramAppids", [DEFAULT_MP_APPID])],
        )
    if kind == "miniprogram":
        return MiniApp(
            appid=str(_req(entry, "appid")),
            secret=str(_req(entry, "secret")),
            name=str(entry.get("name", "PushTask 小程序")),
            pages=[str(p) for p in entry.get("pages", [])],
            callback_url=str(entry.get("callbackUrl", "")),
            token=str(entry.get("token", DEFAULT_CALLBACK_TOKEN)),
            encoding_aes_key=str(entry.get("encodingAesKey", DEFAULT_ENCODING_AES_KEY)),
        )
    raise DirectoryError(f"unknown app kind {kind!r}")


def parse_group(entry: Mapping[str, Any]) -> Group:
    channel = str(_req(entry, "channel"))
    if channel not in CHANNELS:
        raise DirectoryError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    count = int(entry.get("memberCount", len(entry.get("members", [])) or 3))
    return Group(
        channel=channel,
        ref=str(_req(entry, "ref")),
        name=str(entry.get("name", entry["ref"])),
        member_count=count,
        members=[str(m) for m in entry.get("members", [])],
        owner_app=str(entry.get("ownerApp", "")),
    )


def parse_person(entry: Mapping[str, Any]) -> Person:
    for kind in ("userid", "openid"):
        if entry.get(kind):
            return Person(id=str(entry[kind]), kind=kind, name=str(entry.get("name", entry[kind])))
    raise DirectoryError("a user needs 'userid' or 'openid'")


def parse_template(entry: Mapping[str, Any]) -> Template:
    keywords = entry.get("keywords") or {}
    if not isinstance(keywords, dict) or not keywords:
        raise DirectoryError('a template needs \'keywords\' like {"thing1": "任务名称"}')
    enums = entry.get("enums") or {}
    return Template(
        template_id=str(_req(entry, "templateId")),
        title=str(entry.get("title", "")),
        keywords={str(k): str(v) for k, v in keywords.items()},
        enums={str(k): [str(x) for x in v] for k, v in enums.items()},
    )


def default_entries() -> dict[str, list[dict[str, Any]]]:
    """The directory of a bare sandbox: one WeCom app, one mini program, a few groups and people."""
    return {
        "apps": [
            {
                "kind": "wecom",
                "corpId": DEFAULT_CORP_ID,
                "corpSecret": DEFAULT_CORP_SECRET,
                "agentId": DEFAULT_AGENT_ID,
                "name": "PushTask 助手",
                "miniprogramAppids": [DEFAULT_MP_APPID],
            },
            {
                "kind": "miniprogram",
                "appid": DEFAULT_MP_APPID,
                "secret": DEFAULT_MP_SECRET,
                "name": "PushTask 小程序",
                "pages": [
                    "pages/index/index",
                    "pages/preview/preview",
                    "pages/tasks/tasks",
                    "pages/task/task",
                    "pages/feedback/feedback",
                ],
            },
        ],
        "groups": [
            {
                "channel": "wecom_appchat",
                "ref": "sandboxchat001",
                "name": "一年级2班家长群",
                "memberCount": 3,
                "members": ["zhangsan", "lisi", "wangwu"],
            },
            {"channel": "wecom_robot", "ref": "sandbox-robot-key-0001", "name": "门店运营群", "memberCount": 48},
            {"channel": "bot_bridge", "ref": "20000000001@chatroom", "name": "周末读书会", "memberCount": 120},
        ],
        "users": [
            {"userid": "zhangsan", "name": "张三"},
            {"userid": "lisi", "name": "李四"},
            {"userid": "wangwu", "name": "王五"},
            {"openid": "o_sandbox_reviewer_01", "name": "审核人 小林"},
        ],
        "templates": [
            {
                "templateId": DEFAULT_TEMPLATE_ID,
                "title": "内容预览通知",
                "keywords": {"thing1": "任务名称", "time2": "推送时间", "thing3": "温馨提示"},
            },
        ],
    }
