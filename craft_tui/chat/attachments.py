"""Files a person attaches to a prompt: from a typed or pasted path to an `AttachmentPart`.

One module for the command line (`ask -a FILE`) and the app (the attach key, a dropped file):

- `load_attachment(path, protocol)` reads one file and decides what it is by its *content*
  (PNG/JPEG/GIF/WebP/PDF signatures, then whatever Pillow can decode, then UTF-8 text), the
  name's extension only naming the kind of text (`.json`, `.md`, …). A file called `notes.png`
  that holds text is sent as text; a screenshot saved without an extension is still an image.
- Images are made to fit the provider (`IMAGE_LIMITS`): turned upright by their EXIF
  orientation, scaled down to the long edge the provider recommends and re-encoded (PNG when
  the picture has transparency or few colours, else JPEG) until they fit its byte limit. A JPEG
  that carries EXIF data is re-encoded even when small enough, so a photo's location and camera
  details do not go to the provider. An image already within the limits is sent byte for byte.
- Refusals are `AttachmentProblem`s: a sentence naming the file (disarmed: a path is outside
  text) and the limit with its figure, and a fix — for a missing file, a folder, a device or
  pipe, an unreadable file, a file over `MAX_FILE_BYTES`, text over `MAX_TEXT_BYTES`, a kind no
  protocol takes, and a prompt whose files add up to more than `MAX_PROMPT_BYTES`.
- `dropped_paths(text)`: terminals paste a file dropped on them as its path (quoted, with
  backslash-escaped spaces, or as a `file://` URI); this recognises a paste that is exactly one
  or more existing files.
- `image_refusal(...)`: the one rule for "this model does not take images", asked before
  anything is sent — from what discovery recorded (`ModelInfo.extra["vision"]`, from
  OpenRouter's `architecture.input_modalities` and Ollama's `capabilities`), else from a refusal
  the server gave earlier in this process (`refusal_from_error`).

Pillow is imported only when an image is attached (the app's start-up does not pay for it).
"""

from __future__ import annotations

import io
import mimetypes
import os
import re
import shlex
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from craft_tui.providers.content import IMAGE_TYPES, PDF_TYPE, AttachmentPart
from craft_tui.untrusted import shown_inline

if TYPE_CHECKING:
    from PIL import Image

    from craft_tui.config.schema import Connection
    from craft_tui.providers.errors import ProviderError
    from craft_tui.providers.types import ModelInfo

MB = 1024 * 1024
# What is read from disk at all: a phone's photo is 3-12 MB, a camera's raw export more; an image
# over this is better exported smaller than decoded here.
MAX_FILE_BYTES = 50 * MB
# A text file goes into the context whole: 1 MB is about 250,000 tokens, more than most models'
# context windows hold.
MAX_TEXT_BYTES = 1 * MB
# PDFs go as they are (nothing here makes them smaller); Anthropic takes at most 32 MB per request
# and the base64 encoding adds a third.
MAX_PDF_BYTES = 20 * MB
# Every file of one prompt together, as sent: base64 adds a third, so 24 MB is the 32 MB request
# limit of Anthropic's Messages API (OpenAI's is larger).
MAX_PROMPT_BYTES = 24 * MB
# Pillow's own decompression-bomb guard is ~179 megapixels; a picture this large is a mistake or
# an attack, and decoding it would take gigabytes.
MAX_IMAGE_PIXELS = 100_000_000


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """What one provider takes: the long edge it recommends (larger images are scaled down by the
    server anyway, at the user's token cost) and the most bytes one image may have."""

    long_edge: int
    max_bytes: int


