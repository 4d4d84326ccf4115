"""Attachments in the transcript (issue 19): under a sent prompt's text, one line per attached
file — name, media type, size, and for an image the pixels that were sent (after the app scaled
it to the provider's limits) — live, and the same after the conversation is reopened, the
dimensions then coming from the stored part rows, not from the images' bytes: those are read
only for the previews of the messages mounted (tests/ui/test_image_preview.py), one image per
read, in a worker. File names are outside text: shown as they are, never as markup or controls."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from textual.pilot import Pilot

from craft_tui.chat import attachments as att
from craft_tui.chat.history import HistoryStore
from craft_tui.config import paths
from craft_tui.providers.content import AttachmentPart, TextPart
from craft_tui.ui.widgets.image_preview import ImagePreview
from craft_tui.ui.widgets.messages import UserMessageView
from tests.ui.chat_helpers import (
    answered,
    make_app,
    ready,
    screen_at_rest,
    screen_text,
    views,
    wait_until,
)
from tests.ui.test_attachments import attach_with_key


@pytest.fixture(autouse=True)
def _nothing_remembered() -> Any:
    att._DIMENSIONS.clear()  # what a new process knows: nothing
    yield
    att._DIMENSIONS.clear()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "pictures"
    folder.mkdir()
    Image.new("RGB", (3000, 1500), (40, 40, 200)).save(folder / "panorama.png")
    (folder / "notes.md").write_text("# notes\n", encoding="utf-8")
    return folder


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every call for attachments' bytes from the history (a request, an export)."""
    calls: list[list[str]] = []
    real = HistoryStore.attachment_data

    def counted(self: HistoryStore, ids: Any) -> dict[str, bytes]:
        wanted = list(ids)
        calls.append(wanted)
        return real(self, wanted)

    monkeypatch.setattr(HistoryStore, "attachment_data", counted)
    return calls


def attachment_lines(view: UserMessageView) -> list[str]:
    return [str(line.render()) for line in view.query(".user-attachment")]


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


async def test_a_sent_prompt_lists_its_files_live_and_after_reopening(
    fake_server: Any, files: Path, bytes_read: list[list[str]]
) -> None:
    server = fake_server(reply="Noted.")
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await attach_with_key(pilot, chat, str(files / "panorama.png"))
        await attach_with_key(pilot, chat, str(files / "notes.md"))
        chat.prompt.insert("Compare them")
        await pilot.press("enter")
        await answered(pilot, chat)
        sent = server.chat_requests[0].json["messages"][-1]["content"][1]["image_url"]["url"]
        user = views(chat)[0]
        assert isinstance(user, UserMessageView)
        size = att.size_label(len(base64.b64decode(sent.split(",", 1)[1])))
        live = [
            f"📎 panorama.png · image/png · {size} · 2048×1024",
            "📎 notes.md · text/markdown · 8 B",
        ]
        assert attachment_lines(user) == live  # the pixels sent (the OpenAI fake's long edge)
        await wait_until(pilot, lambda: all(line in screen_text(app) for line in live))
        text = screen_text(app)
        assert (
            text.index("Compare them") < text.index("📎 panorama.png") < text.index("📎 notes.md")
        )
    att._DIMENSIONS.clear()  # a new process
    bytes_read.clear()
    again = make_app(server)
    async with again.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: bool(views(chat)))
        user = views(chat)[0]
        assert isinstance(user, UserMessageView)
        assert attachment_lines(user) == live  # before any image's bytes were read
        await wait_until(pilot, lambda: all(line in screen_text(again) for line in live))
    # the dimensions came from the part rows; the one image's bytes only for its preview
    assert all(len(ids) == 1 for ids in bytes_read)
    assert len({ids[0] for ids in bytes_read}) <= 1


def stored_conversation(parts: tuple[Any, ...], answer: str = "I see them.") -> HistoryStore:
    store = HistoryStore.open(paths.history_file())
    conversation = store.create_conversation(connection_slug="fake", model="fake-model")
    prompt = store.add_message(conversation.id, parent_id=None, role="user", parts=parts)
    reply = store.add_message(
        conversation.id,
        parent_id=prompt.id,
        role="assistant",
        connection_slug="fake",
        model="fake-model",
        text=answer,
    )
    store.finish_message(reply.id, finish_reason="stop")
    return store


