"""Binding ids and default keys, and the user's keymap from config (`[settings.keymap]`).

Every binding carries an id so `App.set_keymap` can remap it, e.g. in config.toml:

    [settings.keymap]
    pick_model = "ctrl+o"
    stop = "escape"

Defaults are keys that arrive through tmux and SSH: Ctrl+letters that neither the terminal nor the
prompt's TextArea claims; nothing relies on Shift+Enter, Ctrl+Tab or Ctrl+M.

`check_keymap` is what the app applies at start: an unknown id, an entry with no keys, or a key
that would give two actions in one place (`CONTEXTS`: the bindings active together) is one line
naming the id, the key and the line of config.toml, and that entry keeps its default. A pair of
actions that share a key by default (Esc: stop an answer, or back to the prompt) is not a
conflict: each action's `check_action` decides which one a press is.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

from textual.binding import Binding

# binding id -> (default keys, footer description, shown in the footer)
APP_KEYS: dict[str, tuple[str, str, bool]] = {
    "pick_model": ("ctrl+o", "Model", True),
    "open_connections": ("ctrl+g", "Connections", True),
    "quit": ("ctrl+q", "Quit", False),
    "keys_help": ("f1", "Keys", False),  # not in the footer: it is full at 80 columns
    "open_settings": ("f3", "Settings", False),
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
    "generation": ("f5", "Generation", False),
    "sidebar": ("f2", "Sidebar", False),
    "attach_file": ("f8", "Attach", False),
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
    "history.import": ("ctrl+l", "Import", True),
}

# The question before a tool runs (ui/screens/tool_permission.py) and a tool call's block in the
# transcript (ui/widgets/tool_block.py).
TOOL_QUESTION_KEYS: dict[str, tuple[str, str, bool]] = {
    "tool.allow_once": ("enter,y", "Allow once", True),
    "tool.allow_session": ("a", "Allow for session", True),
    "tool.deny_reason": ("n", "Deny…", True),
    "tool.deny": ("escape", "Deny", True),
}

TOOL_BLOCK_KEYS: dict[str, tuple[str, str, bool]] = {
    "tool.show_output": ("enter,o", "All output", True),
    "tool.fold": ("space", "Fold", True),
}

_TABLES = (APP_KEYS, CHAT_KEYS, MESSAGE_KEYS, HISTORY_KEYS, TOOL_QUESTION_KEYS, TOOL_BLOCK_KEYS)

# What each binding does, in a sentence, for the key help screen (F1). The README's key table
# says the same; a test checks every binding id has a line here.
HELP_TEXT: dict[str, str] = {
    "pick_model": "model picker: search every connection's models; another connection's model "
    "switches the conversation there",
    "open_connections": "connections: add, edit, test, delete, make default",
    "quit": "quit (the conversation is saved)",
    "keys_help": "this list of keys",
    "open_settings": "settings: theme, default connection and model, generation defaults, …",
    "stop": "stop the answer now; what arrived stays, marked as stopped",
    "retry": "retry the last answer (after an error, or for another take)",
    "new_conversation": "new conversation",
    "system_prompt": "system prompt of this conversation",
    "generation": "temperature, max tokens and reasoning effort of this conversation",
    "sidebar": "show or hide the conversation list beside the chat (shown from 140 columns)",
    "attach_file": "attach a file to the next prompt: an image, a PDF or a text file (Tab "
    "completes the path; a file dropped on the terminal is offered too)",
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
    "history.import": "import conversations from a file: a craft-tui JSON export, ChatGPT's "
    "conversations.json or llm's logs.db (Tab completes the path; the kind is found from the "
    "content)",
    "tool.allow_once": "run this call once (these keys wake half a second after the question "
    "shows, so a key typed for the prompt cannot run a tool)",
    "tool.allow_session": "run it, and this tool's later calls, for the rest of the session",
    "tool.deny_reason": "deny, with a reason for the model (Enter sends it; it may be empty)",
    "tool.deny": "deny the call (with the reason typed so far)",
    "tool.show_output": "all of the call's arguments and result",
    "tool.fold": "fold or unfold the call's block",
}

HELP_SECTIONS: tuple[tuple[str, dict[str, tuple[str, str, bool]]], ...] = (
    ("Anywhere", APP_KEYS),
    ("Chat", CHAT_KEYS),
    ("On a message (Shift+Tab from the prompt, then ↑ ↓)", MESSAGE_KEYS),
    ("On a tool call (Shift+Tab from the prompt)", TOOL_BLOCK_KEYS),
    ("Asked before a tool runs", TOOL_QUESTION_KEYS),
    ("History (Ctrl+B)", HISTORY_KEYS),
)

# Bindings of other screens that take a keymap id (`picker.close = "f10"`): their BINDINGS carry
# these ids and default keys (a test checks they agree), listed here so the keymap is checked at
# start without importing those screens.
SCREEN_KEYS: dict[str, dict[str, str]] = {
    "Model picker": {
        "picker.close": "escape",
        "picker.pick": "enter",
        "picker.favourite": "ctrl+f",
    },
    "Connections": {
        "connections.close": "escape",
        "connections.add": "a",
        "connections.edit": "e",
        "connections.test": "t",
        "connections.delete": "d,delete",
        "connections.default": "s",
    },
    "Connection form": {
        "form.cancel": "escape",
        "form.test": "ctrl+t",
        "form.save": "ctrl+s",
        "form.fetch_models": "ctrl+l",
        "form.use_url": "ctrl+r",
    },
    "Settings": {"settings.cancel": "escape", "settings.save": "ctrl+s"},
    "Generation settings": {"generation.cancel": "escape", "generation.apply": "ctrl+s"},
}

PROMPT_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "send"),
    ("ctrl+j", "new line (Shift+Enter too, where the terminal delivers it)"),
    ("up", "in an empty prompt: recall the last prompt"),
)
"""Keys of the prompt itself: fixed, not in the keymap."""
ALL_IDS = frozenset(binding_id for table in _TABLES for binding_id in table)
SCREEN_IDS = frozenset(binding_id for table in SCREEN_KEYS.values() for binding_id in table)
"""Every id a keymap entry may name: the tables above and the other screens' bindings."""
KEYMAP_IDS = ALL_IDS | SCREEN_IDS

