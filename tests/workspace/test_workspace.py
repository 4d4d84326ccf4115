"""The workspace: one config in use, changed by the file underneath or by the app's own writes;
drivers rebuilt when what they were built from changes; requests going where the config says now.

Everything runs against loopback fake servers, with config.toml written as an editor would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from craft_tui.chat.session import AnswerFinished, ChatSession
from craft_tui.config.schema import Config
from craft_tui.config.secrets import SecretStore
from craft_tui.config.store import load_config
from craft_tui.workspace import watcher as watcher_module
from craft_tui.workspace.core import ConfigChange, Workspace
from tests.waiting import until
from tests.workspace.helpers import connection_toml, write_config

FAST = 0.02  # the watcher's interval in these tests: a change is seen within a few turns


async def ask(session: ChatSession, text: str) -> Any:
    """Send `text`; return the stored answer (it must finish)."""
    events: AsyncIterator[Any] = session.send(text)
    finished = [event async for event in events if isinstance(event, AnswerFinished)]
    assert finished, "the answer did not finish"
    return finished[-1].message


def started(**kwargs: Any) -> Workspace:
    workspace = Workspace(load_config(), **kwargs)
    return workspace


async def test_a_valid_edit_of_the_file_replaces_the_config_and_tells_subscribers(
    fake_server: Any,
) -> None:
    one = fake_server()
    write_config(connection_toml("one", one))
    workspace = started()
    seen: list[ConfigChange] = []
    workspace.subscribe(seen.append)
    workspace.start_watching(FAST)
    try:
        write_config(connection_toml("one", one), connection_toml("two", one))
        await until(lambda: seen, "the change being noticed")
        assert [c.slug for c in workspace.config.connections] == ["one", "two"]
        assert seen[-1].error is None and seen[-1].changed == {"two"}
    finally:
        await workspace.aclose()


async def test_an_invalid_edit_is_reported_once_and_the_last_good_config_stays(
    fake_server: Any,
) -> None:
    server = fake_server(reply="Still here.")
    write_config(connection_toml("one", server))
    workspace = started()
    errors: list[str] = []
    workspace.subscribe(lambda change: errors.append(change.error) if change.error else None)
    workspace.start_watching(FAST)
    session = await workspace.open_session(None, new=True)
    try:
        broken = connection_toml("one", server, colour="blue")
        path = write_config(broken)
        await until(lambda: errors, "the invalid edit being reported")
        assert str(path) in errors[0] and "colour" in errors[0] and "line 7" in errors[0]
        # Reported once: the file did not change again, so it is not read again.
        await _intervals(workspace, 5)
        assert len(errors) == 1
        assert path.read_text() == broken  # never written over
        assert [c.slug for c in workspace.config.connections] == ["one"]
        answer = await ask(session, "Hello?")  # the last good config still sends
        assert answer.text == "Still here."
        assert answer.connection_slug == "one"
    finally:
        await workspace.aclose()


async def _intervals(workspace: Workspace, count: int) -> None:
    """Let the watcher look at the file `count` more times."""
    watcher = workspace._watcher
    assert watcher is not None
    looks = 0
    original = watcher_module.signature

    def counting(path: Path) -> Any:
        nonlocal looks
        looks += 1
        return original(path)

    watcher_module.signature = counting  # type: ignore[assignment]
    try:
        await until(lambda: looks >= count, "the watcher looking again")
    finally:
        watcher_module.signature = original


async def test_an_edited_url_gets_a_fresh_driver_and_the_next_request_goes_there(
    fake_server: Any,
) -> None:
    old, new = fake_server(reply="From the old URL."), fake_server(reply="From the new URL.")
    write_config(connection_toml("work", old))
    workspace = started()
    workspace.start_watching(FAST)
    try:
        session = await workspace.open_session(None, new=True)
        assert (await ask(session, "First")).text == "From the old URL."
        first_driver = workspace.drivers.pooled("work")
        write_config(connection_toml("work", new))
        await until(lambda: workspace.config.connections[0].base_url == new.openai_base_url)
        answer = await ask(session, "Second")
        assert answer.text == "From the new URL."
        assert len(old.chat_requests) == 1 and len(new.chat_requests) == 1
        assert workspace.drivers.pooled("work") is not first_driver
        assert first_driver is not None and first_driver.closed  # the old client is closed
    finally:
        await workspace.aclose()


async def test_a_replaced_key_gets_a_fresh_driver_without_any_config_change(
    fake_server: Any,
) -> None:
    server = fake_server(require_key="sk-test-second-key-000000")
    write_config(connection_toml("work", server).replace('type = "none"', 'type = "api_key"'))
    store = SecretStore.open()
    store.set("work", "sk-test-first-key-0000000")
    workspace = started()
    try:
        session = await workspace.open_session(None, new=True)
        refused = [event async for event in session.send("One")]
        assert refused[-1].message.error_kind is not None  # the first key is refused
        store.set("work", "sk-test-second-key-000000")  # e.g. `craft-tui connection key work`
        answer = await ask(session, "Two")
        assert answer.error_kind is None
        assert (
            server.chat_requests[-1].headers["authorization"] == "Bearer sk-test-second-key-000000"
        )
    finally:
        await workspace.aclose()


async def test_the_same_connection_keeps_its_driver(fake_server: Any) -> None:
    server = fake_server()
    write_config(connection_toml("work", server))
    workspace = started()
    try:
        session = await workspace.open_session(None, new=True)
        await ask(session, "One")
        await ask(session, "Two")
        assert workspace.drivers.built == 1
    finally:
        await workspace.aclose()


async def test_a_slug_added_underneath_is_found_by_switch_before_the_watcher_looks(
    fake_server: Any,
) -> None:
    old, down = fake_server(reply="Old."), fake_server(reply="From down.")
    write_config(connection_toml("old", old))
    workspace = started()  # not watching: only `switch` can notice the new connection
    try:
        session = await workspace.open_session(None, new=True)
        write_config(connection_toml("old", old), connection_toml("down", down))
        target = await workspace.switch(session, "down", "down-model")
        assert target is not None and target.connection is not None
        assert (target.connection.slug, target.model) == ("down", "down-model")
        assert workspace.status_figures(session).connection == "Down"
        answer = await ask(session, "Secret")
        assert (answer.connection_slug, answer.model) == ("down", "down-model")
        assert workspace.label_for(answer.connection_slug, answer.model) == "Down · down-model"
        assert old.chat_requests == [] and len(down.chat_requests) == 1
    finally:
        await workspace.aclose()


async def test_switching_to_a_connection_that_does_not_exist_changes_nothing(
    fake_server: Any,
) -> None:
    server = fake_server()
    write_config(connection_toml("one", server))
    workspace = started()
    try:
        session = await workspace.open_session(None, new=True)
        assert await workspace.switch(session, "ghost", "m") is None
        assert workspace.target_of(session).connection is not None
        assert session.conversation.connection_slug == "one"
    finally:
        await workspace.aclose()


async def test_the_apps_own_writes_are_in_use_at_once(fake_server: Any) -> None:
    server = fake_server()
    write_config(connection_toml("one", server))
    workspace = started()
    seen: list[ConfigChange] = []
    workspace.subscribe(seen.append)
    from craft_tui.config.schema import Connection, NoAuth

    await workspace.connections.aadd(
        Connection(
            slug="two",
            name="Two",
            protocol="openai",
            base_url=server.openai_base_url,
            auth=NoAuth(),
        )
    )
    assert [c.slug for c in workspace.config.connections] == ["one", "two"]  # no watcher needed
    assert seen and seen[-1].changed == {"two"}


async def test_an_idle_watcher_only_stats_the_file(
    fake_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(connection_toml("one", fake_server()))
    workspace = started()
    reads: list[object] = []
    from craft_tui.config import store

    real_load = store.load_config
    monkeypatch.setattr(store, "load_config", lambda *a: reads.append(a) or real_load(*a))
    workspace.start_watching(FAST)
    try:
        await _intervals(workspace, 10)
        assert reads == []  # ten looks, no read, no validation, no notification
    finally:
        await workspace.aclose()


async def test_a_removed_file_is_an_empty_config(fake_server: Any) -> None:
    path = write_config(connection_toml("one", fake_server()))
    workspace = started()
    workspace.start_watching(FAST)
    try:
        path.unlink()
        await until(lambda: workspace.config == Config(), "the removal being noticed")
    finally:
        await workspace.aclose()
