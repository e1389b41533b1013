"""Mini-program sign-in against the sandbox: `wx-login` codes, `sns/jscode2session` as WeChat answers it.

Checked with our client (pushtask.wechat.miniprogram) and with wechatpy's `WeChatWxa.code_to_session`,
an independent implementation of the same call.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.client.api import WeChatWxa
from wechatpy.exceptions import WeChatClientException

from pushtask.sandbox import SandboxHandle
from pushtask.sandbox import directory as d
from pushtask.sandbox.login_api import LoginCodes
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.errors import WeChatError
from pushtask.wechat.miniprogram import WxSession

from .helpers import OPENID, clients, run


def wx_login(sandbox: SandboxHandle, openid: str = OPENID, **extra: str) -> str:
    answer = requests.post(f"{sandbox.url}/_sandbox/wx-login", json={"openid": openid, **extra}, timeout=5)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["expiresIn"] == 300
    code: str = body["code"]
    return code


def exchange(sandbox: SandboxHandle, clock: FakeClock, code: str) -> WxSession | WeChatError:
    async def scenario() -> WxSession | WeChatError:
        async with clients(sandbox, clock) as c:
            try:
                return await c.mp.code_to_session(code)
            except WeChatError as exc:
                return exc

    return run(scenario)


def raw(sandbox: SandboxHandle, **params: str) -> dict[str, Any]:
    query = {"appid": d.DEFAULT_MP_APPID, "secret": d.DEFAULT_MP_SECRET, "grant_type": "authorization_code", **params}
    answer = requests.get(f"{sandbox.url}/sns/jscode2session", params=query, timeout=5)
    assert answer.status_code == 200  # WeChat answers business errors with HTTP 200 and an errcode
    body: dict[str, Any] = answer.json()
    return body


def test_a_code_gives_the_openid_and_a_session_key_once(sandbox: SandboxHandle, clock: FakeClock) -> None:
    code = wx_login(sandbox)
    found = exchange(sandbox, clock, code)
    assert isinstance(found, WxSession)
    assert found.openid == OPENID and len(found.session_key) == 24 and found.unionid is None
    assert "session_key" not in repr(found) and found.session_key not in repr(found)
    again = exchange(sandbox, clock, code)
    assert isinstance(again, WeChatError) and again.code == 40163 and "code been used" in again.errmsg


def test_each_wx_login_gives_a_fresh_code_and_a_fresh_session_key(sandbox: SandboxHandle, clock: FakeClock) -> None:
    first, second = wx_login(sandbox), wx_login(sandbox)
    assert first != second
    a, b = exchange(sandbox, clock, first), exchange(sandbox, clock, second)
    assert isinstance(a, WxSession) and isinstance(b, WxSession)
    assert a.openid == b.openid and a.session_key != b.session_key


def test_unionid_is_answered_where_configured(sandbox: SandboxHandle, clock: FakeClock) -> None:
    found = exchange(sandbox, clock, wx_login(sandbox, "o_parent_7", unionid="u_parent_7"))
    assert isinstance(found, WxSession) and found.openid == "o_parent_7" and found.unionid == "u_parent_7"


def test_unknown_and_expired_codes_are_40029(sandbox: SandboxHandle, clock: FakeClock) -> None:
    unknown = exchange(sandbox, clock, "0" * 32)
    assert isinstance(unknown, WeChatError) and unknown.code == 40029 and " rid: " in unknown.errmsg
    code = wx_login(sandbox)
    clock.advance(300)  # WeChat's codes last five minutes
    expired = exchange(sandbox, clock, code)
    assert isinstance(expired, WeChatError) and expired.code == 40029


def test_a_code_just_inside_five_minutes_still_works(sandbox: SandboxHandle, clock: FakeClock) -> None:
    code = wx_login(sandbox)
    clock.advance(299)
    assert isinstance(exchange(sandbox, clock, code), WxSession)


def test_too_many_sign_ins_of_one_user_in_a_minute_are_45011(sandbox: SandboxHandle, clock: FakeClock) -> None:
    logins = sandbox.state.logins or LoginCodes()
    logins.per_minute = 2
    sandbox.state.logins = logins
    codes = [wx_login(sandbox) for _ in range(3)]
    assert isinstance(exchange(sandbox, clock, codes[0]), WxSession)
    assert isinstance(exchange(sandbox, clock, codes[1]), WxSession)
    limited = exchange(sandbox, clock, codes[2])
    assert isinstance(limited, WeChatError) and limited.code == 45011 and not limited.permanent
    clock.advance(61)
    # The limited call did not spend the code: it works once the minute has passed.
    assert isinstance(exchange(sandbox, clock, codes[2]), WxSession)


@pytest.mark.parametrize(
    ("params", "errcode"),
    [
        ({"secret": "wrong-secret"}, 40125),
        ({"appid": "wx_not_an_app"}, 40013),
        ({"grant_type": "client_credential"}, 40002),
        ({"js_code": ""}, 41008),
    ],
)
def test_wrong_credentials_are_answered_as_wechat_does(
    sandbox: SandboxHandle, params: dict[str, str], errcode: int
) -> None:
    code = wx_login(sandbox)
    body = raw(sandbox, **{"js_code": code, **params})
    assert body["errcode"] == errcode and "openid" not in body
    # A refused call does not spend the code.
    assert "openid" in raw(sandbox, js_code=code)


def test_a_code_for_another_mini_program_is_40029(sandbox: SandboxHandle) -> None:
    sandbox.state.apply_directory({"apps": [{"kind": "miniprogram", "appid": "wx_other", "secret": "s2"}]})
    code = wx_login(sandbox, appid="wx_other")
    assert raw(sandbox, js_code=code)["errcode"] == 40029
    assert raw(sandbox, js_code=code, appid="wx_other", secret="s2")["openid"] == OPENID


def test_wx_login_refuses_a_missing_openid(sandbox: SandboxHandle) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox/wx-login", json={}, timeout=5)
    assert answer.status_code == 400 and "openid" in answer.json()["error"]


@pytest.fixture
def wechatpy_wxa(sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> WeChatClient:
    monkeypatch.setattr(WeChatWxa, "API_BASE_URL", f"{sandbox.url}/")
    # code2Session needs no access token; wechatpy still appends one, which WeChat (and the sandbox) ignore.
    return WeChatClient(d.DEFAULT_MP_APPID, d.DEFAULT_MP_SECRET, access_token="not-needed")


def test_wechatpy_code_to_session_reads_the_sandbox_answer(sandbox: SandboxHandle, wechatpy_wxa: WeChatClient) -> None:
    code = wx_login(sandbox, unionid="u_reviewer")
    answer = wechatpy_wxa.wxa.code_to_session(code)
    assert answer["openid"] == OPENID and answer["unionid"] == "u_reviewer" and answer["session_key"]
    with pytest.raises(WeChatClientException) as used:
        wechatpy_wxa.wxa.code_to_session(code)
    assert used.value.errcode == 40163
    with pytest.raises(WeChatClientException) as bad:
        wechatpy_wxa.wxa.code_to_session("not-a-code")
    assert bad.value.errcode == 40029