_PROMPT_FIXED = {f"prompt:{key}": key for key, _text in PROMPT_KEYS}
"""The prompt's own keys, as pseudo-ids: a chat key remapped onto Enter would never fire."""

# Where each id is bound (named as the key help names it), and which of those places are
# active at one time: the app's keys work everywhere; on the chat screen either the prompt or
# a message has the focus.
SCOPES: dict[str, dict[str, str]] = {
    "Anywhere": {binding_id: keys for binding_id, (keys, _d, _s) in APP_KEYS.items()},
    "Chat": {binding_id: keys for binding_id, (keys, _d, _s) in CHAT_KEYS.items()},
    "Prompt": _PROMPT_FIXED,
    "On a message": {binding_id: keys for binding_id, (keys, _d, _s) in MESSAGE_KEYS.items()},
    "History": {binding_id: keys for binding_id, (keys, _d, _s) in HISTORY_KEYS.items()},
    "Tool question": {
        binding_id: keys for binding_id, (keys, _d, _s) in TOOL_QUESTION_KEYS.items()
    },
    "On a tool call": {binding_id: keys for binding_id, (keys, _d, _s) in TOOL_BLOCK_KEYS.items()},
    **SCREEN_KEYS,
}
CONTEXTS: tuple[tuple[str, ...], ...] = (
    ("Anywhere", "Chat", "Prompt"),
    ("Anywhere", "Chat", "On a message"),
    ("Anywhere", "Chat", "On a message", "On a tool call"),  # a tool round is a message too
    ("Anywhere", "History"),
    ("Anywhere", "Tool question"),  # a modal: the chat's keys are not live under it
    *(("Anywhere", screen) for screen in SCREEN_KEYS),
)
_SCOPE_OF = {binding_id: scope for scope, table in SCOPES.items() for binding_id in table}
_DEFAULTS = {binding_id: keys for table in SCOPES.values() for binding_id, keys in table.items()}


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


