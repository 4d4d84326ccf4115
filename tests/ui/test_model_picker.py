"""The model picker: filter, pick across connections, favourites, typed ids, and 5,000 models."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.app import App
from textual.scrollbar import ScrollBar
from textual.widget import Widget
from textual.widgets import Input, Static

from craft_tui.config import paths, state
from craft_tui.config.schema import Config, Connection, ModelEntry
from craft_tui.config.store import load_config, update_config
from craft_tui.ui.screens import model_picker
from craft_tui.ui.screens.model_picker import (
    ModelChoice,
    ModelPickerScreen,
    PickerEntry,
    load_recent,
)
from craft_tui.ui.widgets.model_rows import ListScrollBar, ModelRows
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import wait_until
from tests.waiting import HANG_GUARD, until


class Host(App[None]):
    def __init__(self, screen: ModelPickerScreen) -> None:
        super().__init__()
        self.picker = screen
        self.results: list[ModelChoice | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.picker, self.results.append)


def setup_connections() -> None:
    def change(config: Config) -> None:
        config.connections = [
            Connection(
                slug="openrouter",
                name="OpenRouter",
                protocol="openai",
                base_url="https://openrouter.ai/api/v1",
                models=[
                    ModelEntry(id="anthropic/claude-sonnet-4", context_window=200_000),
                    ModelEntry(id="openai/gpt-5", context_window=400_000),
                ],
            ),
            Connection(
                slug="local",
                name="Ollama",
                protocol="openai",
                base_url="http://localhost:11434/v1",
                models=[ModelEntry(id="llama3.2:latest"), ModelEntry(id="qwen3:8b")],
            ),
        ]
        config.settings.default_connection = "openrouter"

    update_config(change)


def rows_of(app: Host) -> ModelRows:
    return app.screen.query_one("#picker-list", ModelRows)


def shown(app: Host) -> list[str]:
    rows = rows_of(app)
    return [str(rows.row(n)) for n in range(rows.count)]


def highlighted(app: Host) -> str:
    rows = rows_of(app)
    assert rows.highlighted is not None
    return str(rows.row(rows.highlighted))


def screen_text(app: Host) -> str:
    """What the terminal shows: every line of the screen as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


CURRENT = ModelChoice("openrouter", "anthropic/claude-sonnet-4")


