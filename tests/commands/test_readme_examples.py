"""The README's command-line and config examples, run as written (offline: `connection test`,
which needs the provider, is the one line left out)."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import sys
import tomllib
from pathlib import Path

import pytest

from craft_tui.cli import main
from craft_tui.config.store import load_config, parse_config

README = Path(__file__).resolve().parents[2] / "README.md"
KEY = "sk-or-v1-" + "readme0example0key0000"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def commands(block: str) -> list[list[str]]:
    """Each `craft-tui …` line of a shell block, continuation lines joined, comments dropped."""
    joined = block.replace("\\\n", " ")
    return [
        shlex.split(line, comments=True)
        for line in joined.splitlines()
        if line.startswith("craft-tui ")
    ]


def run(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    stdin = KEY + "\n"
    if "<" in argv:  # `< ~/file.key`: the file's content on stdin
        at = argv.index("<")
        stdin = Path(argv[at + 1]).expanduser().read_text()
        argv = argv[:at] + argv[at + 2 :]
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv[1:])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_a_connection_examples_run_as_written(
    isolated_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    for name in ("openrouter.key", "corp.key"):
        (home / name).write_text(KEY + "\n")
    (home / "corp-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    block = section("Add a connection").split("```sh\n", 1)[1].split("```", 1)[0]
    lines = commands(block)
    assert len(lines) >= 10
    outputs: dict[str, str] = {}
    for argv in lines:
        if argv[1:3] == ["connection", "test"]:
            continue  # goes to the provider over the network
        if argv[1:3] == ["connection", "add"] and load_config().find(argv[3]) is not None:
            # "...or": an alternative to the line above, tried on its own
            monkeypatch.setenv("CRAFT_TUI_HOME", str(tmp_path / "alternative"))
            code, out, err = run(argv, capsys, monkeypatch)
            monkeypatch.setenv("CRAFT_TUI_HOME", str(isolated_home))
        else:
            code, out, err = run(argv, capsys, monkeypatch)
        assert code == 0, (argv, err)
        assert "fix:" not in err, (argv, err)
        outputs[" ".join(argv)] = out
    urls = {c.slug: c.base_url for c in load_config().connections}
    assert urls["gpu-box"] == "http://gpu-box:11434/v1"  # the README's own remote Ollama
    assert urls["ollama"] == "http://localhost:11434/v1"
    assert "corp" not in urls  # removed by the last line
    assert load_config().settings.default_connection == "ollama"
    listing = next(out for line, out in outputs.items() if line.endswith("list"))
    assert "sk-or-v" in listing and KEY not in listing


def test_the_error_example_is_what_the_command_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = section("Command line")
    example = text.split("An error is two lines on stderr", 1)[1].split("```\n", 2)[1]
    code, _, err = run(
        ["craft-tui", "connection", "add", "Corp", "--preset", "openai", "--api-key-env", "lower-case"],
        capsys, monkeypatch,
    )  # fmt: skip
    assert code == 1
    assert err == example


def test_the_config_example_is_valid_and_documents_every_field(isolated_home: Path) -> None:
    text = section("Where files live")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    config = parse_config(example, isolated_home / "config.toml")
    assert config.connections[0].system_prompt == "Answer briefly."
    assert tomllib.loads(example)["settings"]["model_cache_hours"] == 24

    from craft_tui.config.schema import Config, Connection, ModelEntry, Settings, Timeouts

    documented = set(re.findall(r"^\| `([a-z_.\[\]]+)` \|", text, flags=re.MULTILINE))
    fields = {f"settings.{name}" for name in Settings.model_fields}
    fields |= {f"connections[].{name}" for name in Connection.model_fields}
    fields |= {name for name in Config.model_fields if name not in {"settings", "connections"}}
    assert fields <= documented, fields - documented
    table = text[text.index("Every field") :]
    for name in ModelEntry.model_fields:
        assert f"`{name}`" in table
    for name in Timeouts.model_fields:
        assert f"{name} = " in table


def test_the_history_export_and_import_examples_run_as_written(
    isolated_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from craft_tui.chat.history import HistoryStore
    from craft_tui.config import paths

    store = HistoryStore.open(paths.history_file())
    conversation = store.create_conversation(title="Sorting in Python")
    question = store.add_message(
        conversation.id, parent_id=None, role="user", text="How do I sort by key?"
    )
    store.add_message(
        conversation.id, parent_id=question.id, role="assistant", text="Use sorted(xs, key=len)."
    )
    store.close()
    monkeypatch.chdir(tmp_path)
    block = section("History, export and import")
    lines = commands(block.split("```sh", 1)[1].split("```", 1)[0])
    assert len(lines) == 6
    outputs = []
    for argv in lines:
        code, out, err = run(argv, capsys, monkeypatch)
        assert code == 0, (argv, err)
        outputs.append(out)
    assert "Sorting in Python" in outputs[0]
    assert "sorted(xs, key=len)" in outputs[1]
    assert '"Sorting in Python"' in outputs[2] or "Sorting in Python" in outputs[2]
    talk = (tmp_path / "talk.md").read_text()
    assert "How do I sort by key?" in talk and "Use sorted(xs, key=len)." in talk
    assert (tmp_path / "backup.json").stat().st_mode & 0o777 == 0o600
    assert "imported before" in outputs[5] or "Imported" in outputs[5]
    stats_lines = commands(block.split("```sh", 2)[2].split("```", 1)[0])
    assert [argv[:3] for argv in stats_lines] == [["craft-tui", "history", "--stats"]] * 2
    stats = [run(argv, capsys, monkeypatch) for argv in stats_lines]
    assert all(code == 0 for code, _, _ in stats), stats
    assert "last 7 days" in stats[0][1] and "CONNECTION  ANSWERS" in stats[0][1], stats[0][1]
    # The stored answer and its copy the import above brought in.
    assert json.loads(stats[1][1])["total"]["answers"] == 2
    toml = block.split("```toml", 1)[1].split("```", 1)[0]
    from craft_tui.config.themes import parse_theme
    from craft_tui.ui.themes import build_theme

    theme = build_theme(parse_theme(toml, tmp_path / "mine.toml"))  # raises if the file is bad
    assert theme.name == "mine" and not theme.dark


def test_the_more_ways_in_examples_run_as_written(
    isolated_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second block of "Add a connection" (a key command, the Responses preset) and its
    routing table, each run or loaded as written."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    tools = tmp_path / "bin"  # a stand-in `pass` on PATH: the README names a real tool
    tools.mkdir()
    (tools / "pass").write_text(f"#!/bin/sh\necho {KEY}\n")
    (tools / "pass").chmod(0o700)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    text = section("Add a connection")
    block = text.split("```sh\n", 2)[2].split("```", 1)[0]
    lines = commands(block)
    assert len(lines) == 2
    for argv in lines:
        code, _, err = run(argv, capsys, monkeypatch)
        assert code == 0, (argv, err)
        assert "fix:" not in err, (argv, err)
    router = load_config().find("router")
    assert router is not None and router.auth.api_key_cmd == "pass show openrouter"
    openai = load_config().find("openai")
    assert openai is not None and openai.protocol == "openai-responses"
    routing = text.split("```toml\n", 1)[1].split("```", 1)[0]
    path = isolated_home / "config" / "config.toml"
    written = path.read_text(encoding="utf-8")
    # the table goes under the router's [[connections]] table: append it right after that one
    at = written.index('slug = "router"')
    end = written.find("[[connections]]", at)
    end = len(written) if end == -1 else end
    config = parse_config(written[:end] + "\n" + routing + "\n" + written[end:], path)
    loaded = config.find("router")
    assert loaded is not None and loaded.routing is not None
    assert loaded.routing.order == ["anthropic", "amazon-bedrock"]
    assert loaded.routing.allow_fallbacks is False
    assert loaded.routing.data_collection == "deny"
    assert loaded.routing.zdr is True
