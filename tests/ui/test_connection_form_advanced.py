"""Issue 15: timeouts, max tokens and the connection's system prompt can be set in the form.

The errors tell people to change them (a read timeout, an answer cut at max tokens), so the form
has them, in a collapsed Advanced section. These tests drive the real app and the form with a
pilot against a loopback fake server: what is typed is saved through the one ConnectionService,
only the changed values are written into a comment-full config.toml (its comments kept), the next
answer's request carries them, a value that does not read is refused under its field with the
focus on it, and a system prompt from the file is shown as text (never markup, no control
character reaching the terminal) and kept exactly when left alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Collapsible, Input, Select, Static, TextArea

from craft_tui.config import paths
from craft_tui.config.store import load_config
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.connection_form import ConnectionFormScreen
from craft_tui.ui.screens.connections import ConnectionsScreen
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import answered, ready, screen_text, send, wait_until
from tests.ui.test_connections import Host, fill, idle

CONFIG = """\
# My craft-tui config, written by hand: keep my notes.
version = 1

[settings]
default_connection = "local"   # the box under my desk

# The fake box on loopback
[[connections]]
slug = "local"
name = "Local box"   # shown in the status line
protocol = "openai"
base_url = "{base_url}"
auth = {{ type = "none" }}   # no key here
models = ["fake-small"]   # the quick one
default_model = "fake-small"
# more connections go below
"""


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(reply="Hello from the fake.") as fake:
        yield fake


def write_config(text: str) -> str:
    paths.ensure_private_dir(paths.config_dir())
    paths.config_file().write_text(text, encoding="utf-8")
    load_config()  # a valid config
    return text


def current() -> str:
    return paths.config_file().read_text(encoding="utf-8")


def comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines the edit removed and the lines it added."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def error(form: ConnectionFormScreen, field: str) -> Static:
    return form.query_one(f"#error-{field}", Static)


async def open_edit_form(pilot: Any, app: CraftApp) -> ConnectionFormScreen:
    await ready(pilot)
    await pilot.press("ctrl+g")
    await wait_until(pilot, lambda: isinstance(app.screen, ConnectionsScreen))
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(app.screen, ConnectionFormScreen))
    form = app.screen
    assert isinstance(form, ConnectionFormScreen)
    await idle(pilot)
    return form


async def test_advanced_values_set_in_the_form_are_saved_alone_and_reach_the_next_answer(
    server: FakeLLMServer,
) -> None:
    original = write_config(CONFIG.format(base_url=server.openai_base_url))
    app = CraftApp(load_config(), new_conversation=True, clock=lambda: 1000.0)
    async with app.run_test(size=(100, 32)) as pilot:
        form = await open_edit_form(pilot, app)
        advanced = form.query_one("#advanced", Collapsible)
        assert advanced.collapsed  # the common case stays short
        # Prefilled with what applies to this connection (the defaults: the file sets none).
        assert form.query_one("#max-tokens", Input).value == "4096"
        assert form.query_one("#timeout-read", Input).value == "120"
        assert form.query_one("#timeout-connect", Input).value == "10"
        assert form.query_one("#system-prompt", TextArea).text == ""
        advanced.collapsed = False
        await pilot.pause()
        await fill(pilot, "max-tokens", "777")
        await fill(pilot, "timeout-read", "45")
        prompt = form.query_one("#system-prompt", TextArea)
        prompt.focus()
        await pilot.press(*"Answer in haiku.")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectionsScreen))
        await wait_until(pilot, lambda: "777" in current())
        (connection,) = app.workspace.config.connections  # the config in use, at once
        assert connection.max_tokens == 777
        assert connection.timeouts.read == 45 and connection.timeouts.connect == 10
        assert connection.system_prompt == "Answer in haiku."

        await pilot.press("escape")
        chat = await send(pilot, "Tell me about rivers.")
        await answered(pilot, chat)
    request = server.chat_requests[-1].json
    assert request["max_tokens"] == 777
    assert request["messages"][0] == {"role": "system", "content": "Answer in haiku."}
    # Only what was changed is written: the comments stay, nothing is removed, and no default
    # (connect, write, pool, verify_tls, …) is spelled out.
    removed, added = changed_lines(original, current())
    assert removed == []
    assert comments(current()) == comments(original)
    written = "\n".join(added)
    assert "max_tokens = 777" in written
    assert 'system_prompt = "Answer in haiku."' in written
    assert "read = 45" in written
    for default in ("connect", "write", "pool", "verify_tls", "4096", "created_at"):
        assert default not in written, default
    assert load_config().connections[0].timeouts.read == 45


async def test_an_edit_that_leaves_the_advanced_values_alone_writes_nothing(
    server: FakeLLMServer,
) -> None:
    text = CONFIG.format(base_url=server.openai_base_url).replace(
        'default_model = "fake-small"',
        'default_model = "fake-small"\nmax_tokens = 2048   # my cap\n'
        "timeouts = { read = 300.5 }   # slow box\n"
        "system_prompt = '''Be brief.\nNo lists.'''   # two lines",
    )
    original = write_config(text)
    app = CraftApp(load_config(), new_conversation=True, clock=lambda: 1000.0)
    async with app.run_test(size=(100, 32)) as pilot:
        form = await open_edit_form(pilot, app)
        title = str(form.query_one("#advanced", Collapsible).title)
        assert title == "Advanced (set: timeouts, max tokens, system prompt)"
        assert form.query_one("#max-tokens", Input).value == "2048"
        assert form.query_one("#timeout-read", Input).value == "300.5"
        assert form.query_one("#system-prompt", TextArea).text == "Be brief.\nNo lists."
        await fill(pilot, "name", "Local GPU")  # change something else only
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectionsScreen))
        await wait_until(pilot, lambda: "Local GPU" in current())
    assert current() == original.replace('name = "Local box"', 'name = "Local GPU"')


async def test_a_new_connection_with_the_defaults_left_writes_none_of_them(
    server: FakeLLMServer,
) -> None:
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        form.query_one("#preset", Select).value = "custom-openai"
        await pilot.pause()
        await fill(pilot, "name", "Box")
        await fill(pilot, "base-url", server.openai_base_url)
        form.query_one("#key-source", Select).value = "none"
        form.query_one("#advanced", Collapsible).collapsed = False
        await pilot.pause()
        await fill(pilot, "timeout-connect", "3")  # the one value changed
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.results == ["box"]
    written = current()
    assert "connect = 3" in written
    for default in ("max_tokens", "read =", "write =", "pool =", "system_prompt"):
        assert default not in written, default
    (connection,) = load_config().connections
    assert connection.timeouts.connect == 3 and connection.timeouts.read == 120
    assert connection.max_tokens == 4096 and connection.system_prompt is None


async def test_values_that_do_not_read_are_refused_under_their_fields_with_the_focus_there(
    server: FakeLLMServer,
) -> None:
    original = write_config(CONFIG.format(base_url=server.openai_base_url))
    app = Host(lambda: ConnectionFormScreen(load_config().connections[0]))
    async with app.run_test(size=(60, 20)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await idle(pilot)
        advanced = form.query_one("#advanced", Collapsible)
        for widget_id, text in (
            ("max-tokens", "lots"),
            ("timeout-read", "0"),
            ("timeout-pool", "inf"),
        ):
            form.query_one(f"#{widget_id}", Input).value = text
        await pilot.pause()
        assert advanced.collapsed  # closed, as a person who typed there and closed it left it
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: error(form, "max-tokens").has_class("-shown"))
        # Opened, and the focus on the first field to fix, so what is typed next lands there.
        await wait_until(pilot, lambda: app.focused is form.query_one("#max-tokens", Input))
        assert not advanced.collapsed
        assert "whole number above 0" in str(error(form, "max-tokens").render())
        assert "read timeout in seconds, a number above 0, e.g. 120" in str(
            error(form, "timeout-read").render()
        )
        assert "pool timeout" in str(error(form, "timeout-pool").render())
        assert "whole number above 0" in screen_text(app)  # on screen at 60×20, by the field
        assert app.screen is form and current() == original  # nothing saved
        await pilot.press("ctrl+a", "ctrl+k", *"8000")
        assert not error(form, "max-tokens").has_class("-shown")  # fixed: its error goes
        assert error(form, "timeout-read").has_class("-shown")  # not fixed yet: still said
        await fill(pilot, "timeout-read", "90")
        await fill(pilot, "timeout-pool", "2.5")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.results == ["local"]
    connection = load_config().connections[0]
    assert connection.max_tokens == 8000
    assert (connection.timeouts.read, connection.timeouts.pool) == (90, 2.5)


HOSTILE_PROMPT = "[bold red]Obey[/bold red] \x1b]0;pwned\x07\x1b[31m"


async def test_a_system_prompt_from_the_file_is_shown_as_text_and_kept_exactly(
    server: FakeLLMServer,
) -> None:
    text = CONFIG.format(base_url=server.openai_base_url).replace(
        'default_model = "fake-small"',
        'default_model = "fake-small"\nsystem_prompt = "[bold red]Obey[/bold red] '
        '\\u001b]0;pwned\\u0007\\u001b[31m"',
    )
    original = write_config(text)
    assert load_config().connections[0].system_prompt == HOSTILE_PROMPT
    app = Host(lambda: ConnectionFormScreen(load_config().connections[0]))
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await idle(pilot)
        form.query_one("#advanced", Collapsible).collapsed = False
        await pilot.pause()
        editor = form.query_one("#system-prompt", TextArea)
        assert editor.text == "[bold red]Obey[/bold red] ␛]0;pwned␇␛[31m"  # the markup as text
        editor.focus()  # scrolled into view
        await wait_until(pilot, lambda: "Obey" in screen_text(app))
        on_screen = screen_text(app)
        assert "[bold red]Obey[/bold red]" in on_screen
        assert "\x1b" not in on_screen and "\x07" not in on_screen
        await fill(pilot, "name", "Local GPU")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.results == ["local"]
    # Untouched, the prompt is the file's, not its disarmed display form.
    assert load_config().connections[0].system_prompt == HOSTILE_PROMPT
    assert current() == original.replace('name = "Local box"', 'name = "Local GPU"')


async def test_escape_after_changing_only_the_system_prompt_asks_first(
    server: FakeLLMServer,
) -> None:
    write_config(CONFIG.format(base_url=server.openai_base_url))
    app = Host(lambda: ConnectionFormScreen(load_config().connections[0]))
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await idle(pilot)
        form.query_one("#advanced", Collapsible).collapsed = False
        await pilot.pause()
        form.query_one("#system-prompt", TextArea).focus()
        await pilot.press(*"Be kind.")
        form.query_one("#name", Input).focus()
        await pilot.press("escape")
        await pilot.pause()
        assert "Discard what you typed in this form?" in screen_text(app)
        assert app.results == []
