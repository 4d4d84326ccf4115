"""`craft-tui ask -a FILE …` end to end: a subprocess against loopback fake servers, asserting the
request body each protocol's server receives, and the refusals that stop a prompt before it is
sent (nothing reaches the server)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from craft_tui.chat.history import HistoryStore
from craft_tui.providers.content import AttachmentPart
from craft_tui.providers.model_cache import CachedModels, save_cached
from craft_tui.providers.types import ModelInfo
from tests.servers import FakeLLMServer
from tests.servers.bodies import ErrorResponse
from tests.servers.cli import add_connection, craft

PIXEL_PNG_SIZE = (40, 30)


@pytest.fixture(params=["openai", "anthropic"])
def server(request: pytest.FixtureRequest) -> Iterator[FakeLLMServer]:
    with FakeLLMServer(protocol=request.param, reply="I see it.") as fake:
        yield fake


def small_png(path: Path) -> bytes:
    Image.new("RGB", PIXEL_PNG_SIZE, (200, 30, 30)).save(path, format="PNG")
    return path.read_bytes()


def user_content(fake: FakeLLMServer) -> list[dict[str, Any]]:
    """The content blocks of the one user turn the server received."""
    (request,) = fake.chat_requests
    (turn,) = request.json["messages"]
    assert turn["role"] == "user"
    content = turn["content"]
    assert isinstance(content, list), content
    return content


def image_bytes(block: dict[str, Any], protocol: str) -> tuple[str, bytes]:
    """(media type, bytes) of an image block in either protocol's shape."""
    if protocol == "openai":
        assert block["type"] == "image_url"
        url = block["image_url"]["url"]
        header, _, data = url.partition(",")
        assert header.startswith("data:") and header.endswith(";base64"), header
        return header.removeprefix("data:").removesuffix(";base64"), base64.b64decode(data)
    assert block["type"] == "image"
    source = block["source"]
    assert source["type"] == "base64"
    return source["media_type"], base64.b64decode(source["data"])