# Anthropic: "resize to no more than 1.15 megapixels (and within 1568 pixels in both
# dimensions)" is recommended, 8000 px is refused (2000 px when a request has over 20 images),
# and one image's base64 must stay within 5 MB, i.e. 3.75 MB of bytes.
# OpenAI Chat Completions: 20 MB per image; at `detail: high` an image is scaled to fit 2048 px
# and then to 768 px on its short side, so more pixels than 2048 are never seen.
IMAGE_LIMITS: dict[str, ImageLimits] = {
    "anthropic": ImageLimits(long_edge=1568, max_bytes=5 * MB * 3 // 4),
    "openai": ImageLimits(long_edge=2048, max_bytes=20 * MB),
    # OpenAI Responses: the same models and image pipeline as Chat Completions.
    "openai-responses": ImageLimits(long_edge=2048, max_bytes=20 * MB),
}
# An unknown protocol (a new one, or a server that speaks OpenAI's with stricter limits) gets the
# strictest of them, which every protocol takes.
STRICTEST = ImageLimits(
    long_edge=min(limit.long_edge for limit in IMAGE_LIMITS.values()),
    max_bytes=min(limit.max_bytes for limit in IMAGE_LIMITS.values()),
)
_JPEG_QUALITY = 85


def image_limits(protocol: str | None) -> ImageLimits:
    """The image limits of a protocol (`openai`, `anthropic`, `openai-responses`); the strictest
    for any other."""
    return IMAGE_LIMITS.get(protocol or "", STRICTEST)


class AttachmentProblem(Exception):
    """A file that cannot be attached: `message` says which and why, `hint` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attached file, ready to send (`part` carries its bytes), with what the prompt's chips
    and the command line say about it."""

    part: AttachmentPart
    path: Path
    dimensions: tuple[int, int] | None = None  # width, height as sent (images)
    original_dimensions: tuple[int, int] | None = None  # before scaling; None when not scaled

    def __post_init__(self) -> None:
        if self.dimensions is not None:
            remember_dimensions(self.part.id, self.dimensions)  # for the transcript and history

    @property
    def name(self) -> str:
        return self.part.name or self.path.name

    @property
    def resized(self) -> bool:
        return self.original_dimensions is not None

    def label(self) -> str:
        """`photo.jpg · 1.2 MB · 1568×1176 (from 4032×3024)`, disarmed: a file name is
        outside text. What the prompt's chips and `ask` say before sending."""
        words = [shown_inline(self.name or "attachment"), size_label(self.part.size)]
        if self.dimensions is not None:
            shape = f"{self.dimensions[0]}×{self.dimensions[1]}"
            if self.original_dimensions is not None:
                original = self.original_dimensions
                shape += f" (from {original[0]}×{original[1]})"
            words.append(shape)
        elif self.part.kind == "pdf":
            words.append("PDF")
        return " · ".join(words)


def describe(part: AttachmentPart, dimensions: tuple[int, int] | None = None) -> str:
    """One line naming a sent attachment, as the transcript lists it under its message:
    `photo.jpg · image/jpeg · 1.2 MB · 1568×1176` — name, media type, size, and for an image the
    pixels that were sent (`dimensions`, else what `sent_dimensions` knows; left out when
    nothing does). Disarmed: the name is outside text, and so is a stored media type."""
    words = [
        shown_inline(part.name or "attachment"),
        shown_inline(part.media_type or "application/octet-stream"),
        size_label(part.size),
    ]
    shape = dimensions if dimensions is not None else sent_dimensions(part)
    if shape is not None:
        words.append(f"{shape[0]}×{shape[1]}")
    return " · ".join(words)


# The pixels of each image sent or read back in this process, by SHA-256 (`AttachmentPart.id`):
# the id names the bytes, so it names their dimensions too. Filled when a file is attached
# (`Attachment`) and when a stored message is read (`stored_parts.parts_from`, from the part's
# row), so the transcript shows them without loading any image's bytes.
_DIMENSIONS: dict[str, tuple[int, int]] = {}
_MAX_REMEMBERED = 4096  # a few dozen bytes each


def remember_dimensions(part_id: str, dimensions: tuple[int, int]) -> None:
    """Note the pixels of the image whose bytes hash to `part_id`."""
    if part_id not in _DIMENSIONS and len(_DIMENSIONS) >= _MAX_REMEMBERED:
        del _DIMENSIONS[next(iter(_DIMENSIONS))]  # the oldest
    _DIMENSIONS[part_id] = dimensions


def sent_dimensions(part: AttachmentPart) -> tuple[int, int] | None:
    """Width and height of an image attachment as sent: remembered (attached or read back in
    this process), else read from the bytes' header when the part carries them (a new prompt,
    an import). None for other kinds, and for an image stored before dimensions were kept
    whose bytes are not loaded (they are not read for this)."""
    if part.kind != "image":
        return None
    known = _DIMENSIONS.get(part.id)
    if known is None and part.data is not None:
        known = image_dimensions(part.data)
        if known is not None:
            remember_dimensions(part.id, known)
    return known


def size_label(size: int) -> str:
    """Bytes as people read them: `812 B`, `14 KB`, `1.2 MB`."""
    if size < 1024:
        return f"{size} B"
    if size < MB:
        return f"{size / 1024:.0f} KB"
    return f"{size / MB:.1f} MB"


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image's bytes (the header only), or None when it is not one."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


# ---------------------------------------------------------------------- reading one file


def _shown_path(path: Path | str) -> str:
    return shown_inline(str(path))


def resolve_path(text: str, base: Path | None = None) -> Path:
    """A path as the user typed it: `~` expanded, relative to `base` (else the working folder),
    symlinks followed."""
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return path.resolve()


def _checked_file(path: Path, typed: str) -> int:
    """The size of the regular, readable file at `path`, or the problem with it."""
    shown = _shown_path(typed)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise AttachmentProblem(
            f"There is no file {shown}.", "Check the path; Tab completes it in the app."
        ) from None
    except PermissionError:
        raise AttachmentProblem(
            f"{shown} cannot be reached: permission denied.",
            "Check the permissions of the folders on the way to it.",
        ) from None
    except OSError as error:
        raise AttachmentProblem(
            f"{shown} cannot be read: {error.strerror or type(error).__name__}.",
            "Check the path.",
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise AttachmentProblem(
            f"{shown} is a folder, not a file.", "Attach the files in it one by one."
        )
    if not stat.S_ISREG(info.st_mode):
        what = "a pipe" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise AttachmentProblem(
            f"{shown} is {what}, not a file.", "Attach a regular file (copy it to one first)."
        )
    if info.st_size > MAX_FILE_BYTES:
        raise AttachmentProblem(
            f"{shown} is {size_label(info.st_size)}: files over "
            f"{size_label(MAX_FILE_BYTES)} cannot be attached.",
            "Attach a smaller file (export the image smaller, or split the text).",
        )
    if not os.access(path, os.R_OK):
        raise AttachmentProblem(
            f"{shown} cannot be read: permission denied.", "Check the file's permissions."
        )
    return info.st_size


def _read(path: Path, typed: str) -> bytes:
    _checked_file(path, typed)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # it may have grown since the check
    except OSError as error:
        raise AttachmentProblem(
            f"{_shown_path(typed)} cannot be read: {error.strerror or type(error).__name__}.",
            "Check the file's permissions.",
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise AttachmentProblem(
            f"{_shown_path(typed)} is over {size_label(MAX_FILE_BYTES)}: it cannot be attached.",
            "Attach a smaller file.",
        )
    return data


def load_attachment(
    typed: str | Path, protocol: str | None = None, *, base: Path | None = None
) -> Attachment:
    """The file at `typed` as an attachment for a request over `protocol` (its image limits).

    Raises `AttachmentProblem` with a sentence for the person (see the module doc)."""
    typed_text = str(typed)
    if not typed_text.strip():
        raise AttachmentProblem("No file was given.", "Type the path of the file to attach.")
    path = resolve_path(typed_text, base)
    data = _read(path, typed_text)
    name = path.name
    media = sniff_media_type(data, name)
    shown = _shown_path(typed_text)
    if media in IMAGE_TYPES or media == "image/other":
        return _image(data, name, path, image_limits(protocol), shown)
    if media == PDF_TYPE:
        if len(data) > MAX_PDF_BYTES:
            raise AttachmentProblem(
                f"{shown} is {size_label(len(data))}: PDF files over "
                f"{size_label(MAX_PDF_BYTES)} cannot be attached.",
                "Attach fewer pages (print the ones needed to a new PDF).",
            )
        return Attachment(AttachmentPart.from_bytes(data, PDF_TYPE, name), path)
    if media is None:
        raise AttachmentProblem(
            f"{shown} is neither an image, a PDF nor UTF-8 text: it cannot be attached.",
            "Attach an image (PNG, JPEG, GIF, WebP), a PDF or a text file.",
        )
    if len(data) > MAX_TEXT_BYTES:
        raise AttachmentProblem(
            f"{shown} is {size_label(len(data))} of text: text files over "
            f"{size_label(MAX_TEXT_BYTES)} (about 250,000 tokens) cannot be attached.",
            "Attach the part that matters (head, tail or grep it into a smaller file).",
        )
    part = AttachmentPart.from_bytes(data, media, name)
    if part.kind != "text":  # a text type content.py does not send as text
        part = AttachmentPart.from_bytes(data, "text/plain", name)
    return Attachment(part, path)


def check_prompt_size(attachments: Sequence[Attachment | AttachmentPart]) -> None:
    """Refuse a prompt whose files add up to more than `MAX_PROMPT_BYTES` (with the figure)."""
    parts = [a.part if isinstance(a, Attachment) else a for a in attachments]
    total = sum(part.size for part in parts)
    if total > MAX_PROMPT_BYTES:
        raise AttachmentProblem(
            f"The attached files add up to {size_label(total)}: one prompt takes at most "
            f"{size_label(MAX_PROMPT_BYTES)}.",
            "Remove an attachment, or send the files in separate prompts.",
        )


def load_attachments(
    typed: Iterable[str | Path], protocol: str | None = None, *, base: Path | None = None
) -> list[Attachment]:
    """Every file of one prompt (`ask -a A -a B`), checked one by one and then together."""
    loaded = [load_attachment(path, protocol, base=base) for path in typed]
    check_prompt_size(loaded)
    return loaded


# ---------------------------------------------------------------------- what a file is

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", PDF_TYPE),
)
# Text types by extension that mimetypes does not know everywhere.
_TEXT_EXTENSIONS = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".toml": "application/toml",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".ndjson": "application/x-ndjson",
    ".csv": "text/csv",
    ".py": "text/x-python",
    ".rs": "text/x-rust",
    ".go": "text/x-go",
    ".ts": "text/x-typescript",
    ".sh": "application/x-sh",
    ".sql": "application/sql",
    ".xml": "application/xml",
    ".html": "text/html",
    ".css": "text/css",
    ".js": "application/javascript",
}
_SNIFF_BYTES = 8192


def sniff_media_type(data: bytes, name: str = "") -> str | None:
    """What `data` is, by its content: an image type (`image/other` for one Pillow can decode
    but no provider takes as is, e.g. BMP or TIFF, to be re-encoded), PDF, a text type (named by
    the extension when it names one), or None for any other binary file."""
    for signature, media in _SIGNATURES:
        if data.startswith(signature):
            return media
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _is_text(data):
        return _text_type(name)
    if _decodable_image(data):
        return "image/other"
    return None


def _is_text(data: bytes) -> bool:
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A cut in the middle of a character at the end of the sample is still text.
        return len(data) > _SNIFF_BYTES and error.start >= len(head) - 3
    return True


def _text_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _TEXT_EXTENSIONS:
        return _TEXT_EXTENSIONS[suffix]
    guessed, _encoding = mimetypes.guess_type(name or "file.txt", strict=False)
    if guessed and (guessed.startswith("text/") or guessed.endswith(("+json", "+xml"))):
        return guessed
    return "text/plain"


def _decodable_image(data: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return bool(image.format)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return False


# ---------------------------------------------------------------------- images


def _image(data: bytes, name: str, path: Path, limits: ImageLimits, shown: str) -> Attachment:
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    too_many = AttachmentProblem(
        f"{shown} has over {MAX_IMAGE_PIXELS // 1_000_000} megapixels: such images cannot be "
        "attached.",
        "Export it smaller first.",
    )
    try:
        with warnings.catch_warnings():
            # The size is checked here, with its own message; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise too_many from None
    except (UnidentifiedImageError, OSError, ValueError, EOFError):
        opened = None
    if opened is None:
        raise AttachmentProblem(
            f"{shown} looks like an image but cannot be decoded (damaged or cut short).",
            "Open it in an image viewer and save it again as PNG or JPEG.",
        )
    try:
        with opened:
            width, height = opened.size
            if width * height > MAX_IMAGE_PIXELS:
                raise AttachmentProblem(
                    f"{shown} is {width}×{height} pixels: images over "
                    f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels cannot be attached.",
                    "Export it smaller first.",
                )
            media = _IMAGE_FORMATS.get(opened.format or "")
            orientation = opened.getexif().get(0x0112, 1)
            has_exif = media == "image/jpeg" and bool(opened.info.get("exif"))
            fits = max(width, height) <= limits.long_edge and len(data) <= limits.max_bytes
            if media is not None and fits and orientation == 1 and not has_exif:
                return Attachment(
                    AttachmentPart.from_bytes(data, media, name), path, (width, height)
                )
            opened.seek(0)  # an animation that must change becomes its first frame
            image = ImageOps.exif_transpose(opened)
            image.load()
    except AttachmentProblem:
        raise
    except Image.DecompressionBombError:
        raise too_many from None
    except (UnidentifiedImageError, OSError, ValueError, EOFError):
        raise AttachmentProblem(
            f"{shown} looks like an image but cannot be decoded (damaged or cut short).",
            "Open it in an image viewer and save it again as PNG or JPEG.",
        ) from None
    upright = image.size
    encoded, media_type, size = _fit(image, limits, png=_wants_png(image, media))
    if encoded is None:
        raise AttachmentProblem(
            f"{shown} cannot be made small enough for the provider's limit of "
            f"{size_label(limits.max_bytes)} per image.",
            "Export it smaller, or crop it to the part that matters.",
        )
    part = AttachmentPart.from_bytes(encoded, media_type, _renamed(name, media_type))
    original = upright if size != upright else None
    return Attachment(part, path, size, original)


_IMAGE_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}


def _renamed(name: str, media_type: str) -> str:
    """The file's name with the extension of what is sent (`scan.tiff` sent as PNG → `scan.png`);
    a name whose extension already fits stays as it was."""
    extension = {"image/png": ".png", "image/jpeg": ".jpg"}[media_type]
    stem, suffix = os.path.splitext(name)
    if suffix.lower() in {extension, ".jpeg"} and media_type == "image/jpeg":
        return name
    if suffix.lower() == extension:
        return name
    return (stem or "image") + extension


def _wants_png(image: Image.Image, source: str | None) -> bool:
    """JPEG for what was a JPEG (a photo stays a photo); PNG for pictures with transparency and
    for lossless sources (screenshots, diagrams: sharp edges JPEG would smear). `_fit` still
    falls back to JPEG when a PNG is over the byte limit."""
    if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info:
        return True
    return source != "image/jpeg"


def _fit(
    image: Image.Image, limits: ImageLimits, *, png: bool
) -> tuple[bytes | None, str, tuple[int, int]]:
    """The image scaled to the long edge and encoded within the byte limit (PNG when `png`),
    then as JPEG, then in smaller steps until it fits."""
    from PIL import Image

    scale = min(1.0, limits.long_edge / max(image.size))
    for _attempt in range(8):
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        scaled = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
        encoded = _encode(scaled, png)
        if len(encoded) <= limits.max_bytes:
            return encoded, "image/png" if png else "image/jpeg", size
        if png:
            png = False  # a photo-like PNG: JPEG holds it in far fewer bytes
        else:
            scale *= 0.75
    return None, "image/jpeg", image.size


def _encode(image: Image.Image, png: bool) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    if png:
        if image.mode not in {"RGB", "RGBA", "L", "LA", "P", "1"}:
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))  # transparency on white
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return out.getvalue()


