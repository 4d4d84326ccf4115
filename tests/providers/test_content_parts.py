"""The content vocabulary's own rules: which files go as what, how a text file reads to the
model, that attachment bytes never reach a repr (a log line), and that the text-only
constructors and the parts constructors describe the same message."""

from __future__ import annotations

import pytest

from craft_tui.providers.content import (
    AttachmentPart,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    file_as_text,
    is_plain,
    plain_parts,
)
from craft_tui.providers.types import ChatMessage


@pytest.mark.parametrize(
    ("media_type", "kind"),
    [
        ("image/png", "image"),
        ("IMAGE/JPEG", "image"),
        ("image/webp", "image"),
        ("image/svg+xml", "other"),  # no protocol takes it as an image
        ("application/pdf", "pdf"),
        ("text/markdown; charset=utf-8", "text"),
        ("application/json", "text"),
        ("application/ld+json", "text"),
        ("application/zip", "other"),
    ],
)
def test_a_file_is_sent_as_what_its_media_type_says(media_type: str, kind: str) -> None:
    assert AttachmentPart.from_bytes(b"x", media_type).kind == kind


def test_a_text_file_reads_as_its_name_and_content_invalid_bytes_replaced() -> None:
    part = AttachmentPart.from_bytes(b"ok \xff\xfe end", "text/plain", "a.txt")
    assert file_as_text(part) == '<file name="a.txt">\nok \ufffd\ufffd end\n</file>'


def test_attachment_bytes_are_never_in_a_repr_nor_in_equality() -> None:
    part = AttachmentPart.from_bytes(b"SECRET-BYTES" * 100, "image/png", "x.png")
    assert "SECRET" not in repr(part)
    assert part == AttachmentPart(part.id, "image/png", part.size, "x.png")  # bytes not loaded


def test_text_constructors_and_parts_constructors_agree() -> None:
    assert ChatMessage("assistant", "a", reasoning="r") == ChatMessage(
        "assistant", parts=(ReasoningPart("r"), TextPart("a"))
    )
    assert ChatMessage("user", "").parts == ()
    assert is_plain(plain_parts("a", "r"))
    assert not is_plain((TextPart("a"), ReasoningPart("r")))  # order matters once signed
    assert not is_plain((ReasoningPart("r", signature="s"), TextPart("a")))
    assert not is_plain((TextPart("a"), ToolCallPart("1", "t", "{}")))
