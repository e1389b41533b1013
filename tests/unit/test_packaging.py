"""The package metadata is declared the current way, so `pip install -e .` prints no deprecation blocks."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_licence_is_an_spdx_expression_and_setuptools_understands_it() -> None:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    licence = data["project"]["license"]
    # A table ({text = …}) and License classifiers are deprecated since setuptools 77 and print warning blocks.
    assert isinstance(licence, str) and licence
    assert not any(c.startswith("License ::") for c in data["project"].get("classifiers", []))
    assert "setuptools>=77" in data["build-system"]["requires"]