# ---------------------------------------------------------------------- a dropped file

_MAX_DROP_CHARS = 8192
_MAX_DROPPED = 32


def dropped_paths(text: str, *, base: Path | None = None) -> list[Path] | None:
    """The files a paste names when it is exactly one or more existing files: what a terminal
    pastes when a file is dropped on it (`/a/b c.png`, `'/a/b c.png'`, `/a/b\\ c.png`,
    `file:///a/b%20c.png`, several separated by spaces or lines). None for any other text — a
    word that happens to be a file's name in the working folder is not a drop, so only
    absolute, `~` and `file://` paths count."""
    stripped = text.strip()
    if not stripped or len(stripped) > _MAX_DROP_CHARS or "\x00" in stripped:
        return None
    if stripped[0] not in "/~'\"" and not stripped.startswith("file://"):
        return None  # most pastes: text, decided without splitting it
    try:
        words = shlex.split(stripped, posix=True)
    except ValueError:  # an unbalanced quote: text, not paths
        return None
    if not words or len(words) > _MAX_DROPPED:
        return None
    found: list[Path] = []
    for word in words:
        path = _dropped_path(word)
        if path is None:
            return None
        try:
            if not path.is_file():
                return None
        except OSError:
            return None
        found.append(path.resolve())
    return found