def _split(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",") if key.strip()]


@dataclass(frozen=True)
class KeymapCheck:
    """The keymap to apply (the user's entries without problems) and one line per problem."""

    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _name(binding_id: str) -> str:
    """What a binding is called in a problem line: its id, or what a prompt key does."""
    if binding_id.startswith("prompt:"):
        key = binding_id.removeprefix("prompt:")
        return f"the prompt's key to {dict(PROMPT_KEYS)[key]}"
    return f"{binding_id}'s key"


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
        elif part and part[0] == "f" and part[1:].isdigit():
            parts.append(part.upper())
        else:
            parts.append(part.capitalize())
    if len(parts) > 1 and len(parts[-1]) == 1:
        parts[-1] = parts[-1].upper()  # Ctrl+O, as printed on keys; a lone key stays as typed
    return "+".join(parts)


_label = key_label


def _conflicts(keymap: Mapping[str, str]) -> dict[str, tuple[str, str, str]]:
    """User entries that put a key on two actions in one place: id -> (key, other id, scope).

    Only pairs the user made count: two actions that share a key by default decide between
    themselves (`check_action`), as they do without a keymap."""
    live = {
        binding_id: _split(keymap.get(binding_id, keys)) for binding_id, keys in _DEFAULTS.items()
    }
    found: dict[str, tuple[str, str, str]] = {}
    for context in CONTEXTS:
        ids = [binding_id for scope in context for binding_id in SCOPES[scope]]
        for first, second in itertools.combinations(ids, 2):
            for key in set(live[first]) & set(live[second]):
                if key in _split(_DEFAULTS[first]) and key in _split(_DEFAULTS[second]):
                    continue  # a shared default, not the user's doing
                for mine, other in ((first, second), (second, first)):
                    mine_by_default = key in _split(_DEFAULTS[mine])
                    if mine in keymap and not mine_by_default and mine not in found:
                        found[mine] = (key, other, _SCOPE_OF[other])
    return found


def check_keymap(
    keymap: Mapping[str, str], *, text: str = "", where: str = "config.toml"
) -> KeymapCheck:
    """Check `[settings.keymap]`: the entries to apply, and a line for each one left out.

    `text` is config.toml's text (for the line of each entry), `where` what to call the file.
    An entry left out keeps the binding's default keys. A conflict is settled by leaving out the
    user's entries in it and checking again, so what is applied has no conflict the user made."""
    problems: dict[str, str] = {}
    usable: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        if binding_id not in KEYMAP_IDS:
            problems[binding_id] = (
                "no such binding id (F1 lists the keys; the README lists the ids); ignored"
            )
        elif not _split(keys):
            problems[binding_id] = f"no keys given; it keeps its default, {_keys(binding_id)}"
        else:
            usable[binding_id] = ",".join(_split(keys))
    while conflicts := _conflicts(usable):
        for binding_id, (key, other, scope) in conflicts.items():
            del usable[binding_id]
            problems[binding_id] = (
                f"{_label(key)} is also {_name(other)} ({scope}); "
                f"{binding_id} keeps its default, {_keys(binding_id)}"
            )
    return KeymapCheck(
        usable,
        [_problem_line(i, keymap, problems[i], text, where) for i in keymap if i in problems],
    )


def _keys(binding_id: str) -> str:
    return " / ".join(_label(key) for key in _split(_DEFAULTS[binding_id]))


def _problem_line(
    binding_id: str, keymap: Mapping[str, str], problem: str, text: str, where: str
) -> str:
    from craft_tui.untrusted import shown_inline

    line = None
    if text:
        from craft_tui.config.source import key_lines

        try:
            line = key_lines(text).get(("settings", "keymap", binding_id))
        except Exception:  # the file was read; a locator hiccup must not stop the app
            line = None
    at = f"{where} line {line}" if line else where
    value = keymap[binding_id].replace("\\", "\\\\").replace('"', '\\"')
    entry = shown_inline(f'{binding_id} = "{value}"')
    return f"{at}: [settings.keymap] {entry}: {shown_inline(problem)}."


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
