"""The tool permission question (ui/screens/tool_permission.py): what each key and button
dismisses it with, the pause before a key can allow, and arguments shown exactly and as text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.app import App
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Button, Input

from craft_tui.chat.permissions import AllowForSession, AllowOnce, DenyCall
from craft_tui.providers.content import ToolCallPart
from craft_tui.providers.types import ToolSpec
from craft_tui.ui.screens.tool_permission import PermissionChoice, ToolPermissionScreen
from craft_tui.ui.tool_text import arguments_text, exact_line
from tests.ui.chat_helpers import screen_text, wait_until

ARGS = json.dumps({"path": "notes/plan.md", "content": "# Plan\n- one\n"})
NOTHING = object()


class Host(App[None]):
    """Shows one question and keeps what it was dismissed with."""

    def __init__(self, screen: ToolPermissionScreen) -> None:
        super().__init__()
        self.question = screen
        self.choice: object = NOTHING

    def on_mount(self) -> None:
        self.push_screen(self.question, self._answered)

    def _answered(self, choice: PermissionChoice | None) -> None:
        self.choice = choice


def question(arguments: str = ARGS, **kwargs: Any) -> ToolPermissionScreen:
    kwargs.setdefault("server", "files")
    kwargs.setdefault("description", "Write a text file.\nCreates missing folders.")
    kwargs.setdefault("arm_after", 0)
    return ToolPermissionScreen("write_file", arguments, **kwargs)


async def shown(pilot: Pilot[Any], screen: ToolPermissionScreen) -> None:
    await wait_until(pilot, lambda: pilot.app.screen is screen and screen.armed)
    await pilot.pause()


async def answer(*keys: str, screen: ToolPermissionScreen | None = None) -> object:
    """Press `keys` on a question; what it was dismissed with (NOTHING while still open)."""
    app = Host(screen or question())
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app.question)
        await pilot.press(*keys)
        await pilot.pause()
        return app.choice


@pytest.mark.parametrize("key", ["enter", "y"])
async def test_enter_or_y_allows_the_call_once(key: str) -> None:
    assert await answer(key) == PermissionChoice("once")


async def test_a_allows_the_tool_for_the_session() -> None:
    choice = await answer("a")
    assert choice == PermissionChoice("session")
    assert isinstance(choice, PermissionChoice) and choice.allowed


async def test_n_asks_for_a_reason_and_enter_denies_with_it() -> None:
    app = Host(question())
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app.question)
        await pilot.press("n")
        reason = app.question.query_one("#permission-reason", Input)
        await wait_until(pilot, lambda: reason.has_focus)
        assert "Deny. Reason for the model:" in screen_text(app)
        assert app.choice is NOTHING  # n only asks
        await pilot.press(*"not my files, use /tmp")
        await pilot.press("enter")
        await pilot.pause()
    assert app.choice == PermissionChoice("deny", "not my files, use /tmp")
    assert isinstance(app.choice, PermissionChoice) and not app.choice.allowed


async def test_keys_typed_in_the_reason_are_text_not_choices() -> None:
    """y, a and n in the reason field are letters of the reason, never an allow."""
    assert await answer("n", "y", "a", "n", "enter") == PermissionChoice("deny", "yan")


async def test_an_empty_reason_denies_too() -> None:
    assert await answer("n", "enter") == PermissionChoice("deny", "")


async def test_escape_denies() -> None:
    assert await answer("escape") == PermissionChoice("deny", "")


async def test_escape_in_the_reason_field_denies_with_what_was_typed() -> None:
    assert await answer("n", "n", "o", "escape") == PermissionChoice("deny", "no")


async def test_allowing_keys_wait_until_the_question_has_been_seen() -> None:
    """A y or an Enter typed for the prompt as the question pops up must not run the tool;
    Esc (deny) works at once."""
    app = Host(question(arm_after=3600))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen is app.question)
        await pilot.press("y", "enter", "a")
        await pilot.pause()
        assert app.choice is NOTHING
        assert app.question.query_one("#allow-once", Button).disabled
        app.question.arm()
        await pilot.press("y")
        await pilot.pause()
    assert app.choice == PermissionChoice("once")


async def test_the_allow_keys_wake_up_by_themselves() -> None:
    app = Host(question(arm_after=0.05))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.question.armed)
        await pilot.press("a")
        await pilot.pause()
    assert app.choice == PermissionChoice("session")


@pytest.mark.parametrize(
    ("button", "expected"),
    [("#allow-once", PermissionChoice("once")), ("#allow-session", PermissionChoice("session"))],
)
async def test_the_allow_buttons(button: str, expected: PermissionChoice) -> None:
    app = Host(question())
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app.question)
        await pilot.click(button)
        await pilot.pause()
    assert app.choice == expected


async def test_the_deny_button_asks_for_the_reason() -> None:
    app = Host(question())
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app.question)
        await pilot.click("#deny")
        await wait_until(pilot, lambda: app.question.query_one("#permission-reason").has_focus)
        await pilot.press("x", "enter")
        await pilot.pause()
    assert app.choice == PermissionChoice("deny", "x")


async def test_it_names_the_server_the_tool_and_the_description_head() -> None:
    description = "Write a text file.\n\nCreates missing folders.\nOverwrites.\nNever asks twice."
    app = Host(question(description=description))
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app.question)
        text = screen_text(app)
    assert "files · write_file" in text
    assert "Write a text file.\nCreates missing folders.\nOverwrites. …" in _inner(text)
    assert "Never asks twice" not in text
    assert '"path": "notes/plan.md",' in text
    assert '"content": "# Plan\\n- one\\n"' in text  # JSON escapes: one line, exactly


HOSTILE = {
    "markup": "[bold]loud[/bold] [/] [link=https://evil.example]x[/link]",
    "osc52": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "ansi": "\x1b[2J\x1b[31mred\x1b[0m",
    "c1": "\x9b31m",
    "bidi": "report\u202etxt.exe",
    "hidden": "rm\u200b -rf",
}


async def test_hostile_arguments_are_shown_as_inert_exact_text() -> None:
    app = Host(question(json.dumps(HOSTILE, ensure_ascii=False), server="evil[bold]\x1b]0;t\x07"))
    async with app.run_test(size=(100, 30)) as pilot:
        await shown(pilot, app.question)
        text = screen_text(app)
    for control in ("\x1b", "\x07", "\x9b", "\u202e", "\u200b"):
        assert control not in text
    assert "[bold]loud[/bold] [/] [link=https://evil.example]x[/link]" in text  # never markup
    assert '"osc52": "\\u001b]52;c;cm0gLXJmIH4=\\u0007"' in text  # JSON's own escapes
    assert '"ansi": "\\u001b[2J\\u001b[31mred\\u001b[0m"' in text
    assert '"c1": "␛[31m"' in text  # a C1 CSI that JSON leaves raw is disarmed
    assert '"bidi": "report⟨U+202E⟩txt.exe"' in text
    assert '"hidden": "rm⟨U+200B⟩ -rf"' in text
    assert "evil[bold]␛]0;t␇ · write_file" in text


async def test_invalid_json_is_shown_as_written_and_labelled() -> None:
    written = '{"path": "a.txt", "content": "unterminated\n\x1b[31m'
    app = Host(question(written))
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app.question)
        text = screen_text(app)
    assert "Arguments (not valid JSON; shown as written)" in text
    assert '{"path": "a.txt", "content": "unterminated' in text
    assert "␛[31m" in text and "\x1b" not in text


def test_arguments_text_keeps_long_text_bounded_and_says_so() -> None:
    pretty, valid = arguments_text(json.dumps({"data": "x" * 500}), limit=100)
    assert valid
    assert pretty.endswith("more characters not shown (the tool gets them all)")
    assert exact_line("a\tb\nc\u2066") == "a␉b␤c⟨U+2066⟩"


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_long_arguments_scroll_and_the_choices_stay_on_screen(size: tuple[int, int]) -> None:
    arguments = json.dumps({"rows": [f"row {n}" for n in range(300)]})
    app = Host(question(arguments))
    async with app.run_test(size=size) as pilot:
        await shown(pilot, app.question)
        scroll = app.question.query_one("#permission-arguments", VerticalScroll)
        assert scroll.has_focus and scroll.max_scroll_y > 0
        for button in app.question.query(Button):
            assert app.screen.region.contains_region(button.region), button.id
        assert "row 299" not in screen_text(app)
        await pilot.press("end")
        await wait_until(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y)
        await pilot.pause()
        assert '"row 299"' in screen_text(app)
        await pilot.press("n")  # the reason field takes the buttons' place, on screen too
        reason = app.question.query_one("#permission-reason", Input)
        await wait_until(pilot, lambda: reason.has_focus)
        await pilot.pause()
        assert app.screen.region.contains_region(reason.region)


def _inner(text: str) -> str:
    """The screen's text without the dialog's side borders, each line stripped."""
    return "\n".join(line.strip(" █▌▐│").strip() for line in text.splitlines())


def test_each_choice_maps_to_the_chat_cores_decision() -> None:
    assert PermissionChoice("once").decision() == AllowOnce()
    assert PermissionChoice("session").decision() == AllowForSession()
    assert PermissionChoice("deny", "why").decision() == DenyCall("why")


async def test_for_call_names_the_server_and_the_tools_own_name() -> None:
    """A tool the model knows as `server__tool` (two servers share a name) is asked about as
    server · tool, with the spec's description and the call's exact arguments."""
    spec = ToolSpec("files__write_file", "Write a file.", {}, source="files")
    call = ToolCallPart(id="c1", name="files__write_file", arguments='{"path": "a"}')
    app = Host(ToolPermissionScreen.for_call(call, spec, arm_after=0))
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app.question)
        text = screen_text(app)
    assert "files · write_file" in text and "files__" not in text
    assert "Write a file." in text and '"path": "a"' in text


class RemappedHost(Host):
    """A host with a user's keymap applied, as CraftApp applies `[settings.keymap]`."""

    def __init__(self, screen: ToolPermissionScreen, keymap: dict[str, str]) -> None:
        super().__init__(screen)
        self.keymap = keymap

    def on_mount(self) -> None:
        self.set_keymap(self.keymap)
        super().on_mount()


