"""The mini program's OpenAPI slice (miniprogram/test/openapi/snapshot.json) is what the server generates.

Jest checks every fixture answer and request body of the mini program's tests against that slice, so a
field renamed or removed on the server must show up here first: regenerate the snapshot with
`.venv/bin/python miniprogram/test/openapi/generate.py`, then fix the mini program where jest fails.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

GENERATOR = Path(__file__).resolve().parents[2] / "miniprogram" / "test" / "openapi" / "generate.py"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("miniprogram_openapi", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_snapshot_is_what_the_server_documents_now() -> None:
    gen = _generator()
    fresh = gen.render(gen.build(gen.server_document()))
    committed = gen.SNAPSHOT.read_text(encoding="utf-8")
    assert committed == fresh, "miniprogram/test/openapi/snapshot.json is out of date: run generate.py"


def test_every_endpoint_the_mini_program_calls_is_documented() -> None:
    gen = _generator()
    snapshot = gen.build(gen.server_document())
    assert snapshot["missing"] == []
    assert {op["name"] for op in snapshot["operations"].values()} == set(gen.endpoints())


def test_a_renamed_field_would_be_seen() -> None:
    gen = _generator()
    document = gen.server_document()
    document["components"]["schemas"]["PreviewOut"]["properties"]["state"] = document["components"]["schemas"][
        "PreviewOut"
    ]["properties"].pop("status")
    changed = gen.render(gen.build(document))
    assert changed != gen.SNAPSHOT.read_text(encoding="utf-8")
    assert '"state"' in json.dumps(json.loads(changed)["schemas"]["PreviewOut"])
