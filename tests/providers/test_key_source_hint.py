"""A refused key that a command printed (`auth.api_key_cmd`) or a variable held (`api_key_env`):
the fix names the command (never what it printed) or the variable, instead of telling the user
to store the key again, which would change nothing.

End to end through the workspace as the app uses it, against the loopback fake server that
wants another key (`require_key=`); the phrasing itself through `classify`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from craft_tui.chat.session import AnswerFailed, ChatSession
from craft_tui.config.key_command import KEY_COMMANDS, shown_command
from craft_tui.config.protocols import Protocol
from craft_tui.config.store import load_config
from craft_tui.providers.error_mapping import KEY_IN_APP, ErrorContext, ServerReason, classify
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.workspace.core import Workspace
from tests.config.key_tool import tool_command
from tests.workspace.helpers import connection_toml, write_config

REFUSED = "sk-test-refused-command-key-0000"
WANTED = "sk-test-wanted-key-1111"


@pytest.fixture(autouse=True)
def _no_command_keys() -> Iterator[None]:
    KEY_COMMANDS.forget_all()
    yield
    KEY_COMMANDS.forget_all()


async def failure(session: ChatSession, text: str) -> ProviderError:
    events: AsyncIterator[Any] = session.send(text)
    seen = [event async for event in events]
    failed = [event for event in seen if isinstance(event, AnswerFailed)]
    assert failed, seen
    return failed[-1].error


async def test_a_refused_command_key_names_the_command_not_the_key_store(
    fake_server: Any, tmp_path: Path
) -> None:
    server = fake_server(require_key=WANTED)
    entry = tmp_path / "entry"
    entry.write_text(REFUSED + "\nnotes below the password\n")
    command = tool_command(tmp_path, key_file=entry)
    auth = '{ type = "api_key", api_key_cmd = ' + json.dumps(command) + " }"
    write_config(connection_toml("work", server, auth="__AUTH__").replace('"__AUTH__"', auth))
    workspace = Workspace(load_config())
    try:
        session = await workspace.open_session(None, new=True)
        error = await failure(session, "Hello")
    finally:
        await workspace.aclose()
    assert server.chat_requests[-1].headers["authorization"] == f"Bearer {REFUSED}"
    assert error.kind is ErrorKind.AUTHENTICATION
    for hint in (error.hint, error.hint_in_app):
        assert f"The key printed by {shown_command(command)} was refused: check that entry" in hint
        assert "store it again" not in hint and "--api-key-stdin" not in hint
        assert REFUSED not in hint and "notes below" not in hint
    assert 'craft-tui connection key work --api-key-cmd "…"' in error.hint
    assert "connections screen" in error.hint_in_app
    assert REFUSED not in error.message


def context(**fields: Any) -> ErrorContext:
    return ErrorContext(
        protocol=Protocol("openai"), base_url="https://openrouter.ai/api/v1", **fields
    )


def refused(ctx: ErrorContext) -> ProviderError:
    return classify(401, ServerReason(message="User not found."), ctx)


def test_the_command_is_named_as_configured_and_its_output_never() -> None:
    error = refused(
        context(slug="or", key_command="pass show openrouter", secret="sk-or-v1-not-this")
    )
    assert error.hint.startswith(
        "The key printed by `pass show openrouter` was refused: check that entry "
        "(OpenRouter keys start with sk-or-)"
    )
    assert "sk-or-v1-not-this" not in error.hint + error.hint_in_app
    assert error.hint_in_app.endswith(f"To use another command, edit it {KEY_IN_APP}.")


def test_a_variable_key_names_the_variable() -> None:
    error = refused(context(slug="or", key_variable="OPENROUTER_API_KEY", secret="sk-or-v1-x"))
    for hint in (error.hint, error.hint_in_app):
        assert hint.startswith("The key in $OPENROUTER_API_KEY was refused: check its value")
        assert "store it again" not in hint and "sk-or-v1-x" not in hint


def test_a_stored_key_still_says_store_it_again() -> None:
    error = refused(context(slug="or", secret="sk-or-v1-stored"))
    assert error.hint == (
        "OpenRouter keys start with sk-or-; check for spaces or a missing character, and store "
        "it again (craft-tui connection key or --api-key-stdin)."
    )
