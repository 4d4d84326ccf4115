"""Whatever a user can type into `craft-tui connection add` ends in a sentence and its fix on
stderr (two lines), never "unexpected error" or a traceback, and adds nothing."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from craft_tui.cli import _report, main
from craft_tui.config.store import load_config


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str,
    stdin: io.TextIOBase | None = None,
) -> tuple[int, str, str]:  # fmt: skip
    monkeypatch.setattr(sys, "stdin", stdin or io.StringIO(""))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_sentence_and_fix(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("craft-tui: ") and lines[0].endswith("."), err
    assert lines[1].startswith("  fix: "), err
    assert "unexpected error" not in err and "Traceback" not in err
    for word in words:
        assert word in lines[0], err


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--api-key-env", "lower-case"], ["--api-key-env", "'lower-case'"]),
        (["--api-key-env", "1KEY"], ["--api-key-env"]),
        (["--api-key-env", "K", "--header", "Bad Name=1"], ["--header", "'Bad Name'"]),
        (["--api-key-env", "K", "--header", "Authorization=Bearer x"], ["--header", "credential"]),
        (["--api-key-env", "K", "--model", " "], ["--model", "blank"]),
        (["--api-key-env", "K", "--ca-bundle", "/nonexistent/ca.pem"], ["--ca-bundle"]),
    ],
)
def test_a_value_add_refuses_is_a_sentence_and_a_fix(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    words: list[str],
) -> None:
    code, out, err = run(
        capsys, monkeypatch, "connection", "add", "Corp", "--preset", "openai", *options
    )
    assert code == 1
    assert out == ""
    assert_sentence_and_fix(err, *words)
    assert load_config().connections == []


def test_a_name_too_long_names_the_argument(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, monkeypatch, "connection", "add", "n" * 90, "--preset", "ollama")
    assert code == 1
    assert_sentence_and_fix(err, "NAME", "80 characters")


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
def test_a_key_on_stdin_that_is_not_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, errors: str
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"sk-\xff\xfe\x00binary"), encoding="utf-8", errors=errors)
    code, _, err = run(
        capsys, monkeypatch, "connection", "add", "Corp", "--preset", "openai", "--api-key-stdin",
        stdin=stdin,
    )  # fmt: skip
    assert code == 1
    assert_sentence_and_fix(err, "key")
    assert load_config().connections == []


def test_a_prompt_on_stdin_that_is_not_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, monkeypatch, "connection", "add", "Local", "--preset", "ollama", "--model", "m")
    stdin = io.TextIOWrapper(io.BytesIO(b"\xff\xfe question"), encoding="utf-8")
    code, _, err = run(capsys, monkeypatch, "ask", stdin=stdin)
    assert code == 1
    assert_sentence_and_fix(err, "UTF-8")


def test_a_file_that_cannot_be_used_is_named_with_a_fix(capsys: pytest.CaptureFixture[str]) -> None:
    where = "/some/where/config.toml"
    assert _report(PermissionError(13, "Permission denied", where)) == 1
    assert_sentence_and_fix(capsys.readouterr().err, where, "Permission denied")


def test_a_refused_value_from_elsewhere_is_a_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    from pydantic import ValidationError

    from craft_tui.config.schema import Settings

    with pytest.raises(ValidationError) as caught:
        Settings(model_cache_hours=-1)
    assert _report(caught.value) == 1
    assert_sentence_and_fix(capsys.readouterr().err, "model_cache_hours")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["ask", "Hi"], ["No connection yet"]),
        (["models"], ["No connections yet"]),
        (["connection", "add", "!!", "--preset", "ollama"], ["'!!'"]),
        (["connection", "add", "X", "--base-url", "x"], ["endpoint"]),
        (["connection", "add", "X", "--preset", "custom-openai", "--no-auth"], ["base URL"]),
        (["connection", "add", "X", "--preset", "openai", "--header", "foo"], ["'foo'"]),
        (["connection", "add", "X", "--protocol", "openai", "--base-url", "ftp://x"], ["ftp"]),
        (
            ["connection", "add", "X", "--preset", "custom-openai", "--base-url", "h.example"],
            ["key"],
        ),
        (["connection", "remove", "nope"], ["'nope'"]),
        (["connection", "default", "nope"], ["'nope'"]),
        (["connection", "key", "nope", "--api-key-stdin"], ["'nope'"]),
    ],
)
def test_every_refusal_is_a_sentence_and_a_fix(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    words: list[str],
) -> None:
    code, _, err = run(capsys, monkeypatch, *argv)
    assert code == 1
    assert_sentence_and_fix(err, *words)


def test_ask_refusals_with_a_connection(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, monkeypatch, "connection", "add", "Local", "--preset", "ollama")
    for argv, word in (
        (["ask", "-c", "nope", "Hi"], "'nope'"),
        (["ask", "Hi"], "default model"),
        (["ask", "-m", "m", "--max-tokens", "0", "Hi"], "--max-tokens"),
        (["ask", "-m", "m"], "prompt"),
    ):
        code, _, err = run(capsys, monkeypatch, *argv)
        assert code == 1
        assert_sentence_and_fix(err, word)


@pytest.mark.parametrize("text", ["[settings]\nthemee = 1\n", "x = ["])
def test_a_broken_config_is_a_sentence_and_a_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    from craft_tui.config import paths

    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    code, _, err = run(capsys, monkeypatch, "connection", "list")
    assert code == 1
    assert_sentence_and_fix(err, str(path))
    assert "edit the file by hand" in err
    assert path.read_text() == text


def test_a_name_taken_already_is_a_sentence_and_a_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, monkeypatch, "connection", "add", "Box", "--preset", "ollama")
    code, _, err = run(capsys, monkeypatch, "connection", "add", "box", "--preset", "vllm")
    assert code == 1
    assert_sentence_and_fix(err, "'box'", "exists already")
    assert "choose another name" in err.splitlines()[1]


def test_a_damaged_credentials_file_is_a_sentence_and_a_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    credentials = isolated_home / "config" / "credentials.toml"
    credentials.parent.mkdir(parents=True, exist_ok=True)
    credentials.write_text("garbage [[\n")
    code, _, err = run(
        capsys, monkeypatch, "connection", "add", "Paid", "--preset", "openai", "--api-key-stdin",
        stdin=io.StringIO("sk-test-0123456789abcdef\n"),
    )  # fmt: skip
    assert code == 1
    assert_sentence_and_fix(err, str(credentials), "damaged")
    assert ".." not in err
    assert "credentials file" in err.splitlines()[1]
    assert load_config().connections == []
