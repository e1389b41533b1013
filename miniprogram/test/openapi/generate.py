"""Write (or --check) the mini program's slice of the server's OpenAPI document: test/openapi/snapshot.json.

The slice is every operation `utils/api.js` calls (its ENDPOINTS table) with the component schemas they
reference, titles and descriptions left out. Jest validates every fixture answer and every request body
against it, so a renamed or missing field on the server fails a mini-program test once this is
regenerated. Run with the project's Python (`.venv/bin/python miniprogram/test/openapi/generate.py`);
`--check` exits 1 when the committed snapshot differs from the server's document (jest and pytest run it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MINIPROGRAM = HERE.parents[1]
SNAPSHOT = HERE / "snapshot.json"
API_JS = MINIPROGRAM / "utils" / "api.js"
ENDPOINT = re.compile(r"^\s*(\w+): \['(GET|POST|PUT|DELETE)', '([^']+)'\],", re.MULTILINE)
DROP = {"title", "description", "summary", "examples", "operationId", "tags"}


def endpoints() -> dict[str, tuple[str, str]]:
    """ENDPOINTS of utils/api.js: name → (METHOD, OpenAPI path with {param})."""
    found = {}
    for name, method, path in ENDPOINT.findall(API_JS.read_text(encoding="utf-8")):
        found[name] = (method, re.sub(r":(\w+)", r"{\1}", path))
    return found


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in DROP or not isinstance(v, str)}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _shape(path: str) -> str:
    return re.sub(r"{\w+}", "{}", path)


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            out.add(ref.rsplit("/", 1)[1])
        for v in node.values():
            _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)


def build(document: dict[str, Any]) -> dict[str, Any]:
    by_shape = {_shape(p): (p, ops) for p, ops in document.get("paths", {}).items()}
    operations: dict[str, Any] = {}
    missing: list[str] = []
    for name, (method, path) in sorted(endpoints().items()):
        found = by_shape.get(_shape(path))
        op = found[1].get(method.lower()) if found else None
        if op is None:
            missing.append(f"{name}: {method} {path}")
            continue
        operations[f"{method} {_shape(path)}"] = {"name": name, "path": found[0], **_strip(op)}
    schemas = document.get("components", {}).get("schemas", {})
    wanted: set[str] = set()
    _refs(operations, wanted)
    todo = list(wanted)
    while todo:
        seen: set[str] = set()
        _refs(schemas.get(todo.pop(), {}), seen)
        todo += list(seen - wanted)
        wanted |= seen
    return {
        "openapi": document.get("openapi"),
        "operations": operations,
        "missing": missing,
        "schemas": {k: _strip(schemas[k]) for k in sorted(wanted) if k in schemas},
    }


def server_document() -> dict[str, Any]:
    from pushtask.api.openapi import build_openapi
    from pushtask.app import create_app  # noqa: F401 — importing the app registers every route

    return build_openapi()


def render(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render(build(server_document()))
    if "--check" in argv:
        committed = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
        if committed != text:
            import difflib

            diff = difflib.unified_diff(committed.splitlines(), text.splitlines(), "committed", "server", lineterm="")
            print("\n".join(list(diff)[:200]))
            print(
                "\nminiprogram/test/openapi/snapshot.json differs from the server's OpenAPI document. "
                "Regenerate it (.venv/bin/python miniprogram/test/openapi/generate.py), then fix the "
                "mini program and its fixtures where the tests now fail.",
                file=sys.stderr,
            )
            return 1
        print("snapshot.json matches the server's OpenAPI document")
        return 0
    SNAPSHOT.write_text(text, encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(MINIPROGRAM.parent))
    raise SystemExit(main(sys.argv[1:]))
