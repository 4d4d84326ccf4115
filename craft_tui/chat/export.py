"""A conversation as Markdown (to read or share) and as JSON (to keep, or move to another machine).

Markdown is the branch the user is looking at: the title, then each message under a heading that
says who wrote it, which connection and model answered, and when (UTC). The text is as written,
so code blocks and lists render as they did in the app; reasoning goes in a `<details>` block
(or is left out).

JSON (`"format": "craft-tui/1"`) is everything: every branch, every message with its parts,
figures and attribution, the bytes of its attachments (base64), and the conversation's fields
(`pinned` since schema v4; a file without it imports unpinned; an answer's usage has
`cache_write_tokens` since schema v6, absent in older files: unknown). `message_json` is the one
writer of message JSON: `craft-tui history show --json` uses it too.
`read_document` takes it back losslessly: exporting what was imported gives the same JSON (the
ids are kept unless the history already holds them). A file is outside data: every field is
checked for its type, and whatever is wrong is an `ImportProblem` naming the file and the field.
JSON is written with `ensure_ascii`, so a control character in a message is an escape in the
file, never a raw byte on a terminal that prints it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, get_args

from craft_tui.chat.conversation import Conversation, Role, StoredMessage
from craft_tui.chat.importers import Imported, ImportProblem, checked, utc
from craft_tui.providers.content import (
    AttachmentPart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from craft_tui.untrusted import shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.history import HistoryStore

FORMAT = "craft-tui/1"
_ROLES = frozenset(get_args(Role))
_USAGE = (
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cache_write_tokens",  # since history schema v6; absent in older files: None
    "reasoning_tokens",
)
_FIGURES = ("cost_usd", "ttft_s", "tokens_per_s")
_WHO = {"user": "You", "assistant": "Assistant", "tool": "Tool result"}


# ---------------------------------------------------------------- Markdown


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def to_markdown(
    conversation: Conversation, branch: Sequence[StoredMessage], *, reasoning: bool = True
) -> str:
    """The branch as Markdown: a `#` title, then one `##` heading per message."""
    title = " ".join(conversation.title.split()) or "Untitled conversation"
    lines = [f"# {title}", ""]
    for message in branch:
        heading = [_WHO.get(message.role, message.role)]
        if message.role != "user":
            source = " · ".join(x for x in (message.connection_slug, message.model) if x)
            if source:
                heading.append(" ".join(source.split()))
        if message.created_at is not None:
            heading.append(_when(message.created_at))
        lines += [f"## {' · '.join(heading)}", ""]
        ending = _ending(message)
        for part in message.parts:
            lines += _part_markdown(part, reasoning=reasoning)
        if ending:
            lines += [f"*{ending}*", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _part_markdown(part: Part, *, reasoning: bool) -> list[str]:
    match part:
        case TextPart(text=text):
            return [text.rstrip("\n"), ""] if text else []
        case ReasoningPart(text=text):
            if not reasoning or not text:
                return []
            return [
                "<details><summary>Reasoning</summary>",
                "",
                text.rstrip("\n"),
                "",
                "</details>",
                "",
            ]
        case AttachmentPart():
            return [f"*Attached: {_attachment_words(part)}*", ""]
        case ToolCallPart(name=name, arguments=arguments):
            return [f"*Tool call: {' '.join(name.split())}*", "", "```json", arguments, "```", ""]
        case ToolResultPart(text=text, is_error=is_error):
            label = "*Tool error:*" if is_error else "*Tool result:*"
            return [label, "", "```", text.rstrip("\n"), "```", ""]
    return []


# What Markdown would read as emphasis, a link, code, HTML or a table cell in a file's name.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>#|!~])")


def _attachment_words(part: AttachmentPart) -> str:
    """`cat.png (image/png, 264 bytes, 640×480)`: the name on one line with Markdown's active
    characters escaped (a file name is outside text: it must not become a link, HTML or the
    end of the emphasis around it), the media type, the exact size, and an image's pixels
    when the history kept them (`chat/stored_parts.py`; the bytes are not read for this)."""
    from craft_tui.chat.attachments import sent_dimensions

    name = " ".join(shown_inline(part.name or part.id[:12]).split())
    name = _MARKDOWN_ACTIVE.sub(r"\\\1", name)
    media = _MARKDOWN_ACTIVE.sub(r"\\\1", " ".join(part.media_type.split()))
    words = [media, f"{part.size:,} bytes"]
    shape = sent_dimensions(part)
    if shape is not None:
        words.append(f"{shape[0]}×{shape[1]}")
    return f"{name} ({', '.join(words)})"


def _ending(message: StoredMessage) -> str:
    """How an answer ended, when it did not simply stop."""
    if message.role != "assistant" or message.finish_reason == "stop":
        return ""
    if message.error_kind is not None:
        reason = " ".join((message.error_message or message.error_kind).split())
        return f"Failed: {reason}"
    if message.finish_reason is None:
        return "Unfinished"
    return {"cancelled": "Stopped"}.get(message.finish_reason, f"Ended: {message.finish_reason}")


# ---------------------------------------------------------------- JSON out


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _part_json(part: Part) -> dict[str, Any]:
    match part:
        case TextPart(text=text):
            return {"type": "text", "text": text}
        case ReasoningPart(text=text, signature=signature, encrypted=encrypted):
            out: dict[str, Any] = {"type": "reasoning", "text": text}
            if signature is not None:
                out["signature"] = signature
            if encrypted is not None:
                out["encrypted"] = encrypted
            return out
        case AttachmentPart(id=sha, media_type=media, size=size, name=name):
            return {
                "type": "attachment",
                "sha256": sha,
                "media_type": media,
                "size": size,
                "name": name,
            }
        case ToolCallPart(id=call_id, name=name, arguments=arguments):
            return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}
        case ToolResultPart(call_id=call_id, text=text, is_error=is_error, name=name):
            return {
                "type": "tool_result",
                "call_id": call_id,
                "name": name,
                "text": text,
                "is_error": is_error,
            }
    raise AssertionError(part)


def message_json(message: StoredMessage) -> dict[str, Any]:
    """One message as the `craft-tui/1` file holds it: the one writer of message JSON, used by
    the export and by `craft-tui history show --json`. The field names are a file format people
    keep: add fields, never rename one."""
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": message.role,
        "text": message.text,
        "reasoning": message.reasoning,
        "parts": [_part_json(part) for part in message.parts],
        "connection_slug": message.connection_slug,
        "model": message.model,
        "usage": {name: getattr(message, name) for name in _USAGE},
        **{name: getattr(message, name) for name in _FIGURES},
        "finish_reason": message.finish_reason,
        "error_kind": message.error_kind,
        "error_message": message.error_message,
        "created_at": _iso(message.created_at),
        "updated_at": _iso(message.updated_at),
    }


def conversation_json(store: HistoryStore, conversation_id: str) -> dict[str, Any]:
    """One conversation, every branch, as the JSON object a document lists."""
    conversation = store.get_conversation(conversation_id)
    messages = store.all_messages(conversation_id)
    return {
        "id": conversation.id,
        "title": conversation.title,
        "system_prompt": conversation.system_prompt,
        "connection_slug": conversation.connection_slug,
        "model": conversation.model,
        "active_leaf_id": conversation.active_leaf_id,
        "created_at": _iso(conversation.created_at),
        "updated_at": _iso(conversation.updated_at),
        "pinned": conversation.pinned,
        "messages": [message_json(message) for message in messages],
    }


def to_json(store: HistoryStore, conversation_ids: Sequence[str]) -> str:
    """A `craft-tui/1` document of these conversations, their attachments' bytes included."""
    conversations = [conversation_json(store, cid) for cid in conversation_ids]
    wanted = {
        part["sha256"]
        for conversation in conversations
        for message in conversation["messages"]
        for part in message["parts"]
        if part["type"] == "attachment"
    }
    data = store.attachment_data(wanted)
    document = {
        "format": FORMAT,
        "conversations": conversations,
        "attachments": {sha: base64.b64encode(data[sha]).decode("ascii") for sha in sorted(data)},
    }
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