def _dropped_path(word: str) -> Path | None:
    if word.startswith("file://"):
        parts = urlsplit(word)
        if parts.netloc not in {"", "localhost"} or not parts.path:
            return None
        return Path(unquote(parts.path))
    if word.startswith("~"):
        expanded = Path(word).expanduser()
        return expanded if expanded.is_absolute() else None
    if word.startswith("/"):
        return Path(word)
    return None


# ---------------------------------------------------------------------- can the model see images

ImageSupport = Literal["yes", "no", "unknown"]
# (connection slug, model id) whose server refused an image in this process.
_REFUSED_IMAGES: set[tuple[str, str]] = set()
_IMAGE_REFUSAL = re.compile(
    r"does(?: not|n't) support (?:image|vision|multimodal|multi-modal)"
    r"|(?:image|vision|multimodal) (?:input )?(?:is |are )?not (?:supported|enabled|available)"
    r"|no endpoints found that support image input"
    r"|(?:model|this model) (?:is not|isn't) (?:a )?(?:vision|multimodal)"
    r"|is not a multimodal model"
    r"|image input is not supported"
    r"|only supports? text"
    r"|unknown variant `image_url`"
    r"|image_url is only supported"
    r"|multimodal (?:is )?not supported"
    r"|does not support images",
    re.IGNORECASE,
)