async def test_a_long_conversation_reopens_without_reading_any_image(
    fake_server: Any, bytes_read: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = HistoryStore.open(paths.history_file())
    conversation = store.create_conversation(connection_slug="fake", model="fake-model")
    parent = None
    for n in range(60):
        image = AttachmentPart.from_bytes(png(40 + n, 30), "image/png", f"shot-{n}.png")
        prompt = store.add_message(
            conversation.id, parent_id=parent, role="user", parts=(TextPart(f"Look {n}"), image)
        )
        parent = store.add_message(
            conversation.id, parent_id=prompt.id, role="assistant", text=f"Seen {n}."
        ).id
        store.finish_message(parent, finish_reason="stop")
    store.close()
    att._DIMENSIONS.clear()
    previewed: set[str] = set()  # every image whose preview was mounted, at any moment
    real_mount = ImagePreview.on_mount

    def counted_mount(preview: ImagePreview) -> None:
        previewed.add(preview.attachment_id)
        real_mount(preview)

    monkeypatch.setattr(ImagePreview, "on_mount", counted_mount)
    app = make_app(fake_server())
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: "shot-59.png" in screen_text(app))
        users = [v for v in views(chat) if isinstance(v, UserMessageView)]
        (line,) = attachment_lines(users[-1])
        assert line.startswith("📎 shot-59.png · image/png · ") and line.endswith(" · 99×30")
        assert len(users) < 20
    # Only the previews mounted read bytes, one image each: not the other 50+. (The window may
    # grow or slide after the first look, so they are counted as they mount.)
    assert 0 < len(previewed) < 20
    assert all(len(ids) == 1 for ids in bytes_read)
    assert {ids[0] for ids in bytes_read} <= previewed


async def test_file_names_are_shown_as_written_and_old_rows_without_dimensions(
    fake_server: Any, bytes_read: list[list[str]]
) -> None:
    hostile = "[b red]boom[/b] \x1b[2J$(rm).png"
    image = AttachmentPart.from_bytes(png(64, 48), "image/png", hostile)
    older = AttachmentPart.from_bytes(png(10, 20), "image/png", "before.png")
    store = stored_conversation((TextPart("Two pictures"), image, older))
    store.close()
    # `before.png` as a row written before dimensions were kept: no width and height in meta.
    with sqlite3.connect(paths.history_file()) as db:
        meta = json.dumps({"media_type": "image/png", "name": "before.png"})
        db.execute("UPDATE message_parts SET meta = ? WHERE attachment_id = ?", (meta, older.id))
    att._DIMENSIONS.clear()
    app = make_app(fake_server())
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: bool(views(chat)))
        user = views(chat)[0]
        assert isinstance(user, UserMessageView)
        shown, old = attachment_lines(user)
        assert shown.startswith("📎 [b red]boom[/b] ␛[2J$(rm).png · image/png · ")
        assert shown.endswith(" · 64×48")
        assert old.startswith("📎 before.png · image/png · ") and old.endswith(" B")  # no W×H
        await wait_until(pilot, lambda: "[b red]boom[/b]" in screen_text(app))
        assert "\x1b" not in screen_text(app)
    assert all(len(ids) == 1 for ids in bytes_read)  # previews only


def test_a_reopened_prompt_with_files_snapshot(snap_compare: Any, fake_server: Any) -> None:
    app = make_app(fake_server())
    parts = (
        TextPart("What do these show?"),
        AttachmentPart.from_bytes(png(1568, 1176), "image/png", "holiday photo.png"),
        AttachmentPart.from_bytes(b"%PDF-1.4\n" + b"0" * 120_000, "application/pdf", "plan.pdf"),
        AttachmentPart.from_bytes(b"a,b\n1,2\n", "text/csv", "figures.csv"),
    )
    stored_conversation(parts, "A beach, a floor plan and two numbers.").close()

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: "figures.csv" in screen_text(pilot.app))
        await wait_until(pilot, lambda: "▀" in screen_text(pilot.app))  # the photo's preview
        assert chat.loaded
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