# ---------------------------------------------------------------- files


def export_text(
    store: HistoryStore, conversation_id: str, fmt: str, *, reasoning: bool = True
) -> tuple[str, int]:
    """The conversation as `fmt` ("md" or "json") and how many messages that holds."""
    if fmt == "json":
        return to_json(store, [conversation_id]), len(store.all_messages(conversation_id))
    conversation, branch = store.load_conversation(conversation_id)
    return to_markdown(conversation, branch, reasoning=reasoning), len(branch)


def write_new_file(target: Path, text: str, *, force: bool = False) -> None:
    """Write `text` to a file only the user can read (0600). An existing file (or a symlink)
    there is `FileExistsError` unless `force`, which replaces it atomically (a symlink is
    replaced, never followed). The folder must exist: a typo is not a reason to create folders."""
    from craft_tui.config.atomic import atomic_write_text

    if not target.parent.is_dir():
        raise FileNotFoundError(f"The folder of {target} does not exist.")
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder.")
    if force:
        atomic_write_text(target, text, mode=0o600)
        return
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


NAME_CAP = 80


def file_name(title: str, fmt: str) -> str:
    """A file name from a title: letters, digits, `-`, `_` and `.` kept, anything else (a `/`,
    a control character, a quote) a space; never hidden, never empty, at most NAME_CAP."""
    name = " ".join(re.sub(r"[^\w.-]+", " ", title, flags=re.ASCII).split())
    name = name.strip(" .-")[:NAME_CAP].rstrip(" .-")
    return f"{name or 'conversation'}.{fmt}"


