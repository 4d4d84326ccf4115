"""The files attached to the next prompt, shown as chips above it.

Each chip names its file with its size and, for an image, the dimensions that will be sent
(`photo.jpg · 1.1 MB · 1568×1176 (from 4032×3024)`), as text: a file name is outside text. A chip
is removed by clicking it, or with Delete / Backspace once focused (Shift+Tab from the prompt
reaches the chips). The bar takes no room while nothing is attached.

The chips are the screen's only copy of what will be sent: `parts` are handed to
`ChatSession.send` with the prompt, and the chat screen clears them once that prompt is stored,
so a prompt refused before sending (a text-only model, a prompt over the size limit) keeps them.

Loading (`attach_paths`) goes through `chat/attachments.py`, the rule the command line uses too,
in a thread: decoding and resizing a photo takes a moment and must not freeze the screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll
from textual.message import Message
from textual.widgets import Static

from craft_tui.untrusted import plain_inline, shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.attachments import Attachment, AttachmentProblem
    from craft_tui.config.schema import Connection
    from craft_tui.providers.content import AttachmentPart, Part


class AttachmentChip(Static, can_focus=True):
    """One attached file; click, Delete or Backspace removes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "remove", "Remove", show=True),
    ]

    DEFAULT_CSS = """
    AttachmentChip {
        width: auto;
        height: 1;
        padding: 0 1;
        margin-right: 1;
        background: $boost;
        color: $text;
    }
    AttachmentChip:hover { background: $panel-lighten-1; }
    AttachmentChip:focus { background: $accent; color: $text; text-style: bold; }
    """

    def __init__(self, attachment: Attachment) -> None:
        super().__init__(plain_inline(f"📎 {attachment.label()} ✕"), markup=False)
        self.attachment = attachment
        self.tooltip = shown_inline(str(attachment.path))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_remove()

    def action_remove(self) -> None:
        for ancestor in self.ancestors:
            if isinstance(ancestor, AttachmentChips):
                ancestor.remove_chip(self)
                return


class AttachmentChips(HorizontalScroll):
    """The attachments of the next prompt (hidden while there are none)."""

    DEFAULT_CSS = """
    AttachmentChips {
        height: 1;
        width: 1fr;
        scrollbar-size-horizontal: 0;
        display: none;
    }
    AttachmentChips.-has-chips { display: block; }
    """

    class Changed(Message):
        """A chip was added or removed; `attachments` is what is attached now."""

        def __init__(self, chips: AttachmentChips, attachments: tuple[Attachment, ...]) -> None:
            super().__init__()
            self.chips = chips
            self.attachments = attachments

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=False)
        # The chips in order; the one truth (a removed chip leaves the DOM a moment later).
        self._chips: list[AttachmentChip] = []

    @property
    def chips(self) -> list[AttachmentChip]:
        return list(self._chips)

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(chip.attachment for chip in self.chips)

    @property
    def parts(self) -> tuple[AttachmentPart, ...]:
        """What goes with the prompt to `ChatSession.send` (with their bytes)."""
        return tuple(chip.attachment.part for chip in self.chips)

    def __bool__(self) -> bool:
        return bool(self.chips)

    async def add(self, attachment: Attachment) -> bool:
        """Show `attachment` as a chip; False when that same file (by content) is attached
        already, or when the prompt's files would go over the size limit (said in a toast)."""
        from craft_tui.chat.attachments import AttachmentProblem, check_prompt_size

        if any(a.part.id == attachment.part.id for a in self.attachments):
            self.app.notify(f"{attachment.name} is attached already.", timeout=4)
            return False
        try:
            check_prompt_size([*self.attachments, attachment])
        except AttachmentProblem as problem:
            self._say(problem)
            return False
        chip = AttachmentChip(attachment)
        self._chips.append(chip)
        self._changed()
        await self.mount(chip)
        return True

    def remove_chip(self, chip: AttachmentChip) -> None:
        """Take one chip off; the focus goes to the next chip, else back to the prompt."""
        if chip not in self._chips:
            return
        index = self._chips.index(chip)
        focused = chip.has_focus
        self._chips.remove(chip)
        chip.remove()
        rest = self._chips
        self._changed()
        if focused:
            if rest:
                rest[min(index, len(rest) - 1)].focus()
            else:
                self._focus_prompt()

    def clear(self) -> None:
        """Take every chip off (the prompt they went with was stored)."""
        chips, self._chips = self._chips, []
        if not chips:
            return
        for chip in chips:
            chip.remove()
        self._changed()

    def _changed(self) -> None:
        self.set_class(bool(self._chips), "-has-chips")
        self.post_message(self.Changed(self, self.attachments))

    def _focus_prompt(self) -> None:
        from craft_tui.ui.widgets.prompt import PromptArea

        for prompt in self.screen.query(PromptArea):
            prompt.focus()
            return

    def _say(self, problem: AttachmentProblem) -> None:
        text = problem.message + (f" {problem.hint}" if problem.hint else "")
        self.app.notify(text, severity="warning", timeout=10)

    async def attach_paths(self, paths: Iterable[Path | str], protocol: str | None) -> int:
        """Load each file (in a thread) and add it; a file that cannot be attached is one
        warning naming it. Returns how many were added."""
        from craft_tui.chat.attachments import AttachmentProblem, load_attachment

        added = 0
        for path in paths:
            try:
                attachment = await asyncio.to_thread(load_attachment, path, protocol)
            except AttachmentProblem as problem:
                self._say(problem)
                continue
            if await self.add(attachment):
                added += 1
        return added

    async def refusal(self, connection: Connection, model: str) -> AttachmentProblem | None:
        """Why these attachments cannot go to `model` now (`chat/attachments.image_refusal`,
        which reads the connection's cached model list: in a thread)."""
        from craft_tui.chat.attachments import AttachmentProblem, check_prompt_size, image_refusal

        attachments = self.attachments
        if not attachments:
            return None
        try:
            check_prompt_size(attachments)
        except AttachmentProblem as problem:
            return problem
        return await asyncio.to_thread(image_refusal, attachments, connection, model)


def attachment_lines(parts: Iterable[Part]) -> list[str]:
    """A stored message's attachments as the transcript shows them: one line each (name, media
    type, size, an image's pixels as sent, which the part rows keep), disarmed."""
    from craft_tui.chat.attachments import describe
    from craft_tui.providers.content import AttachmentPart

    return [f"📎 {describe(p)}" for p in parts if isinstance(p, AttachmentPart)]


def attachment_previews(parts: Iterable[Part]) -> list[str | None]:
    """For each line of `attachment_lines`, the id of the image to preview under it (None for
    a file that is not an image)."""
    from craft_tui.providers.content import IMAGE_TYPES, AttachmentPart

    return [
        p.id if p.media_type in IMAGE_TYPES else None
        for p in parts
        if isinstance(p, AttachmentPart)
    ]
