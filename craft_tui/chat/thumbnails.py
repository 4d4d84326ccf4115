"""An image as a small grid of colours, for a preview in a text terminal.

Graphics protocols (Kitty's, Sixel, iTerm2's) are not there over most SSH sessions and inside
tmux, where our users are; a *half-block* preview is: each character cell shows two pixels, the
upper as the foreground colour of `▀` and the lower as its background. A terminal with 24-bit
colour shows a recognisable thumbnail; the UI turns these cells into styled segments
(`ui/widgets/image_preview.py`).

Textual-free and pure: bytes in, colours out, so it runs in a worker thread. Pillow is imported
here only when a preview is made. Transparent pixels are shown over `BACKDROP`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

RGB = tuple[int, int, int]

BACKDROP: RGB = (40, 40, 40)  # what shows through a transparent pixel
MAX_DECODED_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded


@dataclass(frozen=True)
class Thumbnail:
    """`rows` of cells, each `(upper, lower)` colour; every row `width` cells long."""

    rows: tuple[tuple[tuple[RGB, RGB], ...], ...]

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    @property
    def height(self) -> int:
        return len(self.rows)


def thumbnail(data: bytes, max_columns: int, max_rows: int) -> Thumbnail | None:
    """The image in `data` scaled to fit `max_columns` × `max_rows` cells (2 pixels a cell,
    upright, aspect kept); None when the bytes are not an image Pillow can decode."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if max_columns < 1 or max_rows < 1:
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_DECODED_PIXELS:
                return None
            opened.draft("RGB", (max_columns * 4, max_rows * 8))  # JPEG: decode small
            image = ImageOps.exif_transpose(opened)
            image = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    scale = min(max_columns / image.width, (max_rows * 2) / image.height, 1.0)
    columns = max(1, round(image.width * scale))
    pixel_rows = max(2, round(image.height * scale))
    pixel_rows += pixel_rows % 2  # whole cells
    small = image.resize((columns, pixel_rows), Image.Resampling.LANCZOS)
    flat = Image.new("RGBA", small.size, (*BACKDROP, 255))
    flat.alpha_composite(small)
    rgb = flat.convert("RGB")
    raw = rgb.tobytes()
    pixels = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]
    rows = []
    for top in range(0, pixel_rows, 2):
        upper = pixels[top * columns : (top + 1) * columns]
        lower = pixels[(top + 1) * columns : (top + 2) * columns]
        rows.append(tuple(zip(upper, lower, strict=True)))
    return Thumbnail(tuple(rows))