def default_folder() -> Path:
    """The user's downloads folder, else documents, else home (platformdirs' idea of them)."""
    import platformdirs

    for folder in (platformdirs.user_downloads_dir(), platformdirs.user_documents_dir()):
        if folder and Path(folder).is_dir():
            return Path(folder)
    return Path.home()


# ---------------------------------------------------------------- JSON in


class _Fields:
    """Typed reads of one JSON object from a file; a wrong type is an ImportProblem that names
    the file and the field (`where`)."""

    def __init__(self, value: object, file: Path, where: str) -> None:
        if not isinstance(value, dict):
            raise ImportProblem(f"{file}: {where} is not a JSON object.")
        self.value: dict[str, object] = value
        self.file = file
        self.where = where

    def _wrong(self, key: str, what: str) -> ImportProblem:
        return ImportProblem(f"{self.file}: {self.where}: {key!r} is not {what}.")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.value.get(key, default)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.value.get(key)
        if value is not None and not isinstance(value, str):
            raise self._wrong(key, "a string or null")
        return value

    def optional_int(self, key: str) -> int | None:
        value = self.value.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise self._wrong(key, "a whole number or null")
        return value

    def optional_float(self, key: str) -> float | None:
        value = self.value.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._wrong(key, "a number or null")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self.value.get(key, False)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def time(self, key: str, *, required: bool = False) -> datetime | None:
        value = self.value.get(key)
        if value is None and not required:
            return None
        if isinstance(value, str):
            try:
                return utc(datetime.fromisoformat(value))
            except (ValueError, OverflowError):
                pass
        raise self._wrong(key, "an ISO 8601 time")

    def items(self, key: str) -> list[object]:
        value = self.value.get(key, [])
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return value

    def fields(self, key: str) -> _Fields:
        return _Fields(self.value.get(key) or {}, self.file, f"{self.where}, {key!r}")


def _part(fields: _Fields) -> Part:
    kind = fields.text("type")
    if kind == "text":
        return TextPart(fields.text("text"))
    if kind == "reasoning":
        return ReasoningPart(
            fields.text("text"),
            fields.optional_text("signature"),
            fields.optional_text("encrypted"),
        )
    if kind == "attachment":
        size = fields.optional_int("size") or 0
        return AttachmentPart(
            fields.text("sha256").lower(),
            fields.text("media_type", "application/octet-stream"),
            size,
            fields.optional_text("name"),
        )
    if kind == "tool_call":
        return ToolCallPart(fields.text("id"), fields.text("name"), fields.text("arguments"))
    if kind == "tool_result":
        return ToolResultPart(
            fields.text("call_id"), fields.text("text"), fields.flag("is_error"),
            fields.optional_text("name"),
        )  # fmt: skip
    raise ImportProblem(f"{fields.file}: {fields.where}: unknown part type {kind[:40]!r}.")


