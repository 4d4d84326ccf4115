"""How a tool call's text is shown: the permission question, the transcript's tool blocks and
the full-output view all show a call the same way, from these functions.

Everything here is outside text (the model wrote the arguments, a server the result and the
names). Beyond `craft_tui/untrusted.py`'s rules, a permission question must show the arguments
*exactly*: an invisible character could hide part of a path or a command, so zero-width spaces
and joiners, LRM/RLM marks, word joiners, the BOM and the soft hyphen are shown as `⟨U+200B⟩`.
"""

from __future__ import annotations

import json

from craft_tui.untrusted import shown_inline

ARGUMENT_CHARS = 100_000  # of the pretty-printed arguments; beyond, a note says how many more
COMPACT_CHARS = 300  # of the one-line arguments in a tool block (Enter there shows them all)
RESULT_LINES = 20  # of a result in a tool block
RESULT_CHARS = 2_000

_INVISIBLE = {
    code: f"⟨U+{code:04X}⟩"
    for code in (*range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF, 0x00AD)
}


def own_name(name: str, server: str) -> str:
    """The tool's own name: the model may know it as `server__tool` (two servers offer the same
    name, see craft_tui/mcp); the user is shown the server and the tool apart."""
    prefix = f"{server}__"
    return name[len(prefix) :] if server and name.startswith(prefix) else name


def exact_line(line: str) -> str:
    """One line of outside text with every character that acts, hides or reorders made visible:
    controls, line breaks, tabs, bidi overrides (`shown_inline`) and invisible characters."""
    return shown_inline(line).translate(_INVISIBLE)


def arguments_text(arguments: str, limit: int = ARGUMENT_CHARS) -> tuple[str, bool]:
    """The arguments as the permission question shows them, and whether they are valid JSON.

    Valid JSON is re-indented (`ensure_ascii=False`, so "café" stays readable; JSON's string
    escapes keep a newline or a control inside a value on its line, as `\\n` or `\\u001b`);
    anything else is shown as written, line by line. Either way each line goes through
    `exact_line`. Past `limit` characters a last line says how many are not shown."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        valid = False
        text = arguments
    else:
        valid = True
        text = json.dumps(value, indent=2, ensure_ascii=False)
    lines = [exact_line(line) for line in text[:limit].split("\n")]
    if len(text) > limit:
        lines.append(f"… {len(text) - limit:,} more characters not shown (the tool gets them all)")
    return "\n".join(lines), valid


def compact_arguments(arguments: str, limit: int = COMPACT_CHARS) -> str:
    """The arguments on one line: JSON re-written compactly, anything else as written (and said
    so), through `exact_line`; cut at `limit` characters."""
    if not arguments.strip():
        return "no arguments"
    try:
        value = json.loads(arguments)
    except ValueError:
        text = "not valid JSON: " + exact_line(arguments[: limit * 2])
    else:
        if value == {}:
            return "no arguments"
        text = exact_line(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))
    return text if len(text) <= limit else text[:limit] + " …"


def truncated(text: str, lines: int = RESULT_LINES, chars: int = RESULT_CHARS) -> tuple[str, str]:
    """The head of a result that a tool block shows (at most `lines` lines and `chars`
    characters), and the note about the rest ("" when the whole text fits)."""
    cut = 0
    for _ in range(lines):
        cut = text.find("\n", cut) + 1
        if cut == 0:
            cut = len(text)
            break
    cut = min(cut, chars, len(text))
    rest = text[cut:]
    if not rest.strip():
        return text.rstrip("\n"), ""
    breaks = rest.rstrip("\n").count("\n")
    if cut and text[cut - 1] != "\n" and not breaks:  # cut inside the last line
        return text[:cut], f"… {len(rest):,} more characters (press Enter / o to see all)"
    more_lines = breaks + 1  # the rest of a line cut in the middle counts as one
    what = f"{more_lines:,} more line{'' if more_lines == 1 else 's'}"
    return text[:cut].rstrip("\n"), f"… {what} (press Enter / o to see all)"


def format_duration(seconds: float) -> str:
    """`<0.1 s`, `0.4 s`, `12 s`, `2 min 5 s`: as precise as a person reading it wants."""
    if seconds < 0.1:
        return "<0.1 s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"
