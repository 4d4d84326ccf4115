"""ChatGPT's data export (`conversations.json`): every conversation, with its branches.

The file is a list of conversations; each has a `mapping` of nodes (`id`, `parent`, `children`,
and a `message` with `author.role`, `content.parts`, `create_time`, `metadata.model_slug`) and
the `current_node` the user last looked at. Edits and regenerations are sibling nodes, as in
our tree, so the branches are kept and `current_node` becomes the active leaf.

What is kept: user and assistant messages with text (an image or file the export only points
to becomes a one-line note); a `thoughts` node becomes the reasoning of the answer below it.
What is dropped: the hidden system and context nodes, tool output, and code the model sent to a
tool (`recipient` other than `all`): an imported branch alternates prompt and answer as a
provider expects. Children of a dropped node hang from the nearest kept ancestor, so the tree
stays whole. The first visible system message, if any, becomes the
conversation's system prompt. Answers are attributed to `chatgpt` and the model slug, at the
time the export gives. Ids are derived from ChatGPT's, so importing the same export twice skips
what is there already.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from craft_tui.chat.conversation import Conversation, StoredMessage
from craft_tui.chat.importers import (
    Imported,
    ImportProblem,
    checked,
    derived_id,
    from_epoch,
)

CONNECTION = "chatgpt"
"""The connection slug answers are attributed to (a label: no such connection needs to exist)."""


def looks_like(data: object) -> bool:
    """A list whose first item is a conversation with a `mapping` (what auto-detection checks)."""
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and isinstance(data[0].get("mapping"), dict)
    )


def read(data: object, file: Path) -> list[Imported]:
    """Every conversation of a parsed `conversations.json`, checked; nothing is half read."""
    if isinstance(data, dict) and isinstance(data.get("mapping"), dict):
        data = [data]  # one conversation on its own
    if not isinstance(data, list):
        raise ImportProblem(f"{file}: a ChatGPT export is a list of conversations.")
    found = []
    for number, item in enumerate(data, 1):
        where = f"conversation {number}"
        if not isinstance(item, dict) or not isinstance(item.get("mapping"), dict):
            raise ImportProblem(f"{file}: {where} has no 'mapping' of messages.")
        imported = _conversation(item, file, where)
        if imported.messages:
            found.append(imported)
    return found


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _content(content: object) -> tuple[str, str]:
    """(text, reasoning) of a message's `content`."""
    if not isinstance(content, dict):
        return "", ""
    kind = content.get("content_type")
    if kind == "thoughts":
        thoughts = content.get("thoughts")
        pieces = (
            [_text(t.get("content")) for t in thoughts if isinstance(t, dict)]
            if isinstance(thoughts, list)
            else []
        )
        return "", "\n\n".join(p for p in pieces if p)
    if kind == "reasoning_recap":
        return "", ""
    if isinstance(content.get("text"), str):  # code, execution_output, …
        return str(content["text"]), ""
    parts = content.get("parts")
    if not isinstance(parts, list):
        return "", ""
    pieces = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(part)
        elif isinstance(part, dict):
            what = _text(part.get("content_type")) or "attachment"
            name = _text(part.get("name")) or _text(part.get("asset_pointer"))
            pieces.append(f"[{what}{': ' + name if name else ''} — not in the export]")
    return "\n".join(p for p in pieces if p), ""


