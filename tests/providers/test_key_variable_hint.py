"""A refused key read from a variable (`auth.api_key_env`), end to end through the workspace
against the loopback fake server: the fix names the variable (never its value) instead of
telling the user to store the key again (a stored key is not used while the variable is set)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from craft_tui.chat.session import AnswerFailed
from craft_tui.config.store import load_config
from craft_tui.providers.errors import ErrorKind
from craft_tui.workspace.core import Workspace
from tests.workspace.helpers import connection_toml, write_config


async def test_a_refused_variable_key_names_the_variable(
    fake_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_server(require_key="sk-test-wanted-key-1111")
    monkeypatch.setenv("WORK_KEY", "sk-test-refused-env-key-0000")
    auth = '{ type = "api_key", api_key_env = "WORK_KEY" }'
    write_config(connection_toml("work", server, auth="__AUTH__").replace('"__AUTH__"', auth))
    workspace = Workspace(load_config())
    try:
        session = await workspace.open_session(None, new=True)
        events: AsyncIterator[Any] = session.send("Hello")
        failed = [event async for event in events if isinstance(event, AnswerFailed)]
    finally:
        await workspace.aclose()
    (event,) = failed
    assert event.error.kind is ErrorKind.AUTHENTICATION
    for hint in (event.error.hint, event.error.hint_in_app):
        assert hint.startswith("The key in $WORK_KEY was refused: check its value")
        assert "store it again" not in hint and "--api-key-stdin" not in hint
        assert "sk-test-refused-env-key-0000" not in hint
