"""Every kind of failure appears inline where the answer would be: the sentence, the fix, the
server's reason, the retry key — never a traceback, never a frozen prompt."""

from __future__ import annotations

import pytest

from craft_tui.providers.errors import ErrorKind
from craft_tui.ui.widgets.error_view import ErrorView
from tests.ui.chat_helpers import answered, make_app, send, wait_until

CASES = [
    # (server protocol, switches, expected kind, text the user must see)
    ("openai", {"error": "openai_401"}, ErrorKind.AUTHENTICATION, "Authentication failed"),
    ("anthropic", {"error": "anthropic_402"}, ErrorKind.BILLING, "Billing problem"),
    ("openai", {"error": "openai_403"}, ErrorKind.ACCESS_DENIED, "Access denied"),
    ("openai", {"error": "openai_404_model"}, ErrorKind.MODEL_NOT_FOUND, "Model not found"),
    ("anthropic", {"error": "anthropic_529"}, ErrorKind.OVERLOADED, "Provider overloaded"),
    ("openai", {"error": "openai_400_context"}, ErrorKind.CONTEXT_EXCEEDED, "Context window"),
    ("openai", {"error": "openrouter_data_policy"}, ErrorKind.DATA_POLICY, "data policy"),
    ("openai", {"error": "html_200_login"}, ErrorKind.HTML_RESPONSE, "HTML"),
    ("anthropic", {"error": "anthropic_400_invalid"}, ErrorKind.INVALID_REQUEST, "max_tokens"),
    ("openai", {"cut_after": 2}, ErrorKind.STREAM_CUT, "cut off"),
]


@pytest.mark.parametrize(("protocol", "switches", "kind", "visible"), CASES)
async def test_provider_errors_are_shown_inline_with_their_fix(
    fake_server, protocol, switches, kind, visible
) -> None:
    server = fake_server(protocol=protocol, reply="alpha beta gamma delta", **switches)
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Hello")
        answer = await answered(pilot, chat)
        assert answer.error is not None
        assert answer.error.kind == kind
        shown = answer.query_one(ErrorView).render_error().plain
        assert visible.lower() in shown.lower()
        assert "Fix: " in shown
        assert "Press ctrl+r to retry" in shown
        assert "Traceback" not in shown
        assert app.focused is chat.prompt
        assert not chat.status.spinning
        stored = app.workspace.history().load_conversation(chat.session.conversation.id)[1]
        assert stored[-1].error_kind == kind


async def test_partial_answer_before_a_cut_is_kept_above_the_error(fake_server) -> None:
    app = make_app(fake_server(reply="alpha beta gamma delta", cut_after=2))
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Hello")
        answer = await answered(pilot, chat)
        assert answer.text.startswith("alpha")
        assert "partial answer kept" in str(answer._note.render())


async def test_rate_limit_counts_down_from_retry_after_and_retry_works(fake_server) -> None:
    server = fake_server(reply="Finally.")
    server.queue(error="openai_429")
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Hello")
        answer = await answered(pilot, chat)
        assert answer.error is not None and answer.error.kind == ErrorKind.RATE_LIMITED
        assert answer.error.retry_after == 2
        shown = answer.query_one(ErrorView).render_error().plain
        assert "Retry possible in 2s" in shown
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: not chat.busy and chat.transcript.views()[-1].text == "Finally."
        )
        assert chat.transcript.views()[-1].error is None  # type: ignore[attr-defined]


async def test_unreachable_server_says_cannot_connect(fake_server) -> None:
    server = fake_server()
    app = make_app(server)
    server.stop()
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Hello?")
        answer = await answered(pilot, chat)
        assert answer.error is not None and answer.error.kind == ErrorKind.CANNOT_CONNECT
        assert "Cannot connect" in answer.query_one(ErrorView).render_error().plain


async def test_a_missing_key_is_explained_inline_and_nothing_is_sent(fake_server) -> None:
    from craft_tui.config.schema import Config
    from craft_tui.ui.app import CraftApp
    from tests.ui.chat_helpers import connection_dict

    server = fake_server()
    entry = connection_dict(server)
    entry["auth"] = {"type": "api_key"}
    app = CraftApp(Config.model_validate({"connections": [entry]}))
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Hello")
        answer = await answered(pilot, chat)
        assert answer.error is not None and answer.error.kind == ErrorKind.MISSING_KEY
        shown = answer.query_one(ErrorView).render_error().plain
        assert "No API key" in shown and "Fix: " in shown
        assert [r for r in server.requests if r.is_chat] == []
        assert chat.transcript.views()[0].text == "Hello"  # the prompt was saved and shown
