"""untrusted.py: outside text never reaches a terminal as a control, and the user can see what was
there. These are the rules every boundary (CLI and app) relies on."""

from __future__ import annotations

import io
import unicodedata

import pytest

from craft_tui.untrusted import DisarmedStream, plain, raw_stream, shown, shown_inline

ESC, BEL = "\x1b", "\x07"

# Every code point a terminal may act on: C0 but newline and tab, DEL, C1.
CONTROLS = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)) if c not in (9, 10)]


def _acts_on_terminal(text: str) -> list[str]:
    """The characters in `text` that a terminal would interpret (beyond newline and tab)."""
    return [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\t"]


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_control_character_becomes_a_visible_stand_in(control: str) -> None:
    for result in (shown(f"a{control}b"), shown_inline(f"a{control}b")):
        assert _acts_on_terminal(result) == []
        assert result.startswith("a") and result.endswith("b")
        assert len(result) > 2, "the user can see something was there"


def test_escape_sequences_of_every_kind_are_disarmed_and_readable() -> None:
    sequences = {
        f"{ESC}]52;c;Y3VybCBldmlsIHwgc2g={BEL}": "␛]52;c;Y3VybCBldmlsIHwgc2g=␇",
        f"{ESC}]0;title{ESC}\\": "␛]0;title␛\\",
        f"{ESC}[2J": "␛[2J",
        f"{ESC}P1$qm{ESC}\\": "␛P1$qm␛\\",  # DCS
        f"{ESC}_apc{ESC}\\": "␛_apc␛\\",  # APC
        f"{ESC}^pm{ESC}\\": "␛^pm␛\\",  # PM
        f"{ESC}Xsos{ESC}\\": "␛Xsos␛\\",  # SOS
        "\x9b2J": "␛[2J",  # 8-bit CSI: shown as the 7-bit sequence it stands for
        "\x9d0;t\x9c": "␛]0;t␛\\",  # 8-bit OSC ... ST
    }
    for raw, expected in sequences.items():
        assert shown(raw) == expected
        assert shown_inline(raw) == expected


def test_a_sequence_cut_between_chunks_is_disarmed_the_same_way() -> None:
    text = f"intro {ESC}]52;c;Zm9v{BEL} middle\x9b2J {ESC}[31mred\n"
    whole = shown(text)
    for cut in range(len(text) + 1):
        assert shown(text[:cut]) + shown(text[cut:]) == whole


def test_line_structure_is_kept_in_text_and_removed_in_names() -> None:
    assert shown("one\n\ttwo\r\nthree") == "one\n\ttwo\nthree"  # CRLF is just a line break
    assert shown("rm -rf /\rls") == "rm -rf /␍ls", "a bare CR cannot overwrite the line"
    assert shown_inline("model\nid\twith\u2028breaks") == "model␤id␉with␤breaks"
    assert "\n" not in shown_inline("a\r\nb") and "\r" not in shown_inline("a\r\nb")


def test_bidi_overrides_are_shown_in_names_and_kept_in_text() -> None:
    spoof = "invoice\u202etxt.exe"
    assert shown_inline(spoof) == "invoice⟨U+202E⟩txt.exe"
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        assert chr(code) not in shown_inline(f"x{chr(code)}y")
    assert shown("שלום \u202bעולם") == "שלום \u202bעולם", "right-to-left prose is left alone"


def test_ordinary_text_is_returned_unchanged() -> None:
    text = (
        "Plain **Markdown** with `code`, émoji 🎉, 中文, [links](https://x.y) and [/] brackets.\n"
    )
    assert shown(text) is text
    assert shown_inline("anthropic/claude-sonnet-4.6") == "anthropic/claude-sonnet-4.6"
    assert shown(shown(f"{ESC}[2J\r")) == shown(f"{ESC}[2J\r"), "disarming twice changes nothing"


def test_plain_content_is_never_parsed_as_markup() -> None:
    for text in ("[/]", "[bold]x[/bold]", "list[int]", "Corp [EU]", "[link=x]y"):
        assert plain(text).plain == text


def test_disarmed_stream_disarms_every_write_and_keeps_a_raw_way_out() -> None:
    underneath = io.StringIO()
    stream = DisarmedStream(underneath)
    print(f"id {ESC}]0;pwned{BEL}", file=stream)
    raw_stream(stream).write(f"{ESC}[2m")  # our own style code goes through as it is
    assert underneath.getvalue() == f"id ␛]0;pwned␇\n{ESC}[2m"
    assert raw_stream(underneath) is underneath
