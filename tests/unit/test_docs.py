"""The README stays true: every setting the code reads is in its table."""

from __future__ import annotations

from pathlib import Path

from pushtask.config import SETTINGS_DOC

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_setting_with_its_default() -> None:
    for name, default, _meaning in SETTINGS_DOC:
        assert f"| `{name}` | {default} |" in README, name


def test_readme_starts_with_the_two_commands() -> None:
    quick_start = README.split("## Configuration")[0]
    assert "make run" in quick_start and "make test" in quick_start
