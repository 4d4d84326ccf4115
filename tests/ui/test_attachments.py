"""Attachments in the app (issue 19): the attach key's path question with Tab completion and its
errors in place, chips above the prompt (shown, removable), sent with the prompt (asserted on the
fake server's recorded request), a dropped file's pasted path offered, and a text-only model
refused before anything is sent, the prompt and chips kept."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from craft_tui.chat import attachments as att
from craft_tui.providers.model_cache import CachedModels, save_cached
from craft_tui.providers.types import ModelInfo
from craft_tui.ui.screens.attach_file import AttachFileScreen, complete_path
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.ui.screens.confirm import ConfirmScreen
from craft_tui.ui.widgets.attachment_chips import AttachmentChip
from craft_tui.ui.widgets.messages import UserMessageView
from tests.ui.chat_helpers import answered, make_app, ready, screen_text, views, wait_until


@pytest.fixture(autouse=True)
def _nothing_learnt() -> Any:
    att.forget_refusals()
    yield
    att.forget_refusals()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "pictures"
    folder.mkdir()
    Image.new("RGB", (640, 480), (200, 40, 40)).save(folder / "sunset.png")
    Image.new("RGB", (3000, 1500), (40, 40, 200)).save(folder / "panorama.png")
    (folder / "notes.md").write_text("# notes\n", encoding="utf-8")
    (folder / "sub").mkdir()
    return folder


def chip_labels(chat: ChatScreen) -> list[str]:
    return [str(chip.render()) for chip in chat.chips.chips]


async def attach_with_key(pilot: Pilot[Any], chat: ChatScreen, path: str) -> None:
    await pilot.press("f8")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AttachFileScreen))
    screen = pilot.app.screen
    assert isinstance(screen, AttachFileScreen)
    screen.field.value = path
    count = len(chat.chips.chips)
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(chat.chips.chips) == count + 1)
    await wait_until(pilot, lambda: pilot.app.screen is chat)


def user_blocks(request: Any) -> list[dict[str, Any]]:
    content = request.json["messages"][-1]["content"]
    assert isinstance(content, list), content
    return content


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_attach_key_then_send_puts_the_image_in_the_request(
    fake_server: Any, files: Path, protocol: str
) -> None:
    server = fake_server(protocol=protocol, reply="A red square.")
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await attach_with_key(pilot, chat, str(files / "sunset.png"))
        assert chip_labels(chat) == [
            f"📎 sunset.png · {att.size_label((files / 'sunset.png').stat().st_size)} · 640×480 ✕"
        ]
        assert app.focused is chat.prompt
        chat.prompt.insert("What is this?")
        await pilot.press("enter")
        await answered(pilot, chat)
        (request,) = server.chat_requests
        text, image = user_blocks(request)
        assert text == {"type": "text", "text": "What is this?"}
        sent = (files / "sunset.png").read_bytes()
        if protocol == "openai":
            url = "data:image/png;base64," + base64.b64encode(sent).decode()
            assert image == {"type": "image_url", "image_url": {"url": url}}
        else:
            assert image["source"] == {
                "type": "base64",
                "media_type": "image/png",
                "data": base64.b64encode(sent).decode(),
            }
        assert chat.chips.chips == []  # sent and stored: the chips are cleared
        user = views(chat)[0]
        assert isinstance(user, UserMessageView)
        assert user.attachments == (
            f"📎 sunset.png · image/png · {att.size_label(len(sent))} · 640×480",
        )


async def test_tab_completes_and_errors_are_said_in_place(fake_server: Any, files: Path) -> None:
    app = make_app(fake_server())
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, AttachFileScreen))
        screen = app.screen
        assert isinstance(screen, AttachFileScreen)
        screen.field.value = str(files / "su")
        await pilot.press("tab")
        assert screen.field.value == str(files / "su")  # sub/ and sunset.png agree on no more
        matches = str(screen.query_one("#attach-matches", Static).render())
        assert "sub/" in matches and "sunset.png" in matches
        screen.field.value = str(files / "sunse")
        await pilot.press("tab")
        assert screen.field.value == str(files / "sunset.png")
        screen.field.value = str(files / "sub")
        await pilot.press("enter")
        error = screen.query_one("#attach-error", Static)
        await wait_until(pilot, lambda: "is a folder" in str(error.render()))
        assert app.screen is screen and screen.field.value == str(files / "sub")  # kept to fix
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is chat)
        assert chat.chips.chips == []


def test_completion_keeps_what_was_typed(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(files.parent))
    assert complete_path("~/pic", files) == ("~/pictures/", ["pictures/"])
    assert complete_path("pan", files) == ("panorama.png", ["panorama.png"])
    assert complete_path("nothing-like-it", files) == ("nothing-like-it", [])
    (files / ".hidden").write_text("x")
    assert ".hidden" not in complete_path("", files)[1]
    assert complete_path(".h", files)[1] == [".hidden"]


async def test_chips_show_the_resize_and_can_be_removed(fake_server: Any, files: Path) -> None:
    app = make_app(fake_server())
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await attach_with_key(pilot, chat, str(files / "panorama.png"))
        await attach_with_key(pilot, chat, str(files / "notes.md"))
        await attach_with_key(pilot, chat, str(files / "sunset.png"))
        labels = chip_labels(chat)
        assert labels[0].startswith("📎 panorama.png · ")
        assert labels[0].endswith(" · 2048×1024 (from 3000×1500) ✕")  # the OpenAI fake's edge
        assert labels[1] == "📎 notes.md · 8 B ✕"
        await wait_until(pilot, lambda: "📎 notes.md · 8 B ✕" in screen_text(app))
        await pilot.click(AttachmentChip)  # the first chip
        assert [c.attachment.name for c in chat.chips.chips] == ["notes.md", "sunset.png"]
        chat.chips.chips[0].focus()
        await pilot.press("delete")
        assert [c.attachment.name for c in chat.chips.chips] == ["sunset.png"]
        assert app.focused is chat.chips.chips[0]  # the next chip
        await pilot.press("backspace")
        assert chat.chips.chips == []
        assert app.focused is chat.prompt
        await wait_until(pilot, lambda: not chat.chips.display or chat.chips.size.height == 0)


async def test_a_dropped_file_is_offered_and_attached(fake_server: Any, files: Path) -> None:
    server = fake_server()
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        chat.prompt.focus()
        dropped = str(files / "sunset.png").replace(" ", "\\ ")
        chat.prompt.post_message(events.Paste(f"'{dropped}' "))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: "Attach sunset.png to the prompt?" in screen_text(app))
        await pilot.press("y")
        await wait_until(pilot, lambda: len(chat.chips.chips) == 1)
        assert chat.prompt.text == ""  # the path was not typed in
        # Declined: the paste goes in as text, as any paste would.
        chat.prompt.post_message(events.Paste(str(files / "notes.md")))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: chat.prompt.text == str(files / "notes.md"))
        assert len(chat.chips.chips) == 1
        # A paste that is not exactly files is text at once, with no question.
        chat.prompt.clear()
        chat.prompt.post_message(events.Paste(f"look at {files / 'notes.md'}"))
        await wait_until(pilot, lambda: chat.prompt.text.startswith("look at"))
        assert app.screen is chat
        # The chip alone can be sent: Enter with an empty prompt sends the image.
        chat.prompt.clear()
        await pilot.press("enter")
        await answered(pilot, chat)
        (request,) = server.chat_requests
        assert [block["type"] for block in user_blocks(request)] == ["image_url"]


async def test_a_text_only_model_is_refused_before_sending_and_nothing_is_lost(
    fake_server: Any, files: Path
) -> None:
    server = fake_server()
    app = make_app(server)
    connection = app.config.connections[0]
    save_cached(  # what discovery recorded: this model takes no images
        CachedModels(
            slug=connection.slug,
            base_url=connection.base_url,
            fetched_at=datetime.now(UTC),
            models=(ModelInfo("fake-model", extra={"vision": "no"}),),
        )
    )
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await attach_with_key(pilot, chat, str(files / "sunset.png"))
        chat.prompt.insert("What is this?")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any("does not take images" in str(n.message) for n in app._notifications),
        )
        assert server.chat_requests == []
        assert chat.prompt.text == "What is this?"
        assert [c.attachment.name for c in chat.chips.chips] == ["sunset.png"]
        assert views(chat) == []  # nothing stored either
        # Without the image the same prompt goes.
        chat.chips.chips[0].focus()
        await pilot.press("delete")
        chat.prompt.focus()
        await pilot.press("enter")
        await answered(pilot, chat)
        assert server.chat_requests[-1].json["messages"][-1]["content"] == "What is this?"


async def test_a_server_refusing_images_is_learnt(fake_server: Any, files: Path) -> None:
    from tests.servers.bodies import ErrorResponse

    refusal = ErrorResponse(
        404,
        b'{"error": {"message": "No endpoints found that support image input", "code": 404}}',
    )
    server = fake_server(error=refusal)
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await attach_with_key(pilot, chat, str(files / "sunset.png"))
        chat.prompt.insert("What?")
        await pilot.press("enter")
        await answered(pilot, chat)
        assert len(server.chat_requests) == 1
        await wait_until(
            pilot,
            lambda: any("does not take images" in str(n.message) for n in app._notifications),
        )
        # The next image to this model is stopped here, before it is sent.
        await attach_with_key(pilot, chat, str(files / "sunset.png"))
        chat.prompt.insert("And now?")
        await pilot.press("enter")
        await pilot.pause()
        await wait_until(pilot, lambda: not chat.busy)
        assert len(server.chat_requests) == 1
        assert chat.prompt.text == "And now?" and len(chat.chips.chips) == 1


def test_prompt_with_chips_snapshot(snap_compare: Any, fake_server: Any, files: Path) -> None:
    app = make_app(fake_server())

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await ready(pilot)
        await attach_with_key(pilot, chat, str(files / "panorama.png"))
        await attach_with_key(pilot, chat, str(files / "notes.md"))
        chat.prompt.insert("Compare the picture with my notes")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 24), run_before=run_before)
