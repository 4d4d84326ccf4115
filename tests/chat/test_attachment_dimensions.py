"""An image's pixels as sent are kept in its part row's JSON (`width`, `height`), so a reopened
conversation lists them without reading the image; rows without them (written before, or edited
by hand with nonsense) read back as parts with no known dimensions, nothing else changed."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from craft_tui.chat import attachments as att
from craft_tui.chat.export import to_markdown
from craft_tui.chat.history import HistoryStore
from craft_tui.chat.stored_parts import LoadedRow, parts_from, rows_for
from craft_tui.providers.content import AttachmentPart, TextPart


@pytest.fixture(autouse=True)
def _nothing_remembered() -> Iterator[None]:
    att._DIMENSIONS.clear()
    yield
    att._DIMENSIONS.clear()


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, format="PNG")
    return out.getvalue()


def test_an_image_row_carries_its_pixels_and_other_files_none() -> None:
    image = AttachmentPart.from_bytes(png(320, 200), "image/png", "a.png")
    text = AttachmentPart.from_bytes(b"hello", "text/plain", "a.txt")
    rows = rows_for((TextPart("see"), image, text))
    assert json.loads(rows[1][4] or "") == {
        "media_type": "image/png",
        "name": "a.png",
        "width": 320,
        "height": 200,
    }
    assert json.loads(rows[2][4] or "") == {"media_type": "text/plain", "name": "a.txt"}


def test_pixels_read_back_without_bytes_and_nonsense_is_ignored() -> None:
    def row(meta: dict[str, object], sha: str) -> LoadedRow:
        return LoadedRow("attachment", 0, None, json.dumps(meta), sha, 1234)

    good = row({"media_type": "image/jpeg", "name": "p.jpg", "width": 1568, "height": 1176}, "a1")
    bad = row({"media_type": "image/png", "name": "q.png", "width": "9", "height": -1}, "b2")
    old = row({"media_type": "image/png", "name": "r.png"}, "c3")
    parts = parts_from([good, bad, old], "", "")
    assert all(isinstance(p, AttachmentPart) and p.data is None for p in parts)
    shown = [att.describe(p) for p in parts if isinstance(p, AttachmentPart)]
    assert shown == [
        "p.jpg · image/jpeg · 1 KB · 1568×1176",
        "q.png · image/png · 1 KB",
        "r.png · image/png · 1 KB",
    ]
    # Written again (an edit keeps the part): the pixels stay in the row.
    (rewritten,) = [r for r in rows_for(parts) if r[5] == "a1"]
    assert json.loads(rewritten[4] or "")["width"] == 1568


def test_the_markdown_export_lists_files_with_size_pixels_and_a_harmless_name(
    tmp_path: Path,
) -> None:
    store = HistoryStore.open(tmp_path / "h.db")
    conversation = store.create_conversation()
    name = "[x](https://evil.example) <img src=x> *b*.png"
    parts = (
        TextPart("Look"),
        AttachmentPart.from_bytes(png(640, 480), "image/png", name),
        AttachmentPart.from_bytes(b"a,b\n", "text/csv", "figures.csv"),
    )
    store.add_message(conversation.id, parent_id=None, role="user", parts=parts)
    att._DIMENSIONS.clear()  # another process: the pixels come from the stored rows
    loaded, branch = store.load_conversation(conversation.id)
    text = to_markdown(loaded, branch)
    size = f"{parts[1].size:,}"
    assert (
        r"*Attached: \[x\](https://evil.example) \<img src=x\> \*b\*.png "
        f"(image/png, {size} bytes, 640×480)*"
    ) in text
    assert "*Attached: figures.csv (text/csv, 4 bytes)*" in text
    (line,) = [line for line in text.splitlines() if "evil" in line]
    assert re.search(r"(?<!\\)[\[\]<>]", line) is None  # nothing Markdown would act on
    store.close()
