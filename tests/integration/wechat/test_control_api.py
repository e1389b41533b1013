"""The sandbox control and inspection API over HTTP."""

from __future__ import annotations

import requests

from pushtask.sandbox import SandboxHandle
from pushtask.sandbox.directory import DEFAULT_TEMPLATE_ID

from .helpers import OPENID, ROBOT_KEY


def post(sandbox: SandboxHandle, path: str, body: object) -> requests.Response:
    return requests.post(f"{sandbox.url}{path}", json=body, timeout=5)


def send_robot(sandbox: SandboxHandle, key: str, text: str) -> dict[str, object]:
    answer = requests.post(
        f"{sandbox.url}/cgi-bin/webhook/send",
        params={"key": key},
        json={"msgtype": "text", "text": {"content": text}},
        timeout=5,
    )
    return dict(answer.json())


def test_directory_registers_groups_and_lists_them(sandbox: SandboxHandle) -> None:
    answer = post(
        sandbox,
        "/_sandbox/directory",
        {"groups": [{"channel": "wecom_robot", "ref": "k-1", "name": "新群", "memberCount": 9}]},
    )
    assert answer.status_code == 200
    groups = requests.get(f"{sandbox.url}/_sandbox/directory", timeout=5).json()["groups"]
    assert {"channel": "wecom_robot", "ref": "k-1", "name": "新群", "memberCount": 9, "members": []} in groups
    assert send_robot(sandbox, "k-1", "hi")["errcode"] == 0


def test_directory_refuses_a_bad_entry_with_the_field_named(sandbox: SandboxHandle) -> None:
    answer = post(sandbox, "/_sandbox/directory", {"groups": [{"channel": "fax", "ref": "x"}]})
    assert answer.status_code == 400 and "fax" in answer.json()["error"]


def test_messages_filter_by_target_name_and_since(sandbox: SandboxHandle) -> None:
    for text in ("a", "b", "c"):
        send_robot(sandbox, ROBOT_KEY, text)
    messages = requests.get(
        f"{sandbox.url}/_sandbox/messages", params={"target": "门店运营群", "since": "1"}, timeout=5
    ).json()["messages"]
    assert [m["payload"]["text"]["content"] for m in messages] == ["b", "c"]
    assert set(messages[0]) >= {"seq", "target", "targetName", "endpoint", "msgtype", "payload", "receivedAt"}


def test_faults_answer_n_times_then_stop(sandbox: SandboxHandle) -> None:
    assert post(sandbox, "/_sandbox/faults", {"target": ROBOT_KEY, "errcode": -1, "times": 2}).status_code == 200
    codes = [send_robot(sandbox, ROBOT_KEY, "x")["errcode"] for _ in range(3)]
    assert codes == [-1, -1, 0]


def test_probabilistic_fault_is_reproducible_with_a_seed(sandbox: SandboxHandle) -> None:
    post(sandbox, "/_sandbox/faults", {"endpoint": "webhook/send", "errcode": 45033, "probability": 0.5})
    codes = [send_robot(sandbox, ROBOT_KEY, str(i))["errcode"] for i in range(12)]
    assert set(codes) == {0, 45033}


def test_subscribe_grants_quota(sandbox: SandboxHandle) -> None:
    answer = post(sandbox, "/_sandbox/subscribe", {"openid": OPENID, "templateId": DEFAULT_TEMPLATE_ID, "count": 2})
    assert answer.json()["remaining"] == 2


def test_reset_forgets_messages_and_faults(sandbox: SandboxHandle) -> None:
    send_robot(sandbox, ROBOT_KEY, "x")
    post(sandbox, "/_sandbox/faults", {"errcode": -1})
    post(sandbox, "/_sandbox/reset", {})
    assert requests.get(f"{sandbox.url}/_sandbox/messages", timeout=5).json()["messages"] == []
    assert send_robot(sandbox, ROBOT_KEY, "y")["errcode"] == 0


def test_health_reports_the_base_url(sandbox: SandboxHandle) -> None:
    assert requests.get(f"{sandbox.url}/_sandbox/health", timeout=5).json() == {"ok": True, "url": sandbox.url}


def test_bad_json_gets_47001(sandbox: SandboxHandle) -> None:
    answer = requests.post(
        f"{sandbox.url}/cgi-bin/webhook/send", params={"key": ROBOT_KEY}, data=b"{not json", timeout=5
    ).json()
    assert answer["errcode"] == 47001 and "wrong json format" in answer["errmsg"]
