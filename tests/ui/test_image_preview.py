"""A sent image's preview under its prompt (issue 19): half-block cells in the picture's
colours, read from the history in a worker only for a mounted message, nothing for a file that
is not an image, a broken image or under NO_COLOR."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from rich.color import Color

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.thumbnails import BACKDROP, thumbnail
from craft_tui.providers.content import AttachmentPart, TextPart
from craft_tui.ui.widgets import image_preview
from craft_tui.ui.widgets.image_preview import PREVIEW_COLUMNS, PREVIEW_ROWS, ImagePreview
from craft_tui.ui.widgets.messages import UserMessageView
from tests.ui.chat_helpers import make_app, ready, screen_text, views, wait_until
from tests.ui.test_attachment_display import stored_conversation

RED, BLUE = (220, 30, 30), (30, 30, 220)


@pytest.fixture(autouse=True)
def _no_thumbnails_yet() -> Any:
    image_preview._MADE.clear()  # what a new process has made: nothing
    yield
    image_preview._MADE.clear()


def halves(width: int, height: int, fmt: str = "PNG") -> bytes:
    """Left half red, right half blue."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(Image.new("RGB", (width // 2, height), BLUE), (width // 2, 0))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def near(colour: tuple[int, int, int], wanted: tuple[int, int, int], slack: int = 40) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(colour, wanted, strict=True))


def test_a_thumbnail_keeps_the_picture_and_its_shape() -> None:
    made = thumbnail(halves(640, 160), PREVIEW_COLUMNS, PREVIEW_ROWS)
    assert made is not None
    assert made.width == 32 and made.height == 4  # 4:1 at two pixels a cell
    for row in made.rows:
        assert all(near(upper, RED) and near(lower, RED) for upper, lower in row[:14])
        assert all(near(upper, BLUE) and near(lower, BLUE) for upper, lower in row[-14:])


def test_a_tall_picture_fits_the_rows_and_a_tiny_one_is_not_blown_up() -> None:
    tall = thumbnail(halves(100, 1000, "JPEG"), PREVIEW_COLUMNS, PREVIEW_ROWS)
    assert tall is not None and tall.height == PREVIEW_ROWS and tall.width == 2
    tiny = thumbnail(halves(4, 2), PREVIEW_COLUMNS, PREVIEW_ROWS)
    assert tiny is not None and (tiny.width, tiny.height) == (4, 1)


def test_transparency_shows_the_backdrop_and_garbage_is_no_thumbnail() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (255, 255, 255, 0)).save(out, format="PNG")
    clear = thumbnail(out.getvalue(), 8, 8)
    assert clear is not None
    assert all(cell == (BACKDROP, BACKDROP) for row in clear.rows for cell in row)
    assert thumbnail(b"not an image at all", 8, 8) is None
    assert thumbnail(b"\x89PNG\r\n\x1a\n" + b"\0" * 40, 8, 8) is None  # a cut-off PNG


def previews(app: Any) -> list[ImagePreview]:
    chat = app.chat
    return [p for v in views(chat) if isinstance(v, UserMessageView) for p in v.query(ImagePreview)]


async def test_a_reopened_image_is_previewed_in_its_colours_under_its_line(
    fake_server: Any,
) -> None:
    picture = AttachmentPart.from_bytes(halves(320, 80), "image/png", "flag.png")
    notes = AttachmentPart.from_bytes(b"# notes\n", "text/markdown", "notes.md")
    broken = AttachmentPart.from_bytes(b"\x89PNG\r\n\x1a\nbroken", "image/png", "broken.png")
    stored_conversation((TextPart("Look"), picture, notes, broken)).close()
    app = make_app(fake_server())
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await wait_until(pilot, lambda: any(p.thumbnail for p in previews(app)))
        shown = [p for p in previews(app) if p.thumbnail is not None]
        assert [p.attachment_id for p in shown] == [picture.id]  # no preview for notes or broken
        preview = shown[0]
        await wait_until(pilot, lambda: preview.size.height == 4)
        line = preview.render_line(0)
        segments = list(line)
        first, last = segments[0], segments[-1]
        assert first.text == "▀" and first.style is not None
        assert near(first.style.bgcolor.triplet, RED)  # type: ignore[union-attr]
        assert near(last.style.color.triplet, BLUE)  # type: ignore[union-attr]
        assert isinstance(first.style.color, Color)

        # the preview sits under the image's own line, before the next file's
        def in_order() -> bool:
            text = screen_text(app)
            marks = [text.find(mark) for mark in ("flag.png", "▀", "notes.md")]
            return -1 not in marks and marks == sorted(marks)

        await wait_until(pilot, in_order)  # (as soon as the screen is repainted)


async def test_no_preview_under_no_color(fake_server: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    picture = AttachmentPart.from_bytes(halves(320, 80), "image/png", "flag.png")
    stored_conversation((TextPart("Look"), picture)).close()
    app = make_app(fake_server())
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await wait_until(pilot, lambda: "flag.png" in screen_text(app))
        (preview,) = previews(app)
        await pilot.pause()
        assert preview.thumbnail is None and preview.size.height == 0
        assert "▀" not in screen_text(app)


async def test_a_preview_shown_again_is_not_read_again(
    fake_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[list[str]] = []
    real = HistoryStore.attachment_data

    def counted(self: HistoryStore, ids: Any) -> dict[str, bytes]:
        reads.append(list(ids))
        return real(self, reads[-1])

    monkeypatch.setattr(HistoryStore, "attachment_data", counted)
    picture = AttachmentPart.from_bytes(halves(320, 80), "image/png", "flag.png")
    stored_conversation((TextPart("Look"), picture)).close()
    for _ in range(2):  # opened twice: the second time from the thumbnail already made
        app = make_app(fake_server())
        async with app.run_test(size=(100, 40)) as pilot:
            await ready(pilot)
            await wait_until(pilot, lambda app=app: any(p.thumbnail for p in previews(app)))
    assert reads == [[picture.id]]