def test_an_image_and_a_text_file_go_in_each_protocols_shape(
    server: FakeLLMServer, isolated_home: Path, tmp_path: Path
) -> None:
    add_connection(server)
    png = small_png(tmp_path / "red dot.png")
    (tmp_path / "notes.md").write_text("# Plan\nship it\n", encoding="utf-8")
    result = craft(
        isolated_home,
        "ask",
        "-a",
        str(tmp_path / "red dot.png"),
        "--attach",
        str(tmp_path / "notes.md"),
        "What is this?",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "I see it.\n"
    first, image, text = user_content(server)
    assert first == {"type": "text", "text": "What is this?"}
    assert image_bytes(image, server.protocol) == ("image/png", png)  # small: sent byte for byte
    assert text == {"type": "text", "text": '<file name="notes.md">\n# Plan\nship it\n\n</file>'}


def test_a_big_photo_is_sent_smaller_within_the_protocols_limits(
    server: FakeLLMServer, isolated_home: Path, tmp_path: Path
) -> None:
    add_connection(server)
    photo = tmp_path / "photo.jpg"
    Image.effect_noise((3000, 2250), 80).convert("RGB").save(photo, format="JPEG", quality=95)
    result = craft(isolated_home, "ask", "-a", str(photo), "Describe it")
    assert result.returncode == 0, result.stderr
    _text, image = user_content(server)
    media, sent = image_bytes(image, server.protocol)
    assert media == "image/jpeg"
    long_edge = {"openai": 2048, "anthropic": 1568}[server.protocol]
    with Image.open(io.BytesIO(sent)) as decoded:
        assert max(decoded.size) == long_edge
        assert decoded.size[0] / decoded.size[1] == pytest.approx(3000 / 2250, rel=0.01)
    assert len(sent) < photo.stat().st_size
    if server.protocol == "anthropic":
        assert len(image["source"]["data"]) <= 5 * 1024 * 1024  # the API's base64 limit
    assert "from 3000×2250" in result.stderr and "resized" in result.stderr


def test_saved_ask_stores_the_attachment_with_the_conversation(
    isolated_home: Path, tmp_path: Path
) -> None:
    with FakeLLMServer(reply="A red dot.") as fake:
        add_connection(fake)
        png = small_png(tmp_path / "dot.png")
        result = craft(isolated_home, "ask", "--save", "-a", str(tmp_path / "dot.png"), "What?")
        assert result.returncode == 0, result.stderr
        _text, image = user_content(fake)
        assert image_bytes(image, "openai") == ("image/png", png)
    conversation_id = result.stderr.strip().split()[-1]
    with HistoryStore.open() as store:
        _conversation, path = store.load_conversation(conversation_id)
        (attachment,) = [p for p in path[0].parts if isinstance(p, AttachmentPart)]
        assert (attachment.name, attachment.media_type, attachment.size) == (
            "dot.png",
            "image/png",
            len(png),
        )
        assert store.attachment_data([attachment.id]) == {attachment.id: png}


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "missing.png", "There is no file"),
        (lambda d: d, "is a folder, not a file"),
        (
            lambda d: (d / "huge.txt").write_text("x" * (3 * 1024 * 1024 // 2)) and d / "huge.txt",
            "1.5 MB of text: text files over 1.0 MB",
        ),
        (
            lambda d: (d / "blob.bin").write_bytes(b"\x00\x01PK\x03\x04" * 10) and d / "blob.bin",
            "neither an image, a PDF nor UTF-8 text",
        ),
    ],
    ids=["missing", "folder", "too-big", "binary"],
)
def test_a_file_that_cannot_be_attached_is_one_sentence_and_nothing_is_sent(
    isolated_home: Path, tmp_path: Path, make: Any, words: str
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    path = make(folder)
    with FakeLLMServer() as fake:
        add_connection(fake)
        result = craft(isolated_home, "ask", "--save", "-a", str(path), "Look")
        assert fake.chat_requests == []
    assert result.returncode == 1
    assert words in result.stderr, result.stderr
    assert str(path) in result.stderr
    assert "fix:" in result.stderr and "Traceback" not in result.stderr
    with HistoryStore.open() as store:
        assert store.last_conversation_id() is None  # nothing stored either


def test_a_path_is_shown_disarmed(isolated_home: Path, tmp_path: Path) -> None:
    with FakeLLMServer() as fake:
        add_connection(fake)
        result = craft(isolated_home, "ask", "-a", str(tmp_path / "evil\x1b]0;pwned\x07.png"), "x")
    assert result.returncode == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "evil␛]0;pwned␇.png" in result.stderr


def _cache(fake: FakeLLMServer, vision: str) -> None:
    from craft_tui.config.store import load_config

    connection = load_config().connections[0]
    save_cached(
        CachedModels(
            slug=connection.slug,
            base_url=connection.base_url,
            fetched_at=datetime.now(UTC),
            models=(ModelInfo("fake-small", extra={"vision": vision}),),
        )
    )


def test_a_text_only_model_is_refused_before_sending(
    server: FakeLLMServer, isolated_home: Path, tmp_path: Path
) -> None:
    add_connection(server)
    _cache(server, "no")  # what discovery recorded for the model
    small_png(tmp_path / "dot.png")
    result = craft(isolated_home, "ask", "-a", str(tmp_path / "dot.png"), "What?")
    assert result.returncode == 1
    assert "The model fake-small on Fake does not take images" in result.stderr
    assert "Pick a model that takes images" in result.stderr
    assert server.chat_requests == []
    # A text file is no image: the same model takes it.
    (tmp_path / "a.txt").write_text("hello", encoding="utf-8")
    result = craft(isolated_home, "ask", "-a", str(tmp_path / "a.txt"), "Read it")
    assert result.returncode == 0, result.stderr
    assert len(server.chat_requests) == 1


def test_a_vision_model_in_the_list_gets_the_image(
    server: FakeLLMServer, isolated_home: Path, tmp_path: Path
) -> None:
    add_connection(server)
    _cache(server, "yes")
    png = small_png(tmp_path / "dot.png")
    result = craft(isolated_home, "ask", "-a", str(tmp_path / "dot.png"), "What?")
    assert result.returncode == 0, result.stderr
    assert image_bytes(user_content(server)[1], server.protocol)[1] == png


def test_a_server_refusing_the_image_is_said_plainly(isolated_home: Path, tmp_path: Path) -> None:
    refusal = ErrorResponse(
        400,
        json.dumps(
            {
                "error": {
                    "message": "Invalid content type. image_url is only supported by certain "
                    "models.",
                    "type": "invalid_request_error",
                }
            }
        ).encode(),
    )
    with FakeLLMServer(error=refusal) as fake:
        add_connection(fake)
        small_png(tmp_path / "dot.png")
        result = craft(isolated_home, "ask", "-a", str(tmp_path / "dot.png"), "What?")
    assert result.returncode == 1
    assert "The model fake-small on Fake does not take images" in result.stderr
    assert "image_url is only supported by certain models" in result.stderr  # its own words
    assert "Pick a model that takes images" in result.stderr
