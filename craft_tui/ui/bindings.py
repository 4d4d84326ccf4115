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
    "keys_help": ("f1", "Keys", False),  # not in the footer: it is full at 80 columns
}

CHAT_KEYS: dict[str, tuple[str, str, bool]] = {
    "stop": ("escape,ctrl+c", "Stop", True),
    "retry": ("ctrl+r", "Retry", True),
    "new_conversation": ("ctrl+n", "New", True),
    "system_prompt": ("f4", "System prompt", False),
    "history": ("ctrl+b", "History", False),
    "focus_prompt": ("escape", "Prompt", False),
    "clear_prompt": ("ctrl+l", "Clear", False),
    "undo_delete": ("u", "Undo delete", True),
    "find": ("ctrl+f", "Find", False),
    "tool_permissions": ("ctrl+t", "Tools mode", False),
    "scroll_up": ("pageup", "Page up", False),
    "scroll_down": ("pagedown", "Page down", False),
    "scroll_top": ("ctrl+home", "First message", False),
    "scroll_bottom": ("ctrl+end", "Last message", False),
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
    "history.rename": ("f2", "Rename", True),
    "history.pin": ("ctrl+t", "Pin", True),
}

_TABLES = (APP_KEYS, CHAT_KEYS, MESSAGE_KEYS, HISTORY_KEYS)

# What each binding does, in a sentence, for the key help screen (F1). The README's key table
# says the same; a test checks every binding id has a line here.
HELP_TEXT: dict[str, str] = {
    "pick_model": "model picker: search every connection's models; another connection's model "
    "switches the conversation there",
    "open_connections": "connections: add, edit, test, delete, make default",
    "quit": "quit (the conversation is saved)",
    "keys_help": "this list of keys",
    "stop": "stop the answer now; what arrived stays, marked as stopped",
    "retry": "retry the last answer (after an error, or for another take)",
    "new_conversation": "new conversation",
    "system_prompt": "system prompt of this conversation",
    "history": "history: search, open, delete conversations",
    "focus_prompt": "back to the prompt (from a message)",
    "clear_prompt": "in the prompt: clear it (Ctrl+Z brings it back)",
    "undo_delete": "bring back the messages just deleted (until the next answer)",
    "tool_permissions": "tool permission mode of this conversation: ask → read-only → allow all "
    "(shown in the status line when MCP servers are set up)",
    "find": "find words in this conversation: Enter or ↑ the previous match, ↓ the next, "
    "Esc closes",
    "scroll_up": "scroll the conversation up a page (from the prompt too)",
    "scroll_down": "scroll the conversation down a page",
    "scroll_top": "to the first message of the conversation",
    "scroll_bottom": "to the last message, following the answer again",
    "copy_message": "copy the message",
    "copy_code": "copy its code blocks, one per press",
    "edit_message": "edit the question and send it again",
    "regenerate": "regenerate the answer",
    "delete_message": "delete the message",
    "previous_version": "earlier version of an edited or regenerated message",
    "next_version": "later version",
    "previous_message": "previous message",
    "next_message": "next message",
    "history.delete": "delete the highlighted conversation (asks once more, by its title)",
    "history.undo_delete": "undo that delete (until the next delete or the list closes)",
    "history.rename": "rename the highlighted conversation (Enter saves, Esc cancels; empty gives "
    "back the title from its first prompt)",
    "history.pin": "pin or unpin it: pinned conversations are listed first",
}

HELP_SECTIONS: tuple[tuple[str, dict[str, tuple[str, str, bool]]], ...] = (
    ("Anywhere", APP_KEYS),
    ("Chat", CHAT_KEYS),
    ("On a message (Shift+Tab from the prompt, then ↑ ↓)", MESSAGE_KEYS),
    ("History (Ctrl+B)", HISTORY_KEYS),
)

PROMPT_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "send"),
    ("ctrl+j", "new line (Shift+Enter too, where the terminal delivers it)"),
    ("up", "in an empty prompt: recall the last prompt"),
)
"""Keys of the prompt itself: fixed, not in the keymap."""
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


def keys_of(binding_id: str, keymap: Mapping[str, str] | None = None) -> list[str]:
    """Every key bound to `binding_id` (after the user's keymap)."""
    if keymap and binding_id in keymap:
        return [key.strip() for key in keymap[binding_id].split(",") if key.strip()]
    for table in _TABLES:
        if binding_id in table:
            return table[binding_id][0].split(",")
    raise KeyError(binding_id)


def first_key(binding_id: str, keymap: Mapping[str, str] | None = None) -> str:
    """The first key bound to `binding_id` (after the user's keymap), for hints like 'press ctrl+r'."""
    if keymap and binding_id in keymap:
        return keymap[binding_id].split(",")[0].strip()
    for table in _TABLES:
        if binding_id in table:
            return table[binding_id][0].split(",")[0]
    raise KeyError(binding_id)