async def test_filters_and_returns_a_model_of_another_connection() -> None:
    setup_connections()
    app = Host(ModelPickerScreen(CURRENT, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        rows = shown(app)
        assert len(rows) == 4
        assert "● anthropic/claude-sonnet-4" in rows[0] and "200K" in rows[0]
        assert "$3/$15" in rows[0]  # the built-in price for a known model
        assert "local" in rows[2]  # a local server costs nothing
        await pilot.press(*"qwen")
        rows = shown(app)
        assert "qwen3:8b" in rows[0] and "Ollama" in rows[0]
        assert not any("claude" in row for row in rows)
        config_before = paths.config_file().read_bytes()
        await pilot.press("enter")
        await wait_until(pilot, lambda: load_recent()[:1] == ["local/qwen3:8b"])
    assert app.results == [ModelChoice("local", "qwen3:8b")]
    assert paths.config_file().read_bytes() == config_before  # a pick is not configuration


async def test_arrow_keys_move_through_the_list_from_the_filter() -> None:
    setup_connections()
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "down", "up", "down", "enter")
    assert app.results == [ModelChoice("local", "llama3.2:latest")]


async def test_typing_an_unknown_id_uses_it_on_the_current_connection_and_remembers_it() -> None:
    setup_connections()
    app = Host(ModelPickerScreen(ModelChoice("local", "qwen3:8b"), recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"mistral-nemo:12b")
        rows = shown(app)
        assert rows[-1] == "+ use mistral-nemo:12b as a model id on Ollama"
        await pilot.press("enter")
    assert app.results == [ModelChoice("local", "mistral-nemo:12b")]
    assert load_config().find("local").model_ids[-1] == "mistral-nemo:12b"  # type: ignore[union-attr]


async def test_favourites_and_recent_models_come_first() -> None:
    setup_connections()
    app = Host(ModelPickerScreen(None, recent=["local/qwen3:8b"], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        assert "qwen3:8b" in shown(app)[0]  # recently used on top
        await pilot.press("down", "down")  # openai/gpt-5
        assert "openai/gpt-5" in highlighted(app)
        config_before = paths.config_file().read_bytes()
        await pilot.press("ctrl+f")
        rows = shown(app)
        assert rows[0].startswith("★") and "openai/gpt-5" in rows[0]
        assert "qwen3:8b" in rows[1]
        await wait_until(pilot, lambda: state.favourite_models() == ["openrouter/openai/gpt-5"])
        await pilot.press("escape")
    assert app.results == [None]
    # A favourite is runtime state (state.json): config.toml is not written for it.
    assert paths.config_file().read_bytes() == config_before
    assert load_config().settings.favourite_models == []
    again = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with again.run_test(size=(100, 30)):
        rows = shown(again)
        assert rows[0].startswith("★") and "openai/gpt-5" in rows[0]  # remembered


async def test_the_current_model_is_highlighted_when_the_picker_opens() -> None:
    setup_connections()
    app = Host(
        ModelPickerScreen(ModelChoice("local", "llama3.2:latest"), recent=[], refresh_lists=False)
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
    assert app.results == [ModelChoice("local", "llama3.2:latest")]


def many_entries(count: int = 5000) -> list[PickerEntry]:
    return [
        PickerEntry("big", "Big", f"vendor{n % 50}/model-{n:04d}", context_window=8192)
        for n in range(count)
    ]


async def test_five_thousand_models_are_all_listed_and_filter() -> None:
    app = Host(ModelPickerScreen(None, entries=many_entries(), recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        assert rows_of(app).count == 5000
        status = str(app.screen.query_one("#picker-status", Static).render())
        assert "5,000 of 5,000 models" in status
        await pilot.press(*"model-4999")
        assert "vendor49/model-4999" in shown(app)[0]
        assert "vendor49/model-4999" in screen_text(app)
        await pilot.press("enter")
    assert app.results == [ModelChoice("big", "vendor49/model-4999")]


async def test_keys_reach_every_match_and_the_list_scrolls_to_the_highlight() -> None:
    app = Host(ModelPickerScreen(None, entries=many_entries(), recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"model-1")
        await pilot.pause()
        count = rows_of(app).count
        assert count > 1000  # model-1000 .. model-1999 and scattered matches
        page = rows_of(app).scrollable_content_region.height
        await pilot.press("pagedown", "pagedown", "down")
        assert rows_of(app).highlighted == 2 * page + 1
        await pilot.pause()
        assert highlighted(app).split()[0] in screen_text(app)  # scrolled into view
        await pilot.press("tab", "end")  # on the list, End goes to the last of all matches
        await pilot.pause()
        last = highlighted(app).split()[0]
        assert rows_of(app).highlighted == count - 1 and last in screen_text(app)
        await pilot.press("pageup", "home")
        assert rows_of(app).highlighted == 0
        await pilot.press("end", "enter")
    assert app.results == [ModelChoice("big", last)]


async def test_the_current_model_far_down_the_list_is_on_screen_when_it_opens() -> None:
    current = ModelChoice("big", "vendor0/model-4000")
    app = Host(ModelPickerScreen(current, entries=many_entries(), recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "● vendor0/model-4000" in screen_text(app)
        await pilot.press("enter")
    assert app.results == [current]


async def test_a_background_refresh_adds_models_without_losing_the_query() -> None:
    setup_connections()
    release = asyncio.Event()

    async def loader() -> list[PickerEntry]:
        await release.wait()
        return [
            PickerEntry("openrouter", "OpenRouter", "google/gemini-2.5-pro", 1_048_576, 1.25, 10)
        ]

    app = Host(ModelPickerScreen(None, loader=loader, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"gem")
        assert not any("gemini" in row for row in shown(app))
        release.set()
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one("#picker-query", Input).value == "gem"
        row = shown(app)[0]
        assert "google/gemini-2.5-pro" in row and "1M" in row and "$1.25/$10" in row


async def test_a_refresh_that_lands_after_the_pick_leaves_the_app_running() -> None:
    """Seen in tmux under load: a model list arrived just after Enter had picked a model; the
    refresh went on against the closed picker, and the app quit with "unexpected error"."""
    setup_connections()
    asked = asyncio.Event()

    async def loader() -> list[PickerEntry]:
        asked.set()
        # The list arrives while the closing picker is being taken apart: its rows are gone,
        # the screen itself (and with it this worker) not yet.
        await until(lambda: not picker.query("#picker-list"), "the rows removed")
        return [PickerEntry("openrouter", "OpenRouter", "google/gemini-2.5-pro", None, None, None)]

    picker = ModelPickerScreen(None, loader=loader, recent=[], refresh_lists=False)
    app = Host(picker)
    async with app.run_test(size=(100, 30)) as pilot:
        await asked.wait()
        await pilot.press("enter")  # the highlighted model is picked: the picker closes
        await until(lambda: app.results != [] and app.screen is not picker)
        await until(lambda: not picker.is_attached, "the picker gone")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert [w for w in picker.workers if w.error is not None] == []
    assert app.results == [ModelChoice("openrouter", "anthropic/claude-sonnet-4")]


async def test_stale_lists_refresh_in_the_background_from_the_server(
    fake_server,
) -> None:
    server: FakeLLMServer = fake_server(model_list="openrouter")

    def change(config: Config) -> None:
        config.connections = [
            Connection(
                slug="fake",
                name="Fake",
                protocol="openai",
                auth={"type": "none"},
                base_url=server.openai_base_url,
                models=[ModelEntry(id="typed-by-hand")],
            )
        ]

    update_config(change)
    app = Host(ModelPickerScreen(None, recent=[]))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        rows = shown(app)
        assert any("typed-by-hand" in row for row in rows)
        large = next(row for row in rows if "fake-large" in row)
        assert "128K" in large  # the context length comes from the server's list
        # a server on this machine that lists prices charges them (`craft-tui models` agrees)
        assert large.rstrip().endswith("$3/$15")
        await pilot.press(*"large", "enter")
    assert app.results == [ModelChoice("fake", "fake-large")]
    assert any(r.path.endswith("/models") for r in server.requests)


async def test_without_connections_it_says_where_to_add_one() -> None:
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        status = str(app.screen.query_one("#picker-status", Static).render())
        assert status == "No connections yet: add one in the connections screen (ctrl+g)."
        await pilot.press(*"gpt-4o", "enter")  # nothing to attach a typed id to: stays open
        assert isinstance(app.screen, ModelPickerScreen)


async def test_a_space_after_the_query_keeps_the_model_the_user_moved_to() -> None:
    setup_connections()
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"o", "down", "down")
        before = shown(app)
        await pilot.press("space")  # the query is still "o": same list, same highlighted row
        assert shown(app) == before
        await pilot.press("enter")
    # OpenRouter's two rows, then Ollama's (one connection's rows stay together)
    assert app.results == [ModelChoice("local", "qwen3:8b")]


async def test_clicking_a_row_picks_that_model() -> None:
    setup_connections()
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        rows = shown(app)
        assert "openai/gpt-5" in rows[1]
        await pilot.click("#picker-list", offset=(10, 1))  # the second row
    assert app.results == [ModelChoice("openrouter", "openai/gpt-5")]


async def test_the_list_follows_the_query_within_the_keystroke() -> None:
    setup_connections()
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)):
        app.screen.query_one("#picker-query", Input).value = "qwen"
        # no message processed yet: the rows were rebuilt as the text changed, so the frame that
        # shows the new text shows its matches too (not one frame later)
        rows = shown(app)
        assert "qwen3:8b" in rows[0] and not any("claude" in row for row in rows)


async def test_a_query_longer_than_the_field_shows_its_end() -> None:
    setup_connections()
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(60, 30)) as pilot:
        typed = "x" * 70 + "-the-end"
        await pilot.press(*typed)
        await pilot.pause()
        assert app.screen.query_one("#picker-query", Input).value == typed
        assert "x-the-end" in screen_text(app)


async def test_the_scrollbar_draws_what_textual_draws() -> None:
    app = Host(ModelPickerScreen(None, entries=many_entries(), recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        for keys in ((), ("pagedown",) * 40, ("end",)):
            await pilot.press(*keys)
            await pilot.pause()
            bar = rows_of(app).vertical_scrollbar
            assert isinstance(bar, ListScrollBar) and bar.display
            region = bar.size.region
            ours = bar.render_lines(region)
            textual = [ScrollBar.render_line(bar, y) for y in range(region.height)]
            assert [list(line) for line in ours] == [list(line) for line in textual]
            assert any(segment.style and segment.style.reverse for segment in ours[0]) == (
                keys == ()
            )  # the thumb is at the top only before moving


async def test_the_list_draws_its_rows_as_textuals_line_pipeline_would() -> None:
    """The list skips Textual's per-line pipeline (padding, filters) for speed: same lines,
    unfocused and focused, after moving and scrolling, including the blank rows past the end."""
    app = Host(ModelPickerScreen(None, entries=many_entries(), recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        rows = rows_of(app)

        def both() -> tuple[list[list[object]], list[list[object]]]:
            region = rows.size.region
            ours = rows.render_lines(region)
            rows._styles_cache.clear()
            textual = Widget.render_lines(rows, region)
            return [list(line) for line in ours], [list(line) for line in textual]

        for keys in ((), ("down", "pagedown"), (*"model-4999",), ("tab", "down")):
            await pilot.press(*keys)
            await pilot.pause()
            ours, textual = both()
            assert ours == textual, keys
        assert rows.has_focus
        assert rows.count < rows.size.height  # blank rows below the matches were compared too


async def test_the_row_under_the_mouse_is_marked() -> None:
    setup_connections()
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        rows = rows_of(app)

        def background(y: int) -> object:
            line = rows.render_lines(rows.size.region)[y]
            return [segment.style.bgcolor for segment in line if segment.style][2]

        plain = background(2)
        await pilot.hover("#picker-list", offset=(10, 2))
        await pilot.pause()
        hovered = background(2)
        assert hovered != plain and background(3) == plain
        assert background(0) not in {plain, hovered}  # the highlighted row keeps its own look
        await pilot.hover("#picker-title")
        await pilot.pause()
        assert background(2) == plain


def setup_four_connections() -> None:
    """A proxy whose model ids name other services, Groq, OpenRouter and a local Ollama."""

    def connection(slug: str, name: str, *models: str) -> Connection:
        return Connection(
            slug=slug,
            name=name,
            protocol="openai",
            auth={"type": "none"},
            base_url=f"http://127.0.0.1:9/{slug}/v1",
            models=[ModelEntry(id=model) for model in models],
        )

    def change(config: Config) -> None:
        config.connections = [
            connection(
                "litellm",
                "LiteLLM Proxy",
                "groq/llama-3.3-70b-versatile",
                "ollama/llama3.2",
                "local/qwen3-coder",
            ),
            connection("groq", "Groq", "llama-3.3-70b-versatile", "llama-3.1-8b-instant"),
            connection("openrouter", "OpenRouter", "meta-llama/llama-3.3-70b-instruct"),
            connection("ollama", "Local Ollama", "llama3.2:latest", "llama3.1:8b", "qwen3:8b"),
        ]

    update_config(change)


def listed(app: Host) -> list[tuple[str, str]]:
    """(model id, connection) of every row, top to bottom, as the user reads them."""
    result = []
    for row in shown(app):
        if row.startswith("+ "):  # the offer to use the query as a model id
            continue
        model, rest = row[3:].split("  ", 1)
        result.append((model.strip(), rest.strip().split("  ")[0]))
    return result


async def test_a_connections_name_typed_first_puts_its_models_first() -> None:
    setup_four_connections()
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press(*"groq llama")
        assert listed(app) == [
            ("llama-3.1-8b-instant", "Groq"),
            ("llama-3.3-70b-versatile", "Groq"),
            ("groq/llama-3.3-70b-versatile", "LiteLLM Proxy"),  # still listed, after Groq's
        ]
        query = app.screen.query_one("#picker-query", Input)
        query.value = "gr llama"  # the start of the name is enough
        assert listed(app)[:2] == [
            ("llama-3.1-8b-instant", "Groq"),
            ("llama-3.3-70b-versatile", "Groq"),
        ]
        query.value = "local"  # a connection's first word, even for a model without it
        assert listed(app) == [
            ("qwen3:8b", "Local Ollama"),
            ("llama3.1:8b", "Local Ollama"),
            ("llama3.2:latest", "Local Ollama"),
            ("local/qwen3-coder", "LiteLLM Proxy"),
        ]
        query.value = "ollama"  # and a later word of it
        assert [connection for _, connection in listed(app)][:3] == ["Local Ollama"] * 3
        assert listed(app)[3] == ("ollama/llama3.2", "LiteLLM Proxy")
        await pilot.press("enter")
    assert app.results == [ModelChoice("ollama", "qwen3:8b")]


async def test_rows_of_one_connection_stay_together_among_equal_matches() -> None:
    setup_four_connections()
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press(*"llama")
        # Model ids starting with "llama" first (Groq's, then Ollama's: config order), then those
        # with "llama" later in the id (the proxy's, then OpenRouter's), never interleaved.
        assert listed(app) == [
            ("llama-3.1-8b-instant", "Groq"),
            ("llama-3.3-70b-versatile", "Groq"),
            ("llama3.1:8b", "Local Ollama"),
            ("llama3.2:latest", "Local Ollama"),
            ("groq/llama-3.3-70b-versatile", "LiteLLM Proxy"),
            ("ollama/llama3.2", "LiteLLM Proxy"),
            ("meta-llama/llama-3.3-70b-instruct", "OpenRouter"),
            ("qwen3:8b", "Local Ollama"),  # "llama" scattered over its connection's name
        ]


def row_count(app: Host) -> int:
    """How many rows the picker on screen lists; -1 while its list is not mounted yet."""
    found = app.screen.query("#picker-list")
    return found.first(ModelRows).count if found else -1


def record_writes(
    monkeypatch: pytest.MonkeyPatch, name: str, hold_first: threading.Event | None = None
) -> list[str]:
    """Wrap `state.name`: each call records its thread's name (after it is done); the first call
    waits for `hold_first` (a slow disk) when given."""
    done: list[str] = []
    real: Callable[..., Any] = getattr(state, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        if hold_first is not None and not done:
            assert hold_first.wait(HANG_GUARD)
        result = real(*args, **kwargs)
        done.append(threading.current_thread().name)
        return result

    monkeypatch.setattr(state, name, recorded)
    return done


async def test_stars_are_written_off_the_ui_loop_in_the_order_pressed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup_connections()
    slow_disk = threading.Event()
    writes = record_writes(monkeypatch, "toggle_favourite", hold_first=slow_disk)
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: row_count(app) == 4)
        await pilot.press("ctrl+f")  # anthropic/claude-sonnet-4: its write waits for the disk
        assert shown(app)[0].startswith("★")  # the screen does not wait for it
        await pilot.press("down", "ctrl+f")  # openai/gpt-5, pressed last: it ends up first
        rows = shown(app)
        assert rows[0].startswith("★") and "openai/gpt-5" in rows[0]
        slow_disk.set()
        await wait_until(pilot, lambda: len(writes) == 2)
        assert threading.current_thread().name not in writes
        assert state.favourite_models() == [
            "openrouter/openai/gpt-5",
            "openrouter/anthropic/claude-sonnet-4",
        ]


async def test_a_star_is_there_when_the_picker_is_opened_again_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup_connections()
    slow_disk = threading.Event()
    writes = record_writes(monkeypatch, "toggle_favourite", hold_first=slow_disk)
    reads = record_writes(monkeypatch, "favourite_models")  # the pickers' reads, once done
    # The second picker asks for its read while the star is still being written: the disk is
    # released once that read is queued (or, were reads not queued behind writes, once done).
    asked: list[bool] = []
    queue = getattr(model_picker, "_in_state_thread", None)

    async def queued(call: Callable[[], Any]) -> Any:
        asked.append(True)
        assert queue is not None
        return await queue(call)

    monkeypatch.setattr(model_picker, "_in_state_thread", queued, raising=False)
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: row_count(app) == 4)
        await pilot.press("down", "ctrl+f", "escape")  # openai/gpt-5, still being written
        asked.clear()
        opened = len(reads)
        again = ModelPickerScreen(None, recent=[], refresh_lists=False)
        app.push_screen(again, app.results.append)
        # (not `wait_until`: a pilot's pause waits for the picker's mount, which waits for the read)
        await until(lambda: bool(asked) or len(reads) > opened, "the second picker's read")
        slow_disk.set()
        await wait_until(pilot, lambda: row_count(app) == 4)
        rows = shown(app)
        assert rows[0].startswith("★") and "openai/gpt-5" in rows[0]  # read after the write
        assert writes and threading.current_thread().name not in writes


async def test_picks_are_remembered_off_the_loop_and_a_failed_write_is_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup_connections()
    writes = record_writes(monkeypatch, "add_recent_model")
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: row_count(app) == 4)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: len(writes) == 1)
        assert threading.current_thread().name not in writes
        assert load_recent() == ["openrouter/openai/gpt-5"]

        def full_disk(*args: object, **kwargs: object) -> list[str]:
            raise OSError("No space left on [b]disk[/b]\x1b[2J")

        monkeypatch.setattr(state, "add_recent_model", full_disk)
        monkeypatch.setattr(state, "toggle_favourite", full_disk)
        again = ModelPickerScreen(None, refresh_lists=False)  # the recent pick first
        app.push_screen(again, app.results.append)
        await wait_until(pilot, lambda: app.screen is again and row_count(app) == 4)
        await pilot.press("ctrl+f")
        assert shown(app)[0].startswith("★")  # the star stays on screen
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app._notifications) == 2)
        messages = [str(n.message) for n in app._notifications]
        assert all(n.markup is False for n in app._notifications)
        assert messages[0].startswith("The favourite openrouter/openai/gpt-5 could not be saved")
        assert messages[1].startswith(
            "Using openai/gpt-5, but it could not be kept among the recent models"
        )
        assert all("[b]disk[/b]" in m and "\x1b" not in m for m in messages)  # disarmed, literal
    # the pick is made all the same
    assert app.results == [
        ModelChoice("openrouter", "openai/gpt-5"),
        ModelChoice("openrouter", "openai/gpt-5"),
    ]


async def test_models_whose_listing_says_they_call_tools_are_marked(fake_server) -> None:
    """OpenRouter's list says which models take tools (`supported_parameters`): those rows carry
    the tools mark; a model that refused tools in this process loses it."""
    from craft_tui.chat.tool_loop import forget_tool_refusals, note_tools_refused
    from craft_tui.providers.errors import ErrorKind, ProviderError
    from tests.servers.catalog import FakeModel

    models = [
        FakeModel("caller", "Caller", 8192, 1.0, 2.0, tools=True),
        FakeModel("talker", "Talker", 8192, 1.0, 2.0, tools=False),
    ]
    server: FakeLLMServer = fake_server(model_list="openrouter", models=models)

    def change(config: Config) -> None:
        config.connections = [
            Connection(
                slug="fake",
                name="Fake",
                protocol="openai",
                auth={"type": "none"},
                base_url=server.openai_base_url,
                models=[ModelEntry(id="typed-by-hand")],
            )
        ]

    update_config(change)

    def row_of(app: Host, model_id: str) -> str:
        return next(row for row in shown(app) if f" {model_id} " in row)

    app = Host(ModelPickerScreen(None, recent=[]))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert f"{model_picker.TOOLS_MARK} Fake" in row_of(app, "caller")
        assert model_picker.TOOLS_MARK not in row_of(app, "talker")
        assert model_picker.TOOLS_MARK not in row_of(app, "typed-by-hand")  # nobody said
        status = str(app.screen.query_one("#picker-status", Static).render())
        assert f"{model_picker.TOOLS_MARK} tools" in status
    try:
        note_tools_refused(ProviderError(ErrorKind.TOOLS_UNSUPPORTED, "no"), "fake", "caller")
        again = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
        async with again.run_test(size=(100, 30)) as pilot:
            await again.screen.workers.wait_for_complete()
            await pilot.pause()
            assert model_picker.TOOLS_MARK not in row_of(again, "caller")
    finally:
        forget_tool_refusals()
