"""`craft-tui ask --usage` through a real driver against the loopback fake: "tokens in" is the
whole prompt on both protocols (issue 19), Anthropic's cache reads and writes added to its
`input_tokens`, OpenAI's `prompt_tokens` holding them already."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from tests.servers import FakeLLMServer, FakeUsage
from tests.servers.cli import add_connection, craft


@pytest.mark.parametrize(("protocol", "input_tokens"), [("anthropic", 100), ("openai", 12_100)])
def test_usage_says_the_whole_prompt(
    isolated_home: Path, protocol: Literal["openai", "anthropic"], input_tokens: int
) -> None:
    usage = FakeUsage(
        input_tokens=input_tokens, output_tokens=3, cached_tokens=10_000, cache_write_tokens=2_000
    )
    with FakeLLMServer(protocol=protocol, reply="a b c", usage=usage) as fake:
        add_connection(fake)
        result = craft(isolated_home, "ask", "--usage", "Hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a b c\n"
    line = result.stderr.strip().splitlines()[-1]
    assert "tokens in 12100, out 3, cached 10000, cache write 2000" in line, line
