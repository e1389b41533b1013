"""A/B variants (issue 19): the task shapes that carry them, and the adopt/preview answers.

Kept apart from pushtask.schemas (see schemas_planner.py). The task bodies here extend the ones
there and keep their names, so the OpenAPI document still calls them TaskCreate, TaskUpdate, TaskOut,
TaskDetailOut, TaskListOut and PreviewSent: the routes declare these, the originals are no longer
in the document. A field added to the original classes is inherited here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from pushtask import schemas as base
from pushtask.schemas import SOMETHING_TO_SEND, ContentIn, ContentOut, Id, Input, Output, PushOut

VariantKey = Literal["A", "B", "C", "D"]
_VARIANTS_HELP = (
    "A/B test: 2–4 versions of the content (keys A–D, each once) instead of one `content`; every occurrence"
    " splits the groups between them, balanced by member count and the same for the same groups. Needs at"
    " least as many groups as variants. Each version passes the same content rules as `content`."
)
_GROUPS_HELP = (
    'Optional: groups assigned to a variant by hand ({"A": [groupId, …]}); each must be one of the task\'s'
    " groups and under one key only. The groups not listed are split automatically."
)


class VariantIn(Input):
    key: VariantKey
    content: ContentIn


class VariantOut(Output):
    key: VariantKey
    content: ContentOut


VariantGroups = dict[VariantKey, Annotated[list[Id], Field(max_length=100, json_schema_extra={"uniqueItems": True})]]


def _scheduled_needs(something: dict[str, Any]) -> dict[str, Any]:
    # A scheduled task needs groups and something to send: one content, or its variants.
    return {
        "if": {"required": ["status"], "properties": {"status": {"const": "scheduled"}}},
        "then": {
            "required": ["groups"],
            "properties": {"groups": {"minItems": 1}},
            "anyOf": [
                {"required": ["variants"], "properties": {"variants": {"type": "array"}}},
                {"required": ["content"], "properties": {"content": something}},
            ],
        },
    }


_ONE_OR_THE_OTHER: dict[str, Any] = {
    # `content` and `variants` together is refused (which would be sent?).
    "not": {
        "required": ["content", "variants"],
        "properties": {"variants": {"type": "array"}, "content": {"type": "object"}},
    }
}


class TaskCreate(base.TaskCreate):
    model_config = base.TaskCreate.model_config | {
        "json_schema_extra": {"allOf": [_scheduled_needs(SOMETHING_TO_SEND), _ONE_OR_THE_OTHER]}
    }

    variants: Annotated[list[VariantIn], Field(min_length=2, max_length=4)] | None = Field(
        default=None, description=_VARIANTS_HELP + " null or absent: one `content`."
    )
    variantGroups: VariantGroups | None = Field(default=None, description=_GROUPS_HELP)


class TaskUpdate(base.TaskUpdate):
    model_config = base.TaskUpdate.model_config | {"json_schema_extra": _ONE_OR_THE_OTHER}

    variants: Annotated[list[VariantIn], Field(min_length=2, max_length=4)] | None = Field(
        default=None,
        description=_VARIANTS_HELP + " Replaces the task's variants; null removes them (the task keeps variant"
        " A's content, or `content` when given).",
    )
    variantGroups: VariantGroups | None = Field(default=None, description=_GROUPS_HELP + " null: all automatic.")


_OUT_HELP = "The A/B variants (absent for a task with one content); `content` is then variant A's."


class TaskOut(base.TaskOut):
    variants: list[VariantOut] | None = Field(default=None, description=_OUT_HELP)


class TaskDetailOut(base.TaskDetailOut):
    variants: list[VariantOut] | None = Field(default=None, description=_OUT_HELP)
    variantGroups: dict[VariantKey, list[Id]] | None = Field(
        default=None,
        description="Which variant each group receives at the next occurrence (the hand-assigned ones and the"
        " automatic split), absent without variants.",
    )
    variantPinned: dict[VariantKey, list[Id]] | None = Field(
        default=None, description="The groups assigned by hand (absent: none)."
    )


class TaskListOut(base.TaskListOut):
    tasks: list[TaskOut]  # type: ignore[assignment]  # the same list, each task with its variants


class VariantPreviewOut(Output):
    key: VariantKey
    previewId: Id


class PreviewSent(base.PreviewSent):
    variants: list[VariantPreviewOut] | None = Field(
        default=None,
        description="A task with variants: one preview per variant (labelled 版本 A, 版本 B …), each confirmed on"
        " its own; `previewId` is variant A's. The task can be submitted once every variant is confirmed.",
    )


class AdoptOut(Output):
    taskId: Id
    message: str
    adopted: VariantKey


TaskDetailOut.model_rebuild(_types_namespace={"PushOut": PushOut})
