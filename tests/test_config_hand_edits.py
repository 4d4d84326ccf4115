"""Issue 14's acceptance: a config.toml full of comments keeps every comment byte for byte through
answers, favourites, picker use, `connection add/remove/default` and an edit in the connections
screen; an answer, a favourite or a pick writes nothing to config.toml at all.

One hand-written file (comments above tables, at line ends, between keys; inline tables; literal
and basic strings), driven through the real CLI in subprocesses and the real app with a pilot,
against a loopback fake server. After each step every comment line of the original is still
there, and the part of the file the step did not change is identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from craft_tui.config import paths, state
from craft_tui.config.store import load_config
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.connection_form import ConnectionFormScreen
from craft_tui.ui.screens.connections import ConnectionsScreen
from craft_tui.ui.screens.model_picker import ModelPickerScreen
from craft_tui.ui.widgets.model_rows import ModelRows
from tests.servers.cli import craft
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import answered, ready, send, views, wait_until

CONFIG = """\
# ~/.config/craft-tui/config.toml -- mine, written by hand. Keep my notes!
version = 1   # the file format

# ---------------------------------------------------------------- app
[settings]
default_connection = "local"    # what `ask` uses
theme = 'textual-dark'          # literal string, on purpose
# nothing between these keys but this comment
keymap = {{ pick_model = "ctrl+o" }}   # my remap

# ---------------------------------------------------------------- connections

# The fake box on loopback: what the tests talk to
[[connections]]
slug = "local"
name = 'Local box'   # shown in the status line
protocol = "openai"
base_url = "{base_url}"
auth = {{ type = "none" }}   # no key here
headers = {{ "X-Team" = "blue" }}   # sent with every request
models = [
  "fake-small",    # the quick one
  "fake-large",    # the slow one
]
default_model = "fake-small"

# Work: through the company proxy (ask IT before changing)
[[connections]]
slug = "work"
name = "Work"
protocol = "anthropic"
base_url = "https://llm.corp.example.com"
"max_tokens" = 2048   # quoted key

[connections.auth]   # a header table, not inline
type = "bearer"
api_key_env = "CORP_LLM_TOKEN"

