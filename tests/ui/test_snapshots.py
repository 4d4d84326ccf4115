"""SVG snapshots of the chat screen a person looks at, at 80×24 and 120×40.

Deterministic by construction: the fake server's port never appears (labels show the connection
name), the app's clock is frozen, and the measured speed figures are pinned before the shot."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot

from craft_tui.workspace.core import Workspace
from tests.ui.chat_helpers import (
    answered,
    last_answer,
    make_app,
    ready,
    screen_at_rest,
    send,
    wait_until,
)

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

RICH_ANSWER = """## Sorting in Python

Use `sorted()` for a new list, or `.sort()` in place:

```python
def by_length(words: list[str]) -> list[str]:
    return sorted(words, key=len)
```

| method | returns | stable |
|--------|---------|--------|
| `sorted()` | new list | yes |
| `.sort()` | `None` | yes |

- both accept `key=` and `reverse=`
- **Tip:** use `operator.itemgetter` for tuples
"""


@pytest.fixture(autouse=True)
def pinned_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time to first token and tokens/s are real measurements: pin them so shots are stable."""
    original = Workspace.status_figures

    def pinned(self: Workspace, session: Any) -> Any:
        info = original(self, session)
        if info.ttft_s is None:
            return info
        return replace(info, ttft_s=0.42, tokens_per_s=57.3)

    monkeypatch.setattr(Workspace, "status_figures", pinned)


@pytest.mark.parametrize("size", SIZES)
def test_empty_chat(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server())

    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_streamed_answer_with_code_and_table(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(reply=RICH_ANSWER, chunk_size=9))

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await send(pilot, "How do I sort a list by length?")
        await answered(pilot, chat)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_reasoning_block_expanded(snap_compare, fake_server, size) -> None:
    server = fake_server(
        reply="It is **4**.",
        reasoning="The user asks for 2 + 2. Adding two and two gives four.",
    )
    app = make_app(server)

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await send(pilot, "What is 2 + 2?")
        answer = await answered(pilot, chat)
        answer._reasoning.collapsed = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_rate_limit_error_inline(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(protocol="anthropic", error="anthropic_429"))

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await send(pilot, "Hello")
        await answered(pilot, chat)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_stopped_answer(snap_compare, fake_server, size) -> None:
    server = fake_server(
        reply="Once upon a time there was a very long story that never ended", stall_after=6
    )
    app = make_app(server)

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await send(pilot, "Tell me a story")
        await wait_until(pilot, lambda: "there" in last_answer(chat).text)
        await pilot.press("escape")
        await answered(pilot, chat)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


LOADED_ANSWER = """### Reading a file

Open it with a context manager, so it is closed even on an error:

```python
with open("notes.txt") as f:
    text = f.read()
```

1. `read()` gives the whole text
2. iterate over `f` for one line at a time
   - lines keep their `\\n`

> On a server, check the encoding with `file -i notes.txt` first.

More in the [docs](https://docs.python.org/3/tutorial/inputoutput.html).
"""


@pytest.mark.parametrize("size", SIZES)
def test_reopened_conversation(snap_compare, fake_server, size) -> None:
    """A conversation opened from the history: its answers are drawn as lines without mounting
    their widgets (the one with a table mounts them), and must look as a streamed one does."""
    from craft_tui.chat.history import HistoryStore
    from craft_tui.config import paths

    app = make_app(fake_server())
    store = HistoryStore.open(paths.history_file())
    conversation = store.create_conversation(connection_slug="fake", model="fake-model")
    parent = None
    for question, answer in [
        ("Hello?", "Hello! How can I help?"),
        ("What is Python?", "A programming language."),
        ("How do I sort a list by length?", RICH_ANSWER),
        ("And how do I read a file?", LOADED_ANSWER),
    ]:  # longer than the first window: its answers are drawn as lines
        prompt = store.add_message(conversation.id, parent_id=parent, role="user", text=question)
        reply = store.add_message(
            conversation.id,
            parent_id=prompt.id,
            role="assistant",
            connection_slug="fake",
            model="fake-model",
            text=answer,
        )
        store.finish_message(reply.id, finish_reason="stop")
        parent = reply.id
    store.close()

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await ready(pilot)

        def opened() -> bool:
            shown = chat.transcript.views()
            return bool(shown) and shown[-1].text == LOADED_ANSWER

        await wait_until(pilot, opened)
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
