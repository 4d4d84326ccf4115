"""A sent image's preview under its prompt: half-block cells (`chat/thumbnails.py`).

The bytes come from the history only when the view is mounted (the transcript mounts a window
of messages, not the whole conversation), and are read and scaled in a worker thread, so a
conversation full of photos opens as fast as one without: until the preview is ready it takes
no room. Nothing is shown under `NO_COLOR` (a grid of `▀` without colours shows nothing of the
picture) or when the bytes are gone or not an image; the line above still names the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from craft_tui.chat.thumbnails import Thumbnail, thumbnail

AttachmentLoader = Callable[[Iterable[str]], Mapping[str, bytes]]

PREVIEW_COLUMNS = 32
PREVIEW_ROWS = 8

# Thumbnails made in this process, by attachment id: a message scrolled out of the window and
# back (the transcript unmounts and mounts it again) is not read and scaled again. A few KB each.
_MADE: dict[str, Thumbnail] = {}
_MAX_KEPT = 256


class ImagePreview(Widget):
    """The preview of one attached image, by its id (SHA-256 of the bytes)."""

    DEFAULT_CSS = """
    ImagePreview { height: 0; width: auto; margin: 0 0 0 2; }
    """

    def __init__(self, attachment_id: str, load: AttachmentLoader) -> None:
        super().__init__(classes="user-image-preview")
        self.attachment_id = attachment_id
        self._load = load
        self.thumbnail: Thumbnail | None = None
        self._strips: list[Strip] = []

    def on_mount(self) -> None:
        if self.app.no_color:
            return
        self.run_worker(self._make, thread=True, exclusive=True, exit_on_error=False)

    def _make(self) -> None:
        made = _MADE.get(self.attachment_id)
        if made is None:
            data = self._load([self.attachment_id]).get(self.attachment_id)
            made = thumbnail(data, PREVIEW_COLUMNS, PREVIEW_ROWS) if data else None
            if made is None:
                return
            if len(_MADE) >= _MAX_KEPT:
                _MADE.pop(next(iter(_MADE)))  # the oldest
            _MADE[self.attachment_id] = made
        self.app.call_from_thread(self._show, made)

    def _show(self, made: Thumbnail) -> None:
        self.thumbnail = made
        self._strips = [
            Strip(
                [
                    Segment("▀", Style(color=f"rgb{upper}", bgcolor=f"rgb{lower}"))
                    for upper, lower in row
                ],
                made.width,
            )
            for row in made.rows
        ]
        self.styles.height = made.height
        self.styles.width = made.width
        self.refresh(layout=True)

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)
