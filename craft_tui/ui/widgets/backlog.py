"""Answer text that has arrived but is not on screen yet, handed to the body in bounded pieces.

Why pieces: the body's cost per write grows with what it is given (Markdown is parsed, blocks are
built and laid out, all inside one turn of the event loop). Written whole, a fast stream's backlog
or one huge delta (a 10 MB event froze the UI for 14 s) blocks keys — Esc included — until it is
done. Handed out a piece at a time, each write is bounded and input is handled between two.

A delta of `PLAIN_DELTA` characters or more is no token stream: from its first character on, the
answer is drawn as plain text (`plain` in `take`), which costs a few times its size instead of a
few hundred (see `AnswerBody`).
"""

from __future__ import annotations

from collections import deque

# One delta this large (≈ 64,000 tokens at once) comes only from a broken or hostile server, or a
# whole answer sent in one piece; Markdown for it would cost hundreds of bytes per character.
PLAIN_DELTA = 256 * 1024


class Backlog:
    """A queue of text fragments read from the front in pieces, without copying what is left."""

    def __init__(self) -> None:
        self._parts: deque[str] = deque()
        self._offset = 0  # characters of the first part already taken
        self._size = 0  # characters queued
        self._taken = 0  # characters taken since the start of the answer
        self._plain_from: int | None = None  # position from which the answer is drawn plain

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def push(self, text: str) -> None:
        """Queue a fragment; one of `PLAIN_DELTA` characters or more turns the answer plain."""
        if not text:
            return
        if len(text) >= PLAIN_DELTA and self._plain_from is None:
            self._plain_from = self._taken + self._size
        self._parts.append(text)
        self._size += len(text)

    @property
    def plain_next(self) -> bool:
        """Whether the next piece is drawn as plain text."""
        return self._plain_from is not None and self._taken >= self._plain_from

    def take(self, limit: int) -> tuple[str, bool]:
        """Up to `limit` characters from the front, and whether they are drawn as plain text.

        A piece never runs across the place where the answer turns plain. When a fragment is cut,
        the cut goes after a line break in the last quarter of the piece if there is one, so the
        body can start its next segment at a line.
        """
        plain = self.plain_next
        if not plain and self._plain_from is not None:
            limit = min(limit, self._plain_from - self._taken)
        out: list[str] = []
        room = max(1, limit)
        while room and self._parts:
            first = self._parts[0]
            left = len(first) - self._offset
            if left <= room:
                out.append(first[self._offset :] if self._offset else first)
                self._parts.popleft()
                self._offset = 0
                room -= left
                continue
            end = self._offset + room
            newline = first.rfind("\n", end - room // 4, end)
            if newline >= 0:
                end = newline + 1
            out.append(first[self._offset : end])
            room -= end - self._offset
            self._offset = end
            break
        piece = "".join(out)
        self._size -= len(piece)
        self._taken += len(piece)
        return piece, plain

    def clear(self) -> None:
        self._parts.clear()
        self._offset = 0
        self._size = 0
