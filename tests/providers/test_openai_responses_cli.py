"""The Responses protocol through the command line, as a user reaches it: `connection add
--protocol openai-responses` with the endpoint pasted from the docs, `connection test`, and
`ask` (with usage, an attachment, a mid-answer failure) — subprocesses against the loopback fake,
so the request builder, the driver pool and the CLI's output are the real ones."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from craft_tui.config.store import load_config
from tests.servers import FakeLLMServer, FakeUsage
from tests.servers.cli import add_connection, craft

KEY = "sk-test-cli-0123456789abcdef"
PROTOCOL = "openai-responses"


def test_connection_add_with_the_pasted_endpoint_then_test_passes(isolated_home: Path) -> None:
    with FakeLLMServer(protocol=PROTOCOL, reply="OK") as fake:
        added = craft(
            isolated_home,
            "connection",
            "add",
            "Resp",
            "--protocol",
            PROTOCOL,
            "--base-url",
            f"{fake.root_url}/v1/responses",
            "--api-key-stdin",
            "--model",
            "fake-small",
            stdin=KEY + "\n",
        )
        assert added.returncode == 0, added.stdout + added.stderr
        (connection,) = load_config().connections
        assert (connection.protocol, connection.base_url) == (PROTOCOL, f"{fake.root_url}/v1")
        result = craft(isolated_home, "connection", "test", connection.slug)
        answer = fake.chat_requests[-1]
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith(f"✓ 2 models at {fake.root_url}/v1/models")
    assert lines[2].startswith(f"✓ fake-small answered at {fake.root_url}/v1/responses")
    assert answer.path == "/v1/responses"
    assert answer.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in result.stdout + result.stderr


def test_ask_streams_the_answer_and_reports_usage(isolated_home: Path) -> None:
    with FakeLLMServer(
        protocol=PROTOCOL,
        reply="Hello from Responses.",
        reasoning="private thinking",
        usage=FakeUsage(input_tokens=40, output_tokens=3, cached_tokens=32),
    ) as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "ask", "--usage", "-s", "Be terse.", "Say hello")
        body = fake.chat_requests[-1].json
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from Responses.\n"
    assert "tokens in 40" in result.stderr and "out 3" in result.stderr
    assert "private thinking" not in result.stdout + result.stderr  # not a terminal
    assert body["instructions"] == "Be terse."
    assert body["store"] is False
    assert body["input"] == [{"type": "message", "role": "user", "content": "Say hello"}]


def test_ask_with_an_image_sends_an_input_image(isolated_home: Path, tmp_path: Path) -> None:
    picture = tmp_path / "dot.png"
    Image.new("RGB", (8, 6), (10, 200, 30)).save(picture, format="PNG")
    with FakeLLMServer(protocol=PROTOCOL, reply="A green dot.") as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "ask", "-a", str(picture), "What is this?")
        (request,) = fake.chat_requests
    assert result.returncode == 0, result.stderr
    assert result.stdout == "A green dot.\n"
    (turn,) = request.json["input"]
    assert turn["role"] == "user"
    kinds = [block["type"] for block in turn["content"]]
    assert sorted(kinds) == ["input_image", "input_text"]
    (image,) = [block for block in turn["content"] if block["type"] == "input_image"]
    header, _, data = image["image_url"].partition(",")
    assert header == "data:image/png;base64"
    assert Image.open(io.BytesIO(base64.b64decode(data))).size == (8, 6)


def test_a_failure_mid_answer_keeps_the_text_and_says_what_to_do(isolated_home: Path) -> None:
    with FakeLLMServer(
        protocol=PROTOCOL,
        reply="one two three four",
        midstream_error="responses_failed",
        midstream_error_after=2,
    ) as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "ask", "Count")
    assert result.returncode != 0
    assert result.stdout.startswith("one two ")
    assert "server had an error while processing your request" in result.stderr
    assert "Try again" in result.stderr
    assert "Traceback" not in result.stderr
