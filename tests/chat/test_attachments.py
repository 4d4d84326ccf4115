"""Turning a path into an attachment (chat/attachments.py): what a file is by its content, images
made to fit each provider, refusals with their figures, a dropped file recognised in a paste,
and the one rule for models that do not take images."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from craft_tui.chat import attachments as att
from craft_tui.chat.attachments import AttachmentProblem, load_attachment
from craft_tui.config.schema import Connection
from craft_tui.providers.content import AttachmentPart
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import ModelInfo


@pytest.fixture(autouse=True)
def _no_learnt_refusals() -> Iterator[None]:
    att.forget_refusals()
    yield
    att.forget_refusals()


def problem(path: Path | str, **kwargs: object) -> AttachmentProblem:
    with pytest.raises(AttachmentProblem) as raised:
        load_attachment(path, **kwargs)  # type: ignore[arg-type]
    return raised.value


def decoded(part: AttachmentPart) -> Image.Image:
    return Image.open(io.BytesIO(part.loaded()))


# ---------------------------------------------------------------------- what a file is


def test_the_content_decides_not_the_name(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("just text", encoding="utf-8")
    text = load_attachment(tmp_path / "notes.png")
    assert (text.part.kind, text.part.media_type) == ("text", "text/plain")
    Image.new("RGB", (8, 8)).save(tmp_path / "screenshot", format="PNG")  # no extension
    image = load_attachment(tmp_path / "screenshot")
    assert (image.part.kind, image.part.media_type, image.dimensions) == (
        "image",
        "image/png",
        (8, 8),
    )
    (tmp_path / "report.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert load_attachment(tmp_path / "report.txt").part.media_type == "application/pdf"


def test_the_extension_names_the_kind_of_text(tmp_path: Path) -> None:
    for name, media in [
        ("a.json", "application/json"),
        ("b.md", "text/markdown"),
        ("c.py", "text/x-python"),
        ("d.toml", "application/toml"),
        ("Makefile", "text/plain"),
    ]:
        (tmp_path / name).write_text("x = 1\n", encoding="utf-8")
        part = load_attachment(tmp_path / name).part
        assert (part.media_type, part.kind, part.name) == (media, "text", name)


def test_a_format_no_provider_takes_is_re_encoded(tmp_path: Path) -> None:
    Image.new("RGB", (64, 48), (1, 2, 3)).save(tmp_path / "scan.bmp", format="BMP")
    attachment = load_attachment(tmp_path / "scan.bmp")
    assert (attachment.part.media_type, attachment.name) == ("image/png", "scan.png")
    assert decoded(attachment.part).size == (64, 48)


def test_binary_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.zip").write_bytes(b"PK\x03\x04\x00\x00" + bytes(range(256)))
    found = problem(tmp_path / "a.zip")
    assert "neither an image, a PDF nor UTF-8 text" in found.message
    assert "PNG, JPEG, GIF, WebP" in found.hint


# ---------------------------------------------------------------------- images


def test_each_protocol_gets_its_own_long_edge(tmp_path: Path) -> None:
    Image.new("RGB", (4000, 1000), (9, 90, 200)).save(tmp_path / "wide.png")
    for protocol, edge in [("anthropic", 1568), ("openai", 2048), ("something-new", 1568)]:
        attachment = load_attachment(tmp_path / "wide.png", protocol)
        assert attachment.dimensions == (edge, edge // 4)
        assert attachment.original_dimensions == (4000, 1000)
        assert decoded(attachment.part).size == (edge, edge // 4)
        assert "(from 4000×1000)" in attachment.label()


def test_a_small_image_is_sent_byte_for_byte(tmp_path: Path) -> None:
    Image.new("RGBA", (300, 200), (1, 2, 3, 100)).save(tmp_path / "s.png")
    attachment = load_attachment(tmp_path / "s.png", "anthropic")
    assert attachment.part.loaded() == (tmp_path / "s.png").read_bytes()
    assert not attachment.resized
    assert attachment.label() == f"s.png · {attachment.part.size} B · 300×200"


def test_transparency_stays_png_and_a_photo_stays_jpeg(tmp_path: Path) -> None:
    Image.new("RGBA", (3000, 100), (0, 0, 0, 0)).save(tmp_path / "logo.png")
    Image.effect_noise((3000, 2000), 60).convert("RGB").save(tmp_path / "p.jpg", quality=90)
    logo = load_attachment(tmp_path / "logo.png", "anthropic")
    photo = load_attachment(tmp_path / "p.jpg", "anthropic")
    assert logo.part.media_type == "image/png" and decoded(logo.part).mode == "RGBA"
    assert photo.part.media_type == "image/jpeg" and photo.name == "p.jpg"


def test_a_png_over_the_byte_limit_goes_as_jpeg_within_it(tmp_path: Path) -> None:
    # Noise at 1568 px is ~7 MB as PNG: over Anthropic's 3.75 MB (5 MB of base64).
    Image.effect_noise((1568, 1568), 90).convert("RGB").save(tmp_path / "noise.png")
    assert (tmp_path / "noise.png").stat().st_size > att.IMAGE_LIMITS["anthropic"].max_bytes
    attachment = load_attachment(tmp_path / "noise.png", "anthropic")
    assert attachment.part.media_type == "image/jpeg" and attachment.name == "noise.jpg"
    assert attachment.part.size <= att.IMAGE_LIMITS["anthropic"].max_bytes


def test_exif_orientation_is_applied_and_the_exif_not_sent(tmp_path: Path) -> None:
    image = Image.new("RGB", (60, 20), (255, 0, 0))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    exif[0x010F] = "PhoneMaker"  # camera details, like a location, stay home
    image.save(tmp_path / "phone.jpg", exif=exif.tobytes())
    attachment = load_attachment(tmp_path / "phone.jpg")
    sent = decoded(attachment.part)
    assert sent.size == (20, 60) == attachment.dimensions  # upright
    assert not sent.info.get("exif") and not sent.getexif()
    assert attachment.original_dimensions is None  # turned, not scaled


def test_a_huge_picture_is_refused_with_its_figure(tmp_path: Path) -> None:
    Image.new("1", (12000, 9000)).save(tmp_path / "huge.png")  # 108 megapixels, a small file
    found = problem(tmp_path / "huge.png")
    assert "12000×9000 pixels" in found.message and "100 megapixels" in found.message


def test_a_damaged_image_says_so(tmp_path: Path) -> None:
    big = io.BytesIO()
    Image.effect_noise((3000, 3000), 50).convert("RGB").save(big, format="PNG")
    (tmp_path / "cut.png").write_bytes(big.getvalue()[:50_000])  # cut short, must be scaled
    found = problem(tmp_path / "cut.png")
    assert "looks like an image but cannot be decoded" in found.message


# ---------------------------------------------------------------------- refusals


def test_what_is_not_a_regular_readable_file(tmp_path: Path) -> None:
    assert problem(tmp_path / "nope.png").message == f"There is no file {tmp_path / 'nope.png'}."
    assert "is a folder" in problem(tmp_path).message
    assert "a device" in problem("/dev/null").message
    os.mkfifo(tmp_path / "pipe")
    assert "is a pipe" in problem(tmp_path / "pipe").message  # and it did not hang reading it
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0)
    if not os.access(secret, os.R_OK):  # root reads anything
        assert "permission denied" in problem(secret).message
    assert "No file was given" in problem("  ").message


def test_paths_are_expanded_and_shown_disarmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "n.txt").write_text("hi")
    assert load_attachment("~/n.txt").path == (tmp_path / "n.txt").resolve()
    assert load_attachment("n.txt", base=tmp_path).part.name == "n.txt"
    found = problem("/tmp/\x1b[2Jx\u202e.png")
    assert "\x1b" not in found.message and "\u202e" not in found.message
    assert "␛[2Jx⟨U+202E⟩.png" in found.message


def test_size_limits_carry_their_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "big.txt").write_bytes(b"a" * (2 * att.MB))
    assert "2.0 MB of text: text files over 1.0 MB" in problem(tmp_path / "big.txt").message
    monkeypatch.setattr(att, "MAX_FILE_BYTES", 1000)
    found = problem(tmp_path / "big.txt")
    assert "is 2.0 MB: files over 1000 B cannot be attached" in found.message


def test_one_prompt_has_a_total(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_bytes(b"x" * 600 * 1024)
    monkeypatch.setattr(att, "MAX_PROMPT_BYTES", att.MB)
    with pytest.raises(AttachmentProblem) as raised:
        att.load_attachments([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert "add up to 1.2 MB: one prompt takes at most 1.0 MB" in raised.value.message
    assert len(att.load_attachments([tmp_path / "a.txt"])) == 1


# ---------------------------------------------------------------------- a dropped file


def test_dropped_paths_in_the_shapes_terminals_paste(tmp_path: Path) -> None:
    spaced = tmp_path / "my photo.png"
    plain = tmp_path / "plain.txt"
    spaced.write_bytes(b"x")
    plain.write_bytes(b"y")
    escaped = str(spaced).replace(" ", "\\ ")
    url = "file://" + str(spaced).replace(" ", "%20")
    for text in (
        f"'{spaced}'",
        f'"{spaced}"',
        escaped,
        url,
        f"file://localhost{url.removeprefix('file://')}  \n",
    ):
        assert att.dropped_paths(text) == [spaced], text
    assert att.dropped_paths(f"{escaped} {plain}") == [spaced, plain]
    assert att.dropped_paths(f"{plain}\n{url}\n") == [plain, spaced]


def test_other_pastes_are_not_drops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    assert att.dropped_paths("notes.txt") is None  # a word, not a drop
    assert att.dropped_paths(f"look at {tmp_path / 'notes.txt'}") is None
    assert att.dropped_paths(f"{tmp_path / 'notes.txt'} {tmp_path / 'gone.txt'}") is None
    assert att.dropped_paths(str(tmp_path)) is None  # a folder
    assert att.dropped_paths("file://example.com/etc/passwd") is None
    assert att.dropped_paths("it's /etc/passwd") is None  # unbalanced quote
    assert att.dropped_paths("") is None
    assert att.dropped_paths("   \n") is None


# ---------------------------------------------------------------------- can the model see images


def connection() -> Connection:
    return Connection(slug="fake", name="Fake", protocol="openai", base_url="http://127.0.0.1:9/v1")


def image_part() -> AttachmentPart:
    return AttachmentPart.from_bytes(b"\x89PNG\r\n\x1a\n", "image/png", "a.png")


def text_part() -> AttachmentPart:
    return AttachmentPart.from_bytes(b"hi", "text/plain", "a.txt")


def test_the_listed_model_decides(isolated_home: Path) -> None:
    blind = ModelInfo("m", extra={"vision": "no"})
    seeing = ModelInfo("m", extra={"vision": "yes"})
    refusal = att.image_refusal([image_part()], connection(), "m", model=blind)
    assert refusal is not None
    assert (
        refusal.message == "The model m on Fake does not take images, so the prompt was not sent."
    )
    assert att.image_refusal([image_part()], connection(), "m", model=seeing) is None
    assert att.image_refusal([text_part()], connection(), "m", model=blind) is None
    # Nobody knows (no cache, nothing said): sent, and a refusal is learnt from the server.
    assert att.image_refusal([image_part()], connection(), "m") is None


def test_a_refusal_from_the_server_is_learnt(isolated_home: Path) -> None:
    error = ProviderError(
        ErrorKind.ENDPOINT_NOT_FOUND,
        "Nothing answers at …",
        status=404,
        server_reason="No endpoints found that support image input",
    )
    found = att.refusal_from_error(error, connection(), "m")
    assert found is not None
    assert "does not take images (the server said: No endpoints found" in found.message
    assert att.image_refusal([image_part()], connection(), "m") is not None  # before sending now
    assert att.image_refusal([image_part()], connection(), "other") is None


@pytest.mark.parametrize(
    "reason",
    [
        "Invalid content type. image_url is only supported by certain models.",
        "image input is not supported - hint: if this is unexpected, you may need to provide "
        "the mmproj",
        "Qwen/Qwen2.5-7B is not a multimodal model",
        "model llama3.2 does not support images",
    ],
)
def test_each_servers_words_for_no_images(reason: str) -> None:
    error = ProviderError(ErrorKind.INVALID_REQUEST, "x", status=400, server_reason=reason)
    assert att.refuses_images(error)


def test_other_errors_are_not_image_refusals() -> None:
    for reason in ("model not found", "does not support tools", "context length exceeded"):
        error = ProviderError(ErrorKind.INVALID_REQUEST, "x", status=400, server_reason=reason)
        assert not att.refuses_images(error)
        assert att.refusal_from_error(error, connection(), "m") is None