def _conversation(item: dict[str, object], file: Path, where: str) -> Imported:
    mapping = item["mapping"]
    assert isinstance(mapping, dict)
    source_id = _text(item.get("conversation_id")) or _text(item.get("id"))
    created = from_epoch(item.get("create_time"), file, f"{where}, 'create_time'")
    updated = from_epoch(item.get("update_time"), file, f"{where}, 'update_time'")
    start = created or updated or datetime.fromtimestamp(0, UTC)
    conversation_id = derived_id("chatgpt", source_id or f"{file}:{where}")
    kept: dict[str, str | None] = {}  # node id -> our id of it or its nearest kept ancestor
    messages: list[StoredMessage] = []
    system_prompt: str | None = None

    def nearest(node_id: object, seen: set[str]) -> str | None:
        """Our id of the nearest kept node at or above `node_id`."""
        while isinstance(node_id, str) and node_id not in kept and node_id not in seen:
            seen.add(node_id)
            node = mapping.get(node_id)
            node_id = node.get("parent") if isinstance(node, dict) else None
        return kept.get(node_id) if isinstance(node_id, str) else None

    carried: dict[str, str] = {}  # reasoning of skipped thinking nodes, for the answer below
    for node_id in _walk(mapping):
        node = mapping[node_id]
        message = node.get("message") if isinstance(node, dict) else None
        above = node.get("parent") if isinstance(node, dict) else None
        parent = nearest(above, set())
        kept[node_id] = parent
        carried[node_id] = carried.get(above, "") if isinstance(above, str) else ""
        if not isinstance(message, dict):
            continue
        author = message.get("author")
        role = author.get("role") if isinstance(author, dict) else None
        text, reasoning = _content(message.get("content"))
        metadata = message.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        if role == "system":
            if (
                system_prompt is None
                and text.strip()
                and not metadata.get("is_visually_hidden_from_conversation")
            ):
                system_prompt = text
            continue
        if role == "assistant" and not text and reasoning:  # thinking before the answer
            carried[node_id] = "\n\n".join(r for r in (carried[node_id], reasoning) if r)
            continue
        hidden = bool(metadata.get("is_visually_hidden_from_conversation"))
        to_tool = message.get("recipient") not in (None, "all")  # code sent to a tool
        if role not in ("user", "assistant") or hidden or to_tool or not text:
            continue
        if role == "assistant":
            reasoning = "\n\n".join(r for r in (carried[node_id], reasoning) if r)
        carried[node_id] = ""
        model = _text(metadata.get("model_slug"))
        when = from_epoch(
            message.get("create_time"), file, f"{where}, node {node_id[:40]!r}, 'create_time'"
        )
        our_role: Literal["user", "assistant"] = "user" if role == "user" else "assistant"
        our_id = derived_id("chatgpt", f"{source_id}\0{node_id}")
        messages.append(
            StoredMessage(
                id=our_id,
                conversation_id=conversation_id,
                parent_id=parent,
                role=our_role,
                text=text,
                reasoning=reasoning,
                connection_slug=CONNECTION if our_role == "assistant" else None,
                model=(model or None) if our_role == "assistant" else None,
                finish_reason="stop" if our_role == "assistant" else None,
                created_at=when or start,
                updated_at=when or start,
            )
        )
        kept[node_id] = our_id
    current = item.get("current_node")
    leaf = nearest(current, set()) if isinstance(current, str) else None
    conversation = Conversation(
        id=conversation_id,
        title=_text(item.get("title")),
        system_prompt=system_prompt,
        created_at=start,
        updated_at=updated or max((m.created_at for m in messages if m.created_at), default=start),
        connection_slug=None,  # the next prompt goes to the user's default connection
        model=None,
        active_leaf_id=leaf,
    )
    return checked(Imported(conversation, messages), file, where)


def _walk(mapping: dict[object, object]) -> list[str]:
    """Node ids, each after its parent (roots first, children in the export's order); nodes on
    a loop or below a missing parent come last, hung from the nearest kept node."""
    children: dict[str | None, list[str]] = {}
    for node_id, node in mapping.items():
        if not isinstance(node_id, str) or not isinstance(node, dict):
            continue
        parent = node.get("parent")
        key = parent if isinstance(parent, str) and parent in mapping else None
        children.setdefault(key, []).append(node_id)
    order: list[str] = []
    seen: set[str] = set()
    stack = list(reversed(children.get(None, [])))
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        order.append(node_id)
        stack.extend(reversed(children.get(node_id, [])))
    order += [
        n for n in mapping if isinstance(n, str) and n not in seen and isinstance(mapping[n], dict)
    ]
    return order