def _message(fields: _Fields, conversation_id: str) -> StoredMessage:
    role = fields.text("role")
    if role not in _ROLES:
        raise ImportProblem(
            f"{fields.file}: {fields.where}: role {role[:40]!r} is not user, assistant or tool."
        )
    parts = tuple(
        _part(_Fields(item, fields.file, f"{fields.where}, part {n + 1}"))
        for n, item in enumerate(fields.items("parts"))
    )
    usage = fields.fields("usage")
    return StoredMessage(
        id=fields.text("id"),
        conversation_id=conversation_id,
        parent_id=fields.optional_text("parent_id"),
        role=cast(Role, role),
        text="" if parts else fields.text("text", ""),
        reasoning="" if parts else fields.text("reasoning", ""),
        connection_slug=fields.optional_text("connection_slug"),
        model=fields.optional_text("model"),
        input_tokens=usage.optional_int("input_tokens"),
        output_tokens=usage.optional_int("output_tokens"),
        cached_tokens=usage.optional_int("cached_tokens"),
        cache_write_tokens=usage.optional_int("cache_write_tokens"),
        reasoning_tokens=usage.optional_int("reasoning_tokens"),
        cost_usd=fields.optional_float("cost_usd"),
        ttft_s=fields.optional_float("ttft_s"),
        tokens_per_s=fields.optional_float("tokens_per_s"),
        finish_reason=fields.optional_text("finish_reason"),
        error_kind=fields.optional_text("error_kind"),
        error_message=fields.optional_text("error_message"),
        created_at=fields.time("created_at"),
        updated_at=fields.time("updated_at"),
        parts=parts,
    )


def _conversation(fields: _Fields, attachments: dict[str, bytes]) -> Imported:
    conversation_id = fields.text("id")
    created = fields.time("created_at", required=True)
    assert created is not None
    conversation = Conversation(
        id=conversation_id,
        title=fields.text("title", ""),
        system_prompt=fields.optional_text("system_prompt"),
        created_at=created,
        updated_at=fields.time("updated_at") or created,
        connection_slug=fields.optional_text("connection_slug"),
        model=fields.optional_text("model"),
        active_leaf_id=fields.optional_text("active_leaf_id"),
        pinned=fields.flag("pinned"),  # absent in files from before pins: not pinned
    )
    messages = [
        _message(_Fields(item, fields.file, f"{fields.where}, message {n + 1}"), conversation_id)
        for n, item in enumerate(fields.items("messages"))
    ]
    return checked(Imported(conversation, messages, attachments), fields.file, fields.where)


def is_document(data: object) -> bool:
    """Whether parsed JSON claims to be one of ours (what `import` detects it by)."""
    return isinstance(data, dict) and data.get("format") == FORMAT


def read_document(data: object, file: Path) -> list[Imported]:
    """The conversations of a parsed `craft-tui/1` document, checked; never half read."""
    top = _Fields(data, file, "the file")
    found = top.value.get("format")
    if found != FORMAT:
        shown = found[:40] if isinstance(found, str) else found
        raise ImportProblem(f"{file}: 'format' is {shown!r}, not {FORMAT!r}.")
    attachments: dict[str, bytes] = {}
    for sha, encoded in top.fields("attachments").value.items():
        try:
            if not isinstance(encoded, str):
                raise ValueError
            attachments[sha.lower()] = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise ImportProblem(f"{file}: attachment {sha[:12]!r} is not base64 text.") from None
    items = top.items("conversations")
    return [
        _conversation(_Fields(item, file, f"conversation {n + 1}"), attachments)
        for n, item in enumerate(items)
    ]
