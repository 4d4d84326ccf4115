"""Issue 15, the connection form's friction: after a refused save the focus is on the field to fix
(a key pasted next lands in the masked key field, not in Base URL), an error goes when its field
is edited; the test stops at the first token of its 1-token answer and shows one line of it, a
step that did not run is shown as skipped (never as a green tick), and the models the test found
are offered for the connection and saved with it."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select, Static

from craft_tui.config.store import load_config
from craft_tui.ui.screens.connection_form import ConnectionFormScreen
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import wait_until
from tests.ui.test_connections import KEY, Host, fill, idle, screen_text

LONG_REPLY = "OK " + "and then a very long story nobody asked for " * 200


def results(form: ConnectionFormScreen) -> str:
    return str(form.query_one("#results", Static).render())


def error(form: ConnectionFormScreen, field: str) -> Static:
    return form.query_one(f"#error-{field}", Static)


async def open_form(pilot: Any, app: Host) -> ConnectionFormScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, ConnectionFormScreen))
    form = app.screen
    assert isinstance(form, ConnectionFormScreen)
    form.query_one("#preset", Select).value = "custom-openai"
    await pilot.pause()
    await fill(pilot, "name", "Box")
    return form


async def test_a_refused_save_puts_the_focus_on_the_field_to_fix_and_the_error_goes_when_fixed(
    fake_server: Any,
) -> None:
    server: FakeLLMServer = fake_server()
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, app)
        await fill(pilot, "base-url", server.openai_base_url)  # the focus is in Base URL
        await pilot.press("ctrl+s")  # no key given
        await wait_until(pilot, lambda: error(form, "key").has_class("-shown"))
        assert app.focused is form.query_one("#key", Input)
        await pilot.press(*KEY)  # what is typed (or pasted) next goes into the masked field
        key_field = form.query_one("#key", Input)
        assert key_field.value == KEY and key_field.password
        assert form.query_one("#base-url", Input).value == server.openai_base_url
        assert KEY not in screen_text(app)
        assert not error(form, "key").has_class("-shown")  # fixed: the old error is gone

        await fill(pilot, "headers", "Broken header")
        await fill(pilot, "base-url", "ftp://nope")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: error(form, "headers").has_class("-shown"))
        assert error(form, "base-url").has_class("-shown")
        assert app.focused is form.query_one("#base-url", Input)  # the first field to fix
        await fill(pilot, "headers", "X-Team: blue")
        assert not error(form, "headers").has_class("-shown")
        assert error(form, "base-url").has_class("-shown")  # not fixed yet: still said


async def test_the_test_stops_at_the_first_token_and_shows_one_line(fake_server: Any) -> None:
    # A server that ignores max_tokens and, after its first word, goes quiet for an hour.
    server: FakeLLMServer = fake_server(reply=LONG_REPLY, stall_after=1)
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#key-source", Select).value = "none"
        await fill(pilot, "base-url", server.openai_base_url)
        await fill(pilot, "models", "fake-small")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: "Test passed." in results(form))
        shown = results(form)
        answer = next(line for line in shown.splitlines() if "answer" in line)
        assert answer.startswith("✓ answer") and answer.endswith("(OK)")
        assert "very long story" not in shown
        assert server.chat_requests[-1].json["max_tokens"] == 1


async def test_a_step_that_did_not_run_is_shown_as_skipped_not_passed(fake_server: Any) -> None:
    server: FakeLLMServer = fake_server(model_list=None)  # no list, so no model to ask
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#key-source", Select).value = "none"
        await fill(pilot, "base-url", server.openai_base_url)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: "Test passed" in results(form))
        shown = results(form)
        assert "✓ answer" not in shown
        assert "– answer  skipped:  No default model set" in shown
        assert "Test passed (answer skipped)." in shown
        assert server.chat_requests == []


async def test_models_the_test_found_are_offered_and_saved_with_the_connection(
    fake_server: Any,
) -> None:
    server: FakeLLMServer = fake_server()
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#key-source", Select).value = "none"
        await fill(pilot, "base-url", server.openai_base_url)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: "Test passed" in results(form))
        assert "2 models found: added to Models." in results(form)
        assert form.query_one("#models", Input).value == "fake-small, fake-large"
        assert form.discovered == ["fake-small", "fake-large"]
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.results == ["box"]
    (connection,) = load_config().connections
    assert connection.model_ids == ["fake-small", "fake-large"]