def image_support(model: ModelInfo | None, connection_slug: str, model_id: str) -> ImageSupport:
    """Whether `model_id` on this connection takes images: its server's refusal in this process,
    else what discovery recorded (`extra["vision"]`), else unknown (sent; a refusal is learnt)."""
    if (connection_slug, model_id) in _REFUSED_IMAGES:
        return "no"
    if model is not None:
        vision = model.extra.get("vision")
        if vision in {"yes", "no"}:
            return "yes" if vision == "yes" else "no"
    return "unknown"


def listed_model(connection: Connection, model_id: str) -> ModelInfo | None:
    """The model as the connection's cached list has it (reads the cache file: call it off the
    UI loop). None when there is no cache or the model is not in it."""
    from craft_tui.providers.model_cache import load_cached

    cached = load_cached(connection)
    if cached is None:
        return None
    for model in cached.models:
        if model.id == model_id:
            return model
    return None


def has_images(parts: Iterable[Attachment | AttachmentPart]) -> bool:
    return any((a.part if isinstance(a, Attachment) else a).kind == "image" for a in parts)


def image_refusal(
    attachments: Sequence[Attachment | AttachmentPart],
    connection: Connection,
    model_id: str,
    *,
    model: ModelInfo | None = None,
    look_up: bool = True,
) -> AttachmentProblem | None:
    """Why this prompt's images cannot go to `model_id` (None: they can, or nobody knows yet).

    The one check the command line and the app make before sending: `model` is the listed
    model when the caller has it; with `look_up` the connection's cached list is read."""
    if not has_images(attachments):
        return None
    if model is None and look_up:
        model = listed_model(connection, model_id)
    if image_support(model, connection.slug, model_id) != "no":
        return None
    shown_model = shown_inline(model_id)
    return AttachmentProblem(
        f"The model {shown_model} on {shown_inline(connection.name)} does not take images, "
        "so the prompt was not sent.",
        "Pick a model that takes images (a vision model), or remove the image.",
    )


