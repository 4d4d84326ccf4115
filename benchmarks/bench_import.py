"""Import (issue 17): a ChatGPT `conversations.json` and a craft-tui JSON export of the same
history, read and stored, against the baseline of storing the same messages through the
store's own `add_message`/`finish_message` (what chatting does), in the same run.

    .venv/bin/python benchmarks/bench_import.py [--conversations 1000] [--messages 20]

Each row is wall time and CPU time of one run into a fresh history file (a new temporary
folder each time), and its ratio to the baseline's wall time. Also printed: exporting every
conversation to JSON and to Markdown.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from craft_tui.chat.export import export_text
from craft_tui.chat.history import HistoryStore
from craft_tui.chat.importers import store_all
from craft_tui.chat.importers.reading import read_any

WORDS = [
    "glacier",
    "ice",
    "moves",
    "slowly",
    "under",
    "its",
    "own",
    "weight",
    "and",
    "the",
    "valley",
    "floor",
    "shapes",
    "it",
]


def _text(seed: int, words: int = 60) -> str:
    return " ".join(WORDS[(seed * 7 + i) % len(WORDS)] for i in range(words))


def chatgpt_file(folder: Path, conversations: int, messages: int) -> Path:
    """A linear ChatGPT export: root node, then prompt/answer pairs."""
    data = []
    for c in range(conversations):
        mapping: dict[str, object] = {
            "root": {"id": "root", "message": None, "parent": None, "children": ["n0"]}
        }
        for m in range(messages):
            role = "user" if m % 2 == 0 else "assistant"
            mapping[f"n{m}"] = {
                "id": f"n{m}",
                "parent": "root" if m == 0 else f"n{m - 1}",
                "children": [f"n{m + 1}"] if m + 1 < messages else [],
                "message": {
                    "author": {"role": role},
                    "create_time": 1_700_000_000 + c * 100 + m,
                    "content": {"content_type": "text", "parts": [_text(c + m)]},
                    "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
                },
            }
        data.append(
            {
                "id": f"conv-{c}",
                "title": f"Talk {c}",
                "create_time": 1_700_000_000 + c * 100,
                "current_node": f"n{messages - 1}",
                "mapping": mapping,
            }
        )
    file = folder / "conversations.json"
    file.write_text(json.dumps(data))
    return file


def timed(what: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    what()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    n, m = args.conversations, args.messages
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        chatgpt = chatgpt_file(root, n, m)

        def baseline() -> None:
            store = HistoryStore.open(root / "base.db")
            for c in range(n):
                conv = store.create_conversation(title=f"Talk {c}")
                parent = None
                for i in range(m):
                    role = "user" if i % 2 == 0 else "assistant"
                    msg = store.add_message(conv.id, parent_id=parent, role=role, text=_text(c + i))
                    if role == "assistant":
                        store.finish_message(msg.id, finish_reason="stop")
                    parent = msg.id
            store.close()

        def from_chatgpt() -> None:
            store = HistoryStore.open(root / "chatgpt.db")
            store_all(store, read_any(chatgpt, "chatgpt")[1], skip_existing=True)
            store.close()

        ours = root / "ours.json"

        def export_json() -> None:
            from craft_tui.chat.export import to_json

            store = HistoryStore.open(root / "chatgpt.db")
            ids = [c.id for c in store.list_conversations(limit=n)]
            ours.write_text(to_json(store, ids))
            store.close()

        def export_md() -> None:
            store = HistoryStore.open(root / "chatgpt.db")
            for c in store.list_conversations(limit=n):
                export_text(store, c.id, "md")
            store.close()

        def from_ours() -> None:
            store = HistoryStore.open(root / "ours.db")
            store_all(store, read_any(ours, "craft")[1])
            store.close()

        rows = [
            ("baseline: add_message + finish_message", baseline),
            ("import ChatGPT conversations.json", from_chatgpt),
            ("export all to one craft-tui JSON", export_json),
            ("export each to Markdown", export_md),
            ("import the craft-tui JSON", from_ours),
        ]
        print(
            f"{n} conversations x {m} messages ({n * m} messages), {chatgpt.stat().st_size >> 20} MB ChatGPT file"
        )
        base = None
        for name, run in rows:
            wall, cpu = timed(run)
            base = base or wall
            print(f"  {name:<42} wall {wall:7.2f} s  cpu {cpu:7.2f} s  x{wall / base:5.2f}")


if __name__ == "__main__":
    main()
