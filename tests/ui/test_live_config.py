"""config.toml changed underneath the running app (another process, an editor): the app notices,
and the connection and model picked in the picker are the ones that answer. The request must reach
the new server and never the old one; the status line and the answer's label name the new one.

Issue 14's bug: a connection added from the shell and picked in the picker showed "Next answer
from down · fake-small" while the status line stayed on the old connection and the prompt went
there."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from craft_tui.config import paths
from craft_tui.config.store import load_config
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.ui.screens.connection_form import ConnectionFormScreen
from craft_tui.ui.screens.model_picker import ModelPickerScreen
from craft_tui.workspace import watcher as watcher_module
from tests.conftest import subprocess_env
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import answered, make_config, send, wait_until
from tests.ui.test_connections import idle

FAST = 0.05  # seconds between the watcher's looks at the file (the default is 0.5)


def down_table(server: FakeLLMServer) -> str:
    return (
        "\n[[connections]]\n"
        'slug = "down"\nname = "Down"\nprotocol = "openai"\n'
        f'base_url = "{server.openai_base_url}"\nmodels = ["fake-small"]\n'
        '\n[connections.auth]\ntype = "none"\n'
    )


def add_by_editing_the_file(_home: Path, server: FakeLLMServer) -> None:
    """What an editor does: the whole file written again, beside, then renamed over."""
    path = paths.config_file()
    temporary = path.with_name("config.toml.swp")
    temporary.write_text(path.read_text() + down_table(server))
    temporary.replace(path)


def add_from_the_shell(home: Path, server: FakeLLMServer) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "craft_tui", "connection", "add", "Down", "--protocol", "openai",
         "--base-url", server.openai_base_url, "--no-auth", "--model", "fake-small"],
        capture_output=True, text=True, env=subprocess_env(home), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def app_for(old: FakeLLMServer, *, interval: float = FAST) -> CraftApp:
    return CraftApp(
        make_config(old), new_conversation=True, clock=lambda: 1000.0, watch_interval=interval
    )


def status(chat: ChatScreen) -> str:
    return str(chat.status.line())


async def pick(pilot: Pilot[Any], app: CraftApp, query: str) -> ChatScreen:
    """Ctrl+O, type `query`, Enter (as a person does); back on the chat screen."""
    await pilot.press("ctrl+o")
    await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerScreen))
    picker = app.screen
    assert isinstance(picker, ModelPickerScreen)
    await pilot.press(*query)
    await wait_until(pilot, lambda: picker._highlighted_entry() is not None)
    entry = picker._highlighted_entry()
    assert entry is not None and entry.connection_slug == "down", entry
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    chat = app.chat
    assert chat is not None
    return chat


@pytest.mark.parametrize("add", [add_by_editing_the_file, add_from_the_shell])
async def test_a_connection_added_underneath_and_picked_is_the_one_that_answers(
    fake_server: Any, isolated_home: Path, add: Any
) -> None:
    old = fake_server(reply="From the old connection.")
    down = fake_server(reply="From down.")
    app = app_for(old)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Before")
        assert (await answered(pilot, chat)).text == "From the old connection."
        await asyncio.to_thread(add, isolated_home, down)
        await wait_until(pilot, lambda: app.workspace.connection("down") is not None)
        chat = await pick(pilot, app, "fake-small down")
        await wait_until(pilot, lambda: "Down" in status(chat))
        assert "fake-small" in status(chat)
        chat = await send(pilot, "For down only")
        answer = await answered(pilot, chat)
        assert answer.text == "From down."
        assert answer.label == "Down · fake-small"
        assert "Down" in status(chat) and "fake-small" in status(chat)
        stored = app.workspace.history().load_conversation(chat.session.conversation.id)[1]  # type: ignore[union-attr]
        assert (stored[-1].connection_slug, stored[-1].model) == ("down", "fake-small")
    sent_to_old = [r.json["messages"][-1]["content"] for r in old.chat_requests]
    assert sent_to_old == ["Before"]  # the secret never went to the old connection
    assert [r.json["messages"][-1]["content"] for r in down.chat_requests] == ["For down only"]


async def test_the_picker_lists_a_connection_added_before_the_watcher_looked(
    fake_server: Any, isolated_home: Path
) -> None:
    old, down = fake_server(reply="Old."), fake_server(reply="From down.")
    app = app_for(old, interval=3600)  # the watcher never looks during this test
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "Before")
        await answered(pilot, app.chat)  # type: ignore[arg-type]
        await asyncio.to_thread(add_from_the_shell, isolated_home, down)
        chat = await pick(pilot, app, "fake-small down")  # opening the picker re-reads the file
        await wait_until(pilot, lambda: "Down" in status(chat))
        answer = await answered(pilot, await send(pilot, "Secret"))
        assert answer.label == "Down · fake-small"
    assert len(old.chat_requests) == 1 and len(down.chat_requests) == 1


async def test_an_invalid_edit_while_the_app_runs_is_reported_once_and_the_old_config_kept(
    fake_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_server(reply="Still answering.")
    looks = 0  # the watcher's looks at the file, counted as they happen
    look = watcher_module.signature

    def counted_look(path: Path) -> watcher_module.Signature:
        nonlocal looks
        looks += 1
        return look(path)

    monkeypatch.setattr(watcher_module, "signature", counted_look)
    app = app_for(server)
    toasts: list[str] = []
    show = app.notify

    def recording(message: str, **options: Any) -> None:
        toasts.append(message)
        show(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "One")
        await answered(pilot, chat)
        path = paths.config_file()
        broken = path.read_text().replace('name = "Fake"', 'name = "Fake"\ncolour = "blue"')
        path.write_text(broken)
        await wait_until(pilot, lambda: any("colour" in toast for toast in toasts))
        (report,) = [toast for toast in toasts if "colour" in toast]
        line = broken.splitlines().index('colour = "blue"') + 1
        assert str(path) in report and f"line {line}" in report
        assert "last good configuration stays in use" in report
        reported_at = looks
        await wait_until(pilot, lambda: looks >= reported_at + 5)  # it looked again and again
        assert [t for t in toasts if "colour" in t] == [report]  # once, not every look
        assert path.read_text() == broken  # never written over
        assert "Fake" in status(chat)
        answer = await answered(pilot, await send(pilot, "Two"))
        assert answer.text == "Still answering."
    assert len(server.chat_requests) == 2


async def test_an_edited_url_sends_the_next_request_to_the_new_url(fake_server: Any) -> None:
    first, second = fake_server(reply="From the first URL."), fake_server(reply="From the second.")
    app = app_for(first)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "One")
        await answered(pilot, chat)
        path = paths.config_file()
        path.write_text(path.read_text().replace(first.openai_base_url, second.openai_base_url))
        await wait_until(
            pilot, lambda: app.workspace.config.connections[0].base_url == second.openai_base_url
        )
        answer = await answered(pilot, await send(pilot, "Two"))
        assert answer.text == "From the second."
        assert answer.label == "Fake · fake-model"
    assert len(first.chat_requests) == 1 and len(second.chat_requests) == 1


async def test_the_form_refuses_a_taken_name_with_the_sentence_the_cli_prints(
    fake_server: Any, isolated_home: Path
) -> None:
    app = app_for(fake_server())
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.chat is not None and app.chat.loaded)
        await pilot.press("ctrl+g", "a")  # the connections screen, then Add
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectionFormScreen))
        form = app.screen
        await wait_until(pilot, lambda: bool(form.query("#key-source")))  # composed by now
        form.query_one("#name", Input).value = "Fake"
        form.query_one("#key-source").value = "none"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await idle(pilot)
        shown = str(form.query_one("#error-name", Static).render())
    cli = subprocess.run(
        [sys.executable, "-m", "craft_tui", "connection", "add", "Fake", "--preset", "ollama"],
        capture_output=True, text=True, env=subprocess_env(isolated_home), timeout=60, check=False,
    )  # fmt: skip
    assert cli.returncode == 1
    # The form's sentence; on the command line its second half is the fix line.
    said, _, fix = shown.partition("; ")
    assert cli.stderr.splitlines() == [f"craft-tui: {said}.", f"  fix: {fix}"]
    assert [c.slug for c in load_config().connections] == ["fake"]


async def test_a_change_saved_in_the_connections_screen_is_in_use_at_once(
    fake_server: Any,
) -> None:
    """The app's own writes do not wait for the watcher (it never looks in this test)."""
    old, other = fake_server(reply="Old."), fake_server(reply="Other.")
    app = app_for(old, interval=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.chat is not None and app.chat.loaded)
        from craft_tui.config.schema import Connection, NoAuth

        await app.workspace.connections.aadd(
            Connection(
                slug="other",
                name="Other",
                protocol="openai",
                base_url=other.openai_base_url,
                auth=NoAuth(),
                models=[{"id": "other-model"}],  # type: ignore[list-item]
            ),
            default=True,
        )
        assert app.workspace.connection("other") is not None
        chat = app.chat
        assert chat is not None
        chat.switch_to("other", "other-model")
        await wait_until(pilot, lambda: "Other" in status(chat))
        answer = await answered(pilot, await send(pilot, "Hi"))
        assert answer.label == "Other · other-model"
    assert old.chat_requests == [] and len(other.chat_requests) == 1
