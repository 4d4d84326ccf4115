"""Text fields draw control characters as stand-ins: an OSC 52 clipboard write or a colour
change inside a field's text (a completed hostile file name, an imported title, a message put
back for editing) never reaches the terminal, and the field's value is left as it was."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widget import Widget

from craft_tui.ui.widgets.prompt import PromptArea
from craft_tui.ui.widgets.safe_fields import SafeInput, SafeTextArea

HOSTILE = "ab\x1b]52;c;SGVsbG8=\x07cd\x1b[31mRED\x9b2J"
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
UI = Path(__file__).resolve().parents[2] / "craft_tui" / "ui"


class Fields(App[None]):
    def compose(self) -> ComposeResult:
        yield SafeInput(value=HOSTILE, id="input")
        yield SafeTextArea(HOSTILE + "\nsecond line", id="area")
        yield PromptArea(id="prompt")


def drawn(widget: Widget) -> str:
    lines = widget.render_lines(Region(0, 0, widget.outer_size.width, widget.outer_size.height))
    return "\n".join("".join(segment.text for segment in line) for line in lines)


@pytest.mark.parametrize("selector", ["#input", "#area", "#prompt"])
async def test_a_field_draws_control_characters_as_stand_ins(selector: str) -> None:
    app = Fields()
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(selector)
        if isinstance(widget, PromptArea):
            widget.insert(HOSTILE)
        widget.focus()
        await pilot.pause()
        text = drawn(widget)
        assert CONTROL.search(text.replace("\n", "")) is None, repr(text)
        assert "ab␛]52;c;SGVsbG8=" in text and "␛[31mRED" in text
        value = widget.value if isinstance(widget, SafeInput) else widget.text  # type: ignore[attr-defined]
        assert value.startswith(HOSTILE)  # what was typed stays as it was


async def test_a_clean_field_is_drawn_exactly_as_textual_draws_it() -> None:
    app = Fields()
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.query_one("#input", SafeInput)
        field.value = "plain words"
        await pilot.pause()
        assert "plain words" in drawn(field)


def test_the_app_uses_no_unguarded_text_field() -> None:
    """Every text field the app builds is a safe one (or a subclass of one)."""
    offenders = []
    for path in UI.rglob("*.py"):
        if path.name == "safe_fields.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names = [node.func.id]
            elif isinstance(node, ast.ClassDef):
                names = [base.id for base in node.bases if isinstance(base, ast.Name)]
            offenders += [f"{path.name}:{node.lineno}" for n in names if n in {"Input", "TextArea"}]
    assert offenders == []
