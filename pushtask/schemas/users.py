"""The organisation's users (admin)."""

from __future__ import annotations

from pydantic import Field

from pushtask.schemas.base import Id, Input, Output, Role


class UserListItem(Output):
    id: Id
    wechatId: str
    name: str
    role: Role
    createdAt: str


class UserListOut(Output):
    users: list[UserListItem]
    total: int


class UserCreate(Input):
    wechatId: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=8, max_length=256)
    role: Role = "operator"


class UserUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    role: Role | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)
