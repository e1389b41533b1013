"""Saved content templates."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, RootModel
from pydantic.json_schema import SkipJsonSchema

from pushtask.schemas.base import NO_CONTROL, Id, Input, Output
from pushtask.schemas.tasks import SOMETHING_TO_SEND, ContentIn


class TemplateIn(Input):
    # Beside the model, not the field: a $ref's sibling keywords are ignored by many tools.
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"allOf": [{"properties": {"content": SOMETHING_TO_SEND}}]}
    )
    name: str = Field(max_length=200, pattern=NO_CONTROL)
    content: ContentIn


class TemplateUpdate(Input):
    name: Annotated[str, Field(max_length=200, pattern=NO_CONTROL)] | SkipJsonSchema[None] = None
    content: ContentIn | None = None


class TemplateOut(Output):
    templateId: Id
    name: str
    content: dict[str, object]
    builtin: bool


class TemplateListOut(RootModel[list[TemplateOut]]):
    pass


class TemplateSaved(Output):
    templateId: Id
    message: str
