"""The key help screen (F1): every key of the app as it is bound now, the user's keymap included.

Built from the binding tables in `ui/bindings.py` and the app's keymap, so it cannot drift from
what the keys do; the README's key table says the same in prose. Esc, F1 or q closes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from craft_tui.ui.bindings import HELP_SECTIONS, HELP_TEXT, PROMPT_KEYS, keys_of
from craft_tui.untrusted import shown_inline

_KEY_NAMES = {
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "question_mark": "?",
    "escape": "Esc",
    "up": "↑",
    "down": "↓",
    "pageup": "PageUp",
    "pagedown": "PageDown",
}


def key_label(key: str) -> str:
    """`ctrl+o` → `Ctrl+O`, `left_square_bracket` → `[`, `f4` → `F4`, `c` → `c`: keys as the
    README and the footer print them."""
    parts = []
    for part in key.strip().split("+"):
        if part in _KEY_NAMES:
            parts.append(_KEY_NAMES[part])
        elif len(part) == 1:
            parts.append(part)
        elif part[0] == "f" and part[1:].isdigit():
            parts.append(part.upper())
        else:
            parts.append(part.capitalize())
    if len(parts) > 1 and len(parts[-1]) == 1:
        parts[-1] = parts[-1].upper()  # Ctrl+O, as printed on keys; a lone key stays as typed
    return "+".join(parts)


def key_lines(keymap: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(section title, [(keys, what they do)]) for every binding, with the live keymap."""
    sections: list[tuple[str, list[tuple[str, str]]]] = [
        ("Prompt", [(key_label(key), text) for key, text in PROMPT_KEYS])
    ]
    for title, table in HELP_SECTIONS:
        rows = []
        for binding_id in table:
            # The keys come from the user's config: shown disarmed, like any outside text.
            keys = shown_inline(" / ".join(key_label(key) for key in keys_of(binding_id, keymap)))
            rows.append((keys, HELP_TEXT[binding_id]))
        sections.append((title, rows))
    return sections


class KeyHelpScreen(ModalScreen[None]):
    """Every key, as bound now. Read-only; scrolls when the terminal is small."""

    DEFAULT_CSS = """
    KeyHelpScreen { align: center middle; }
    KeyHelpScreen > Vertical {
        width: 90%; max-width: 100; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    KeyHelpScreen VerticalScroll { height: 1fr; }
    KeyHelpScreen .section { text-style: bold; margin-top: 1; }
    KeyHelpScreen .help { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        keymap = getattr(self.app, "keymap", None)
        sections = key_lines(keymap if isinstance(keymap, dict) else {})
        width = max(len(keys) for _, rows in sections for keys, _ in rows)
        with Vertical():
            yield Label("Keys (Esc closes)", markup=False)
            with VerticalScroll(id="keys"):
                for title, rows in sections:
                    yield Static(title, classes="section", markup=False)
                    for keys, text in rows:
                        line = Content.assemble((keys.ljust(width), "bold"), "  ", text)
                        yield Static(line, markup=False)
            yield Label(
                'Remap any of these in config.toml: [settings.keymap] id = "keys".',
                classes="help",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#keys", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
