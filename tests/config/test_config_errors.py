"""A hand-edited config.toml that does not validate gets one message naming the exact line of the
offending key and its field; the file is never written over because of it.

Each case marks the line the message must name with `# <- here`, so the expected line number is
read from the text rather than counted by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from craft_tui.config import paths
from craft_tui.config.source import key_lines
from craft_tui.config.store import ConfigError, load_config, update_config
from tests.conftest import subprocess_env

MARK = "# <- here"

CASES: dict[str, tuple[str, str, str]] = {
    # name: (config text, field the message names, words the message must hold)
    "duplicate slug": (
        """[settings]
theme = "nord"

[[connections]]
slug = "corp"
name = "Corp"
protocol = "openai"
base_url = "localhost:1"

[[connections]]
name = "Corp again"
slug = "corp"  # <- here
protocol = "openai"
base_url = "localhost:2"
""",
        "connections[1].slug",
        "two connections share the slug 'corp'",
    ),
    "dangling default_connection": (
        """[settings]
theme = "nord"
default_connection = "gone"  # <- here

[[connections]]
slug = "corp"
name = "Corp"
protocol = "openai"
base_url = "localhost:1"
""",
        "settings.default_connection",
        "'gone': no connection has that slug (known: 'corp')",
    ),
    "field inside an inline table": (
        """[[connections]]
slug = "corp"
name = "Corp"
protocol = "openai"
base_url = "localhost:1"
timeouts = { read = 30, connect = "x" }  # <- here
""",
        "connections[0].timeouts.connect",
        "valid number",
    ),
    "unknown field inside an inline table": (
        """[[connections]]
slug = "corp"
name = "Corp"
protocol = "openai"
base_url = "localhost:1"
timeouts = { conect = 5 }  # <- here
""",
        "connections[0].timeouts.conect",
        "unknown field",
    ),
    "auth type inside an inline table": (
        """[[connections]]
slug = "corp"
name = "Corp"
protocol = "openai"
base_url = "localhost:1"
auth = { type = "nope" }  # <- here
""",
        "connections[0].auth.type",
        "unknown type 'nope'",
    ),
    "auth inline table without a type": (
        """[[connections]]
slug = "corp"
name = "Corp"
protocol = "openai"
base_url = "localhost:1"
auth = { api_key_env = "CORP_KEY" }  # <- here
""",
        "connections[0].auth.type",
        'type = "api_key", "bearer" or "none"',
    ),
    "auth type in its own table, second connection": (
        """[[connections]]
slug = "one"
name = "One"
protocol = "openai"
base_url = "localhost:1"

[connections.auth]
type = "none"

[[connections]]
slug = "two"
name = "Two"
protocol = "openai"
base_url = "localhost:2"

[connections.auth]
api_key_env = "TWO_KEY"
type = "nope"  # <- here
""",
        "connections[1].auth.type",
        "unknown type 'nope'",
    ),
    "URL error points at base_url, not the table": (
        """[[connections]]
slug = "corp"
name = "Corp"

protocol = "openai"
base_url = "ftp://llm.corp.example"  # <- here
max_tokens = 100
""",
        "connections[0].base_url",
        "must start with http:// or https://, not ftp://",
    ),
    "URL error of the second connection": (
        """[[connections]]
slug = "one"
name = "One"
protocol = "openai"
base_url = "localhost:1"

[[connections]]
slug = "two"
name = "Two"
protocol = "anthropic"
base_url = "http://"  # <- here
""",
        "connections[1].base_url",
        "has no host name",
    ),
    "model entry in a multi-line array": (
        """[[connections]]
slug = "corp"
name = "Corp"
protocol = "openai"
base_url = "localhost:1"
models = [
    "small",
    { id = "big", context_window = -1 },  # <- here
]
""",
        "connections[0].models[1].context_window",
        "greater than 0",
    ),
    "dotted key": (
        """[[connections]]
slug = "corp"
name = "Corp"
protocol = "openai"
base_url = "localhost:1"
timeouts.read = -1  # <- here
""",
        "connections[0].timeouts.read",
        "greater than 0",
    ),
    "credential header in a headers table": (
        """[[connections]]
slug = "corp"
name = "Corp"
protocol = "openai"
base_url = "localhost:1"

[connections.headers]
X-Title = "craft-tui"
Authorization = "Bearer abc"  # <- here
""",
        "connections[0].headers.Authorization",
        "carries a credential",
    ),
    "missing field points at its table": (
        """[settings]
theme = "nord"

[[connections]]  # <- here
slug = "corp"
protocol = "openai"
base_url = "localhost:1"
""",
        "connections[0].name",
        "required field is missing",
    ),
    "a multi-line string that looks like TOML does not shift the count": (
        '''[[connections]]
slug = "one"
name = "One"
protocol = "openai"
base_url = "localhost:1"
system_prompt = """
[[connections]]
slug = "one"
"""

[[connections]]
slug = "one"  # <- here
name = "Two"
protocol = "openai"
base_url = "localhost:2"
''',
        "connections[1].slug",
        "two connections share the slug 'one'",
    ),
}


def marked_line(text: str) -> int:
    numbers = [n for n, line in enumerate(text.splitlines(), 1) if MARK in line]
    assert len(numbers) == 1
    return numbers[0]


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_the_message_names_the_line_of_the_offending_key(case: str) -> None:
    text, field, words = CASES[case]
    path = write_config(text)
    before = path.read_bytes()
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert f"line {marked_line(text)}, {field}: " in message, message
    assert words in message
    assert str(path) in message
    assert ".." not in message  # the old doubled full stop after URL errors
    assert message.endswith(". Fix the file by hand; craft-tui will not overwrite it.")
    with pytest.raises(ConfigError):
        update_config(lambda config: None)  # a write path refuses too...
    assert path.read_bytes() == before  # ...and the file is untouched


def test_the_command_line_prints_the_same_line_and_leaves_the_file(isolated_home: Path) -> None:
    text, field, _words = CASES["URL error points at base_url, not the table"]
    path = write_config(text)
    before = path.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "craft_tui", "connection", "default", "corp"],
        capture_output=True,
        text=True,
        env=subprocess_env(isolated_home),
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"line {marked_line(text)}, {field}: " in result.stderr
    sentence, fix = result.stderr.splitlines()  # the sentence, then its fix; no traceback
    assert sentence.startswith(f"craft-tui: {path}: invalid configuration: ")
    assert fix == "  fix: edit the file by hand; craft-tui will not overwrite it."
    assert path.read_bytes() == before


def test_key_lines_follows_tables_arrays_of_tables_and_inline_values() -> None:
    text = """version = 1
[settings]
"default_connection" = 'a'  # a quoted key
[settings.keymap]
pick_model = "ctrl+o"
[[connections]]
slug = "a"
created_at = 2026-01-02 03:04:05Z
models = ["x", { id = "y" },
  "z"]
[connections.auth]
type = 'none'
[[connections]]
headers = { "X-Title" = "t" }
"""
    lines = key_lines(text)
    assert lines[("version",)] == 1
    assert lines[("settings", "default_connection")] == 3
    assert lines[("settings", "keymap", "pick_model")] == 5
    assert lines[("connections", 0)] == 6
    assert lines[("connections", 0, "created_at")] == 8
    assert lines[("connections", 0, "models", 1, "id")] == 9
    assert lines[("connections", 0, "models", 2)] == 10
    assert lines[("connections", 0, "auth", "type")] == 12
    assert lines[("connections", 1)] == 13
    assert lines[("connections", 1, "headers", "X-Title")] == 14
