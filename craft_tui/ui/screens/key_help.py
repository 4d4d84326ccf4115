"""The key help screen (F1): every key of the app as it is bound now, the user's keymap included.

Built from the binding tables in `ui/bindings.py` and the app's keymap, so it cannot drift from
what the keys do; the README's key table says the same in prose. Esc, F1 or q closes it.

`key_label` lives in `ui/bindings.py` (the keymap check names keys the same way) and is
re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from craft_tui.ui.bindings import HELP_SECTIONS, HELP_TEXT, PROMPT_KEYS, key_label, keys_of
from craft_tui.untrusted import shown_inline

__all__ = ["KeyHelpScreen", "key_label", "key_lines"]


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
    KeyHelpScreen .row { height: auto; }
    KeyHelpScreen .what { width: 1fr; }
    KeyHelpScreen .help { color: $text-muted; }
    KeyHelpScreen .problems { color: $warning; margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        keymap = getattr(self.app, "keymap", None)
        sections = key_lines(keymap if isinstance(keymap, dict) else {})
        width = max(len(keys) for _, rows in sections for keys, _ in rows)
        # The keymap check's lines (ui/app.py): entries of the user's keymap not applied, why.
        problems = getattr(self.app, "keymap_problems", None) or []
        with Vertical():
            yield Label("Keys (Esc closes)", markup=False)
            if problems:
                lines = "\n".join(shown_inline(line) for line in problems)
                yield Static(
                    f"Not applied from your keymap (these keep their defaults):\n{lines}",
                    classes="problems",
                    markup=False,
                )
            with VerticalScroll(id="keys"):
                for title, rows in sections:
                    yield Static(title, classes="section", markup=False)
                    for keys, text in rows:
                        # Two columns: a description that wraps stays beside its keys.
                        with Horizontal(classes="row"):
                            column = Static(
                                Content.assemble((keys, "bold")), classes="keys", markup=False
                            )
                            column.styles.width = width + 2
                            yield column
                            yield Static(text, classes="what", markup=False)
            yield Label(
                'Remap any of these in config.toml: [settings.keymap] id = "keys".',
                classes="help",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#keys", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
