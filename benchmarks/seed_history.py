"""Fill craft-tui's history (in the current HOME / XDG / CRAFT_TUI_HOME) for the benchmarks.

    python benchmarks/seed_history.py --template /tmp/h.db --conversations 10000 --messages 2
    python benchmarks/seed_history.py --install /tmp/h.db      # copy it to history_file()

Building the file once and copying it into each run's fresh HOME keeps the seeding (thousands of
commits) out of the measured time. The newest conversation ends with the word ZZLASTZZ, so a
benchmark can wait until that conversation is on screen.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from craft_tui.chat.history import HistoryStore
from craft_tui.config.paths import history_file

ANSWER = (
    "Here is a **short** answer with `inline code` and a list:\n\n"
    "- first point, explained in a sentence or two\n- second point\n\n"
    "```python\ndef add(a, b):\n    return a + b\n```\n\nThat should help. "
)


def build(template: Path, conversations: int, messages: int) -> None:
    """`conversations` conversations; the last one has `messages` messages (at least 2)."""
    template.unlink(missing_ok=True)
    store = HistoryStore.open(template)
    db = store._db  # one transaction for the filler: seconds instead of minutes
    db.execute("BEGIN")
    store._db = _NoCommit(db)  # type: ignore[assignment]
    try:
        for index in range(conversations - 1):
            conversation = store.create_conversation(connection_slug="mock", model="mock")
            user = store.add_message(
                conversation.id, parent_id=None, role="user", text=f"Question {index}?"
            )
            store.add_message(
                conversation.id, parent_id=user.id, role="assistant", text=ANSWER,
                connection_slug="mock", model="mock",
            )  # fmt: skip
    finally:
        store._db = db
        db.execute("COMMIT")
    conversation = store.create_conversation(connection_slug="mock", model="mock")
    parent = None
    for index in range(max(2, messages)):
        last = index == max(2, messages) - 1
        if index % 2 == 0:
            text = f"Question number {index // 2}: how does this work?"
            row = store.add_message(conversation.id, parent_id=parent, role="user", text=text)
        else:
            text = ANSWER + (" ZZLASTZZ" if last else "")
            row = store.add_message(
                conversation.id, parent_id=parent, role="assistant", text=text,
                connection_slug="mock", model="mock",
            )  # fmt: skip
        parent = row.id
    store.close()


class _NoCommit:
    """Passes everything to the sqlite connection, but ignores BEGIN/COMMIT issued per write."""

    def __init__(self, db: object) -> None:
        self._db = db

    def execute(self, sql: str, *args: object) -> object:
        if sql.strip().upper().split()[0] in {"BEGIN", "COMMIT"}:
            return None
        return self._db.execute(sql, *args)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._db, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", type=Path)
    parser.add_argument("--conversations", type=int, default=1)
    parser.add_argument("--messages", type=int, default=2)
    parser.add_argument("--install", type=Path, help="copy this file to the history location")
    args = parser.parse_args()
    if args.install:
        target = history_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.install, target)
        return 0
    build(args.template, args.conversations, args.messages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
