"""The fault matrix through the running app: every row of `tests.faults.MATRIX`, both protocols.

Each row sends a prompt in the real app (App.run_test, real sockets on 127.0.0.1) and checks the
answer shows the error inline — its sentence and its fix in the ErrorView — with the text that
arrived before the fault kept in the answer (and in history). Then the fault is healed (the server
recovers, the listener or proxy comes up, or the user saves the fix the hint names and closes the
connections screen) and Ctrl+R must bring the new answer.
`pytest -s -p no:xdist tests/ui/test_fault_matrix_app.py` prints the matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from craft_tui.config.schema import Config
from craft_tui.config.secrets import SecretStore
from craft_tui.config.store import save_config
from craft_tui.config.urls import normalize_base_url
from craft_tui.providers.errors import fill_keys
from craft_tui.ui.app import CraftApp
from craft_tui.ui.bindings import first_key
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.ui.screens.connections import ConnectionsScreen
from craft_tui.ui.widgets.error_view import ErrorView
from tests.faults import (
    HEALTHY_REPLY,
    MATRIX_CASES,
    Outcome,
    Protocol,
    Row,
    Scene,
    check,
    format_matrix,
    matrix_id,
    scene,
)
from tests.ui.chat_helpers import answered, last_answer, send, wait_until

KEY = "sk-test-matrix-app-0123456789abcdef"
MODEL = "fake-small"
OUTCOMES: list[Outcome] = []


@pytest.fixture(scope="module", autouse=True)
def print_matrix() -> Iterator[None]:
    """After the rows ran (in this process), print what each showed."""
    yield
    if OUTCOMES:
        print("\n" + format_matrix(OUTCOMES, "Fault matrix: the app"))


def _save(built: Scene, fields: dict[str, Any]) -> Config:
    """The one connection of this row, written to config.toml as the connections screen would."""
    entry: dict[str, Any] = {
        "slug": "fake",
        "name": "Fake",
        "protocol": built.protocol,
        "auth": {"type": "api_key"},
        "models": [{"id": MODEL}],
        "default_model": MODEL,
        **fields,
    }
    entry["base_url"] = normalize_base_url(built.protocol, fields["base_url"])
    config = Config.model_validate({"connections": [entry]})
    save_config(config)
    return config


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("protocol", "row"), MATRIX_CASES, ids=map(matrix_id, MATRIX_CASES))
async def test_fault_matrix_through_the_app(
    monkeypatch: pytest.MonkeyPatch, protocol: Protocol, row: Row
) -> None:
    fault = row.fault(protocol)
    with scene(protocol, fault) as built:
        for name, value in built.environment.items():
            monkeypatch.setenv(name, value)  # read when the app builds its HTTP client
        config = _save(built, built.connection)
        SecretStore.open().set("fake", KEY)
        app = CraftApp(config, new_conversation=True, clock=lambda: 1000.0)
        async with app.run_test(size=(110, 36)) as pilot:
            chat = await send(pilot, "Hi")
            answer = await answered(pilot, chat)

            error = answer.error
            assert error is not None, answer.text
            shown = _one_line(answer.query_one(ErrorView).render_error().plain)
            assert _one_line(error.message) in shown
            fix = fill_keys(error.hint, lambda binding_id: first_key(binding_id, app.keymap))
            assert "Fix: " + _one_line(fix) in shown
            # Inside the app the fix names the app's own keys, never a command to type elsewhere.
            assert "craft-tui connection" not in shown and "craft-tui models" not in shown
            assert "{" not in fix, fix
            if error.server_reason:  # the server's words once, not in the message and again
                words = _one_line(error.server_reason)[:40]
                assert shown.count(words) == 1, shown
            assert "Press ctrl+r to retry" in shown or "press ctrl+r to retry anyway" in shown
            assert "Traceback" not in shown and KEY not in shown
            check(fault, error.kind, error.message, error.hint, answer.text)
            if fault.retry_after is not None:
                assert f"Retry possible in {fault.retry_after:.0f}s" in shown
            assert chat.session is not None
            stored = app.workspace.history().load_conversation(chat.session.conversation.id)[1]
            assert stored[-1].text == fault.partial and stored[-1].error_kind == fault.kind

            fixed = built.heal()
            if fixed:  # the user saves the fix in the connections screen and closes it
                healed = _save(built, {**built.connection, **fixed})
                # Written from outside: in use once the app has seen the file (its watcher);
                # a save made in the screen itself is in use at once.
                await wait_until(
                    pilot, lambda: app.workspace.config.connections == healed.connections
                )
                await pilot.press("ctrl+g")
                await wait_until(pilot, lambda: isinstance(app.screen, ConnectionsScreen))
                await pilot.press("escape")
                await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
            await pilot.press("ctrl+r")
            await wait_until(
                pilot, lambda: not chat.busy and last_answer(chat).text == HEALTHY_REPLY
            )
            assert last_answer(chat).error is None
            if fault.target == "proxy_down":
                assert built.went_through_proxy()
    OUTCOMES.append(Outcome(row.label, protocol, error.message, error.hint, answer.text, "Ctrl+R"))
