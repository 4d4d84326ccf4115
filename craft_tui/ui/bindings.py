"""Binding ids and default keys, and the user's keymap from config (`[settings.keymap]`).

Every binding carries an id so `App.set_keymap` can remap it, e.g. in config.toml:

    [settings.keymap]
    pick_model = "ctrl+o"
    stop = "escape"

Defaults are keys that arrive through tmux and SSH: Ctrl+letters that neither the terminal nor the
prompt's TextArea claims; nothing relies on Shift+Enter, Ctrl+Tab or Ctrl+M.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding

# binding id -> (default keys, footer description, shown in the footer)
APP_KEYS: dict[str, tuple[str, str, bool]] = {
    "pick_model": ("ctrl+o", "Model", True),
    "open_connections": ("ctrl+g", "Connections", True),
    "quit": ("ctrl+q", "Quit", False),
}

CHAT_KEYS: dict[str, tuple[str, str, bool]] = {
    "stop": ("escape,ctrl+c", "Stop", True),
    "retry": ("ctrl+r", "Retry", True),
    "new_conversation": ("ctrl+n", "New", True),
    "system_prompt": ("f4", "System prompt", False),
    "history": ("ctrl+b", "History", False),
    "focus_prompt": ("escape", "Prompt", False),
}

MESSAGE_KEYS: dict[str, tuple[str, str, bool]] = {
    "copy_message": ("c", "Copy", True),
    "copy_code": ("b", "Code", True),
    "edit_message": ("e", "Edit", True),
    "regenerate": ("r", "Regen", True),
    "delete_message": ("d", "Del", True),
    "previous_version": ("left_square_bracket", "‹ Version", True),
    "next_version": ("right_square_bracket", "Version ›", True),
    "previous_message": ("up,k", "Previous", False),
    "next_message": ("down,j", "Next", False),
}

HISTORY_KEYS: dict[str, tuple[str, str, bool]] = {
    "history.delete": ("ctrl+d", "Delete", True),
    "history.undo_delete": ("ctrl+z", "Undo delete", True),
}

_TABLES = (APP_KEYS, CHAT_KEYS, MESSAGE_KEYS, HISTORY_KEYS)
ALL_IDS = (
    frozenset(APP_KEYS) | frozenset(CHAT_KEYS) | frozenset(MESSAGE_KEYS) | frozenset(HISTORY_KEYS)
)


def binding(binding_id: str, action: str, *, priority: bool = False) -> Binding:
    """A Binding for `binding_id` with its default keys, description and id."""
    for table in _TABLES:
        if binding_id in table:
            keys, description, show = table[binding_id]
            return Binding(keys, action, description, show=show, priority=priority, id=binding_id)
    raise KeyError(binding_id)


def keymap_from_settings(keymap: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The user's keymap and the ids it names that do not exist (to warn about).

    Dotted ids (`picker.close`, `connections.add`) belong to other screens and pass through.
    """
    usable = {k: v for k, v in keymap.items() if v.strip() and (k in ALL_IDS or "." in k)}
    unknown = sorted(k for k in keymap if k not in usable)
    return usable, unknown


def first_key(binding_id: str, keymap: Mapping[str, str] | None = None) -> str:
    """The first key bound to `binding_id` (after the user's keymap), for hints like 'press ctrl+r'."""
    if keymap and binding_id in keymap:
        return keymap[binding_id].split(",")[0].strip()
    for table in _TABLES:
        if binding_id in table:
            return table[binding_id][0].split(",")[0]
    raise KeyError(binding_id)
