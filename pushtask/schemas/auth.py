"""Password sign-in and the signed-in user."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pushtask.schemas.base import Id, Input, Output, Role


class LoginIn(Input):
    wechatId: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserOut(Output):
    id: Id
    wechatId: str
    name: str
    role: Role
    orgId: Id
    orgName: str


class LoginOut(Output):
    token: str
    expiresAt: str
    scope: Literal["operator"] = Field(
        default="operator", description="Password sign-in always gives an operator's token (see SignInOut)."
    )
    user: UserOut


class MeOut(Output):
    user: UserOut