def refuses_images(error: ProviderError) -> bool:
    """True when a server's error says the model cannot take images: OpenRouter ("No endpoints
    found that support image input"), OpenAI ("image_url is only supported by certain models"),
    llama.cpp without its projector ("image input is not supported"), vLLM ("… is not a
    multimodal model"), Ollama ("does not support images")."""
    haystack = " ".join(filter(None, [error.server_reason, error.message]))
    return _IMAGE_REFUSAL.search(haystack) is not None


def refusal_from_error(
    error: ProviderError, connection: Connection, model_id: str
) -> AttachmentProblem | None:
    """When a prompt with images failed with `error` because the model cannot take images: the
    clear sentence for it, remembered so the next prompt with an image to this model is stopped
    before it is sent (for this process). None for any other error."""
    if not refuses_images(error):
        return None
    _REFUSED_IMAGES.add((connection.slug, model_id))
    reason = (
        f" (the server said: {shown_inline(error.server_reason)})" if error.server_reason else ""
    )
    return AttachmentProblem(
        f"The model {shown_inline(model_id)} on {shown_inline(connection.name)} does not take "
        f"images{reason}.",
        "Pick a model that takes images (a vision model), or remove the image.",
    )


def forget_refusals() -> None:
    """Drop what was learnt (tests; a model may gain vision after an update)."""
    _REFUSED_IMAGES.clear()
