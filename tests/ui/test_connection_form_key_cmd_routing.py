"""The connection form (issue 19): a key printed by a command, and provider routing for
OpenRouter / Vercel AI Gateway, driven with a pilot and checked in config.toml and on the wire."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Collapsible, Input, Select, Static

from craft_tui.config import paths
from craft_tui.config.schema import Connection, Routing, make_auth
from craft_tui.config.store import load_config
from craft_tui.ui.screens.connection_form import ConnectionFormScreen
from tests.config.key_tool import tool_command
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import wait_until
from tests.ui.test_connections import Host, add_connection, fill, idle

KEY = "sk-test-form-command-key-0123"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(require_key=KEY, reply="OK") as fake:
        yield fake


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    folder = tmp_path / "tools"
    folder.mkdir()
    return folder


def written() -> dict[str, object]:
    return tomllib.loads(paths.config_file().read_text(encoding="utf-8"))


async def start_custom(pilot, form: ConnectionFormScreen, server: FakeLLMServer) -> None:  # type: ignore[no-untyped-def]
    form.query_one("#preset", Select).value = "custom-openai"
    await pilot.pause()
    await fill(pilot, "name", "Box")
    await fill(pilot, "base-url", server.openai_base_url)
    await fill(pilot, "models", "fake-small")
    form.query_one("#key-source", Select).value = "command"
    await pilot.pause()


async def test_a_key_command_is_saved_as_the_command_and_tested_with_its_key(
    server: FakeLLMServer, tools: Path
) -> None:
    (tools / "entry").write_text(KEY + "\n")
    command = tool_command(tools, key_file=tools / "entry")
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 44)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await start_custom(pilot, form, server)
        assert form.query_one("#row-cmd").display and not form.query_one("#row-key").display
        await fill(pilot, "key-cmd", command)
        await pilot.press("ctrl+t")
        results = form.query_one("#results", Static)
        await wait_until(pilot, lambda: "Test passed" in str(results.render()))
        assert server.chat_requests[-1].headers["authorization"] == f"Bearer {KEY}"
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.results == ["box"]
    auth = written()["connections"][0]["auth"]  # type: ignore[index]
    assert auth == {"type": "api_key", "api_key_cmd": command}
    assert KEY not in paths.config_file().read_text()
    assert not paths.credentials_file().exists()


async def test_a_slow_key_command_leaves_the_form_answering_keys(
    server: FakeLLMServer, tools: Path
) -> None:
    (tools / "entry").write_text(KEY + "\n")
    started, release = tools / "started", tools / "release"
    command = tool_command(tools, key_file=tools / "entry", started=started, wait_for=release)
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 44)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await start_custom(pilot, form, server)
        await fill(pilot, "key-cmd", command)
        await pilot.press("ctrl+t")
        await wait_until(pilot, started.exists)
        name = form.query_one("#name", Input)
        name.focus()
        await pilot.press("end", *" GPU")  # typed while the command still runs
        await wait_until(pilot, lambda: name.value == "Box GPU")
        assert not server.chat_requests  # the test is still waiting for its key
        release.write_text("go")
        results = form.query_one("#results", Static)
        await wait_until(pilot, lambda: "Test passed" in str(results.render()))


async def test_a_key_command_that_cannot_be_read_is_refused_under_its_field(
    server: FakeLLMServer,
) -> None:
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 44)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await start_custom(pilot, form, server)
        await fill(pilot, "key-cmd", "pass show 'openrouter")
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(form.query_one("#error-key-cmd", Static).render())
        assert "cannot be split into words (No closing quotation)" in error
        assert form.focused is form.query_one("#key-cmd", Input)
        assert app.results == []


def openrouter(**fields: object) -> Connection:
    return Connection(
        slug="router",
        name="Router",
        protocol="openai",
        preset="openrouter",
        base_url="https://openrouter.ai/api/v1",
        auth=make_auth("api_key", "OPENROUTER_API_KEY"),
        models=[{"id": "anthropic/claude-sonnet-4"}],  # type: ignore[list-item]
        **fields,  # type: ignore[arg-type]
    )


async def test_openrouter_routing_set_in_the_form_is_written_and_read_back() -> None:
    add_connection(openrouter())
    app = Host(lambda: ConnectionFormScreen(load_config().connections[0]))
    async with app.run_test(size=(100, 44)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await idle(pilot)
        form.query_one("#advanced", Collapsible).collapsed = False
        await pilot.pause()
        assert form.query_one("#routing").display
        assert form.query_one("#routing-openrouter").display
        await fill(pilot, "routing-order", "anthropic, amazon-bedrock")
        form.query_one("#routing-fallbacks", Select).value = "no"
        form.query_one("#routing-data", Select).value = "deny"
        form.query_one("#routing-zdr", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.results == ["router"]
    expected = Routing(
        order=["anthropic", "amazon-bedrock"],
        allow_fallbacks=False,
        data_collection="deny",
        zdr=True,
    )
    assert load_config().connections[0].routing == expected
    assert written()["connections"][0]["routing"] == {  # type: ignore[index]
        "order": ["anthropic", "amazon-bedrock"],
        "allow_fallbacks": False,
        "data_collection": "deny",
        "zdr": True,
    }


async def test_routing_is_offered_only_where_it_is_sent() -> None:
    add_connection(openrouter(routing=Routing(order=["anthropic"])))
    app = Host(lambda: ConnectionFormScreen(load_config().connections[0]))
    async with app.run_test(size=(100, 44)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await idle(pilot)
        assert str(form.query_one("#advanced", Collapsible).title) == "Advanced (set: routing)"
        assert form.query_one("#routing-order", Input).value == "anthropic"
        await fill(pilot, "base-url", "https://ai-gateway.vercel.sh/v1")
        assert form.query_one("#routing").display
        assert not form.query_one("#routing-openrouter").display  # Vercel: order and only
        await fill(pilot, "base-url", "http://127.0.0.1:8080/v1")
        assert not form.query_one("#routing").display
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.results == ["router"]
    # a server that is sent no routing keeps none in the file
    assert load_config().connections[0].routing is None
    assert "routing" not in written()["connections"][0]  # type: ignore[index]


async def test_the_advanced_title_names_routing_only_where_it_is_offered() -> None:
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 44)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        form.query_one("#preset", Select).value = "custom-openai"
        await idle(pilot)

        def title() -> str:
            return str(form.query_one("#advanced", Collapsible).title)

        await fill(pilot, "base-url", "http://127.0.0.1:8080/v1")
        await wait_until(pilot, lambda: title().endswith("system prompt"))
        await fill(pilot, "base-url", "https://openrouter.ai/api/v1")
        await wait_until(pilot, lambda: title().endswith("system prompt, routing"))
        await fill(pilot, "base-url", "http://127.0.0.1:8080/v1")
        await wait_until(pilot, lambda: title().endswith("system prompt"))