# the end: nothing below this line
"""


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(reply="Hello from the fake.") as fake:
        yield fake


@pytest.fixture
def original(server: FakeLLMServer) -> str:
    text = CONFIG.format(base_url=server.base_url)
    paths.ensure_private_dir(paths.config_dir())
    paths.config_file().write_text(text, encoding="utf-8")
    load_config()  # the sample is a valid config
    return text


def current() -> str:
    return paths.config_file().read_text(encoding="utf-8")


def comments(text: str) -> list[str]:
    """Every comment of the file, exactly as written: whole comment lines, and the end of a line
    from its `#` (the key before it may have changed; the sample has no `#` in its strings)."""
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def assert_comments_kept(original: str, *, except_in: str = "") -> None:
    """Every comment line of `original` is still in the file, byte for byte, in order (except
    those of `except_in`, a part of the file a step removed)."""
    removed = set(comments(except_in))
    expected = [comment for comment in comments(original) if comment not in removed]
    assert [comment for comment in comments(current()) if comment in set(expected)] == expected


def app() -> CraftApp:
    return CraftApp(load_config(), clock=lambda: 1000.0)


async def test_answers_favourites_and_picks_write_nothing_to_config_toml(
    original: str, isolated_home: Path, server: FakeLLMServer
) -> None:
    # An answer from the CLI.
    result = craft(isolated_home, "ask", "Say hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from the fake.\n"
    assert current() == original
    assert state.last_used("local") is not None  # recorded, elsewhere

    # An answer in the app, a favourite starred and a model picked in the picker.
    craft_app = app()
    async with craft_app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Hi")
        await answered(pilot, chat)
        assert current() == original
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(craft_app.screen, ModelPickerScreen))
        rows = craft_app.screen.query_one("#picker-list", ModelRows)
        craft_app.screen.query_one("#picker-query", Input).value = "fake-large"
        await wait_until(pilot, lambda: rows.count >= 1 and "fake-large" in str(rows.row(0)))
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: state.favourite_models() == ["local/fake-large"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: craft_app.screen is chat)
        await wait_until(pilot, lambda: state.recent_models()[:1] == ["local/fake-large"])
        chat = await send(pilot, "Again")
        await wait_until(pilot, lambda: len(views(chat)) == 4)
        await answered(pilot, chat)
        assert server.chat_requests[-1].json["model"] == "fake-large"
    assert current() == original  # byte for byte: not one write


def test_connection_add_default_and_remove_keep_every_comment(
    original: str, isolated_home: Path
) -> None:
    result = craft(
        isolated_home,
        "connection",
        "add",
        "Extra",
        "--protocol",
        "openai",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--no-auth",
        "--default-model",
        "m1",
    )
    assert result.returncode == 0, result.stderr
    added = current()
    assert added.startswith(original)  # the new table goes after everything, nothing else moves
    assert "[[connections]]" in added[len(original) :] and 'slug = "extra"' in added
    assert_comments_kept(original)

    result = craft(isolated_home, "connection", "default", "extra")
    assert result.returncode == 0, result.stderr
    assert current() == added.replace(
        'default_connection = "local"    # what `ask` uses',
        'default_connection = "extra"    # what `ask` uses',
    )
    assert_comments_kept(original)

    result = craft(isolated_home, "connection", "remove", "extra")
    assert result.returncode == 0, result.stderr
    # The removed default falls back to the first connection: the file is the original again.
    assert current() == original

    work_start = original.index("# Work: through the company proxy")
    work_end = original.index("# the end: nothing below")
    result = craft(isolated_home, "connection", "remove", "work")
    assert result.returncode == 0, result.stderr
    assert current() == original[:work_start] + original[work_end:]
    assert_comments_kept(original, except_in=original[work_start:work_end])


async def test_an_edit_in_the_connections_screen_changes_only_the_edited_keys(
    original: str,
) -> None:
    craft_app = app()
    async with craft_app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(craft_app.screen, ConnectionsScreen))
        await pilot.press("e")  # the highlighted (first) connection: local
        await wait_until(pilot, lambda: isinstance(craft_app.screen, ConnectionFormScreen))
        form = craft_app.screen
        name = form.query_one("#name", Input)
        name.focus()
        name.value = "Local GPU"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(craft_app.screen, ConnectionsScreen))
        await wait_until(pilot, lambda: 'name = "Local GPU"' in current())
    # The name is set in place and nothing else changes: no preset is named for a connection
    # the user wrote without one.
    assert current() == original.replace(
        "name = 'Local box'   # shown in the status line",
        'name = "Local GPU"   # shown in the status line',
    )
    assert_comments_kept(original)


async def edit_in_form(craft_app: CraftApp, pilot: Pilot[None], downs: int, **typed: str) -> None:
    """Open the connections screen, edit the connection `downs` rows below the first, type the
    given values (widget id -> text) and save."""
    await ready(pilot)
    await pilot.press("ctrl+g")
    await wait_until(pilot, lambda: isinstance(craft_app.screen, ConnectionsScreen))
    for _ in range(downs):
        await pilot.press("down")
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(craft_app.screen, ConnectionFormScreen))
    form = craft_app.screen
    for widget_id, value in typed.items():
        field = form.query_one(f"#{widget_id}", Input)
        field.focus()
        field.value = value
    await pilot.pause()
    before = current()
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(craft_app.screen, ConnectionsScreen))
    await wait_until(pilot, lambda: current() != before)


async def test_form_edits_of_inline_and_header_tables_change_only_those_bytes(
    original: str,
) -> None:
    craft_app = app()
    async with craft_app.run_test(size=(120, 40)) as pilot:
        await edit_in_form(craft_app, pilot, 0, headers="X-Team: blue; X-Env: dev")
        step_one = original.replace(
            'headers = { "X-Team" = "blue" }   # sent with every request',
            'headers = { "X-Team" = "blue", X-Env = "dev" }   # sent with every request',
        )
        assert current() == step_one  # the inline table keeps its own spacing and quoting
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(craft_app.screen, ConnectionsScreen))
        await edit_in_form(craft_app, pilot, 1, env="CORP_TOKEN")
    assert current() == step_one.replace(
        'api_key_env = "CORP_LLM_TOKEN"', 'api_key_env = "CORP_TOKEN"'
    )
    assert_comments_kept(original)