async def test_the_keys_are_remappable_and_the_buttons_name_the_keys_as_remapped() -> None:
    keymap = {"tool.allow_once": "ctrl+y", "tool.deny": "q", "tool.deny_reason": "r"}
    app = RemappedHost(question(), keymap)
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app.question)
        labels = [str(b.label) for b in app.question.query(Button).results(Button)]
        assert labels == ["Allow once  Ctrl+Y", "This session  a", "Deny  r/q"]
        await pilot.press("y")  # the default no longer allows
        await pilot.pause()
        assert app.choice is NOTHING
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: app.choice is not NOTHING)
    assert app.choice == PermissionChoice("once")


async def test_a_remapped_deny_key_denies() -> None:
    app = RemappedHost(question(), {"tool.deny": "q"})
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app.question)
        await pilot.press("q")
        await wait_until(pilot, lambda: app.choice is not NOTHING)
    assert app.choice == PermissionChoice("deny")


def test_the_tool_keys_have_keymap_ids_the_app_knows_with_the_defaults_they_bind() -> None:
    from textual.binding import Binding

    from craft_tui.ui.bindings import (
        HELP_TEXT,
        KEYMAP_IDS,
        TOOL_BLOCK_KEYS,
        TOOL_QUESTION_KEYS,
        check_keymap,
    )
    from craft_tui.ui.widgets.tool_block import ToolBlock

    for screen, table in ((ToolPermissionScreen, TOOL_QUESTION_KEYS), (ToolBlock, TOOL_BLOCK_KEYS)):
        bound = {b.id: b.key for b in screen.BINDINGS if isinstance(b, Binding)}
        assert bound == {binding_id: keys for binding_id, (keys, _d, _s) in table.items()}
        assert set(table) <= KEYMAP_IDS and set(table) <= set(HELP_TEXT)
    # A remap is applied; one that would shadow a key live beside it is refused, in one line.
    assert check_keymap({"tool.deny": "q"}).keymap == {"tool.deny": "q"}
    clash = check_keymap({"tool.fold": "c"})
    assert clash.keymap == {}
    assert clash.problems == [
        'config.toml: [settings.keymap] tool.fold = "c": c is also copy_message\'s key '
        "(On a message); tool.fold keeps its default, Space."
    ]
