"""The model's visible thinking: a collapsed, dimmed block above the answer."""

from __future__ import annotations

from textual.widgets import Collapsible, Static

from craft_tui.untrusted import shown


class ReasoningBlock(Collapsible):
    """Collapsed by default so the answer stays in front; expand it to read the reasoning."""

    DEFAULT_CSS = """
    ReasoningBlock {
        border: none;
        padding: 0;
        margin: 0 0 0 0;
        background: transparent;
        color: $text-muted;
        &.-empty { display: none; }
        & > Contents { padding: 0 0 0 2; }
        & CollapsibleTitle { color: $text-muted; padding: 0; }
        & .reasoning-text { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, text: str = "", *, thinking: bool = False) -> None:
        self._chunks: list[str] = [text] if text else []
        self._thinking = thinking
        self._body = Static(shown(text), classes="reasoning-text", markup=False)
        super().__init__(
            self._body, title=self._title_text(), collapsed=True, classes="" if text else "-empty"
        )

    @property
    def text(self) -> str:
        return "".join(self._chunks)

    def _title_text(self) -> str:
        size = sum(len(chunk) for chunk in self._chunks)
        if self._thinking:
            return "Thinking…"
        return f"Reasoning ({size:,} characters)" if size else "Reasoning"

    def add(self, delta: str) -> None:
        """Append a reasoning fragment (called at a bounded rate by the message view)."""
        if not delta:
            return
        self._chunks.append(delta)
        self.remove_class("-empty")
        if not self.collapsed:  # a collapsed block costs nothing per chunk
            self._body.update(shown(self.text))
        self.title = self._title_text()

    def watch_collapsed(self, collapsed: bool) -> None:
        """Opening the block fills it (a collapsed block is not updated per chunk)."""
        if not collapsed:
            self._body.update(shown(self.text))

    def done(self) -> None:
        """The answer ended: the title says how much reasoning there was."""
        self._thinking = False
        self.title = self._title_text()
