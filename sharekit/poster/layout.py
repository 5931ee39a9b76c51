"""Geometry and picture helpers: colours, fitting a photo into a box, rounded corners, placeholders."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

RGB = tuple[int, int, int]


def rgb(value: str, brand: str = "#E4393C") -> RGB:
    """``#RGB``/``#RRGGBB`` or ``brand`` as an (r, g, b) tuple."""
    text = brand if value == "brand" else value
    text = text.lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError:
        return (228, 57, 60)


def open_photo(path: Path, box: tuple[int, int]) -> Image.Image:
    """The photo at ``path`` as RGB, oriented by its EXIF tag, decoded no larger than needed."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        if im.format == "JPEG":
            im.draft("RGB", box)  # DCT scaling: decode at 1/2, 1/4... when the box allows
        if im.getexif().get(0x0112, 1) != 1:  # only rotated photos pay for a transposed copy
            im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            im = im.convert("RGBA")
            flat = Image.new("RGB", im.size, (255, 255, 255))
            flat.paste(im, mask=im.getchannel("A"))
            return flat
        if im.mode == "RGB":
            im.load()  # decoded in place: no converted copy
            return im
        return im.convert("RGB")


def fit(photo: Image.Image, box: tuple[int, int], mode: str, background: RGB) -> Image.Image:
    """``photo`` scaled into ``box``: ``cover`` crops to fill, ``contain`` letterboxes."""
    from PIL import Image

    bw, bh = box
    pw, ph = photo.size
    if mode == "contain":
        scale = min(bw / pw, bh / ph)
        size = (max(1, round(pw * scale)), max(1, round(ph * scale)))
        resized = photo.resize(size, _filter(scale), reducing_gap=2.0)
        canvas = Image.new("RGB", box, background)
        canvas.paste(resized, ((bw - size[0]) // 2, (bh - size[1]) // 2))
        return canvas
    scale = max(bw / pw, bh / ph)
    crop_w, crop_h = bw / scale, bh / scale
    left, top = (pw - crop_w) / 2, (ph - crop_h) / 2
    return photo.resize(box, _filter(scale), box=(left, top, left + crop_w, top + crop_h), reducing_gap=2.0)


def _filter(scale: float) -> int:
    """Bilinear to shrink (Pillow's is antialiased: half bicubic's cost, no visible loss at
    poster scale), bicubic to enlarge a small photo."""
    from PIL import Image

    return Image.Resampling.BILINEAR if scale <= 1 else Image.Resampling.BICUBIC


@lru_cache(maxsize=8)
def round_mask(size: tuple[int, int], radius: int) -> Image.Image:
    from PIL import Image, ImageDraw

    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius=radius, fill=255)
    return mask


def placeholder(box: tuple[int, int]) -> Image.Image:
    """A quiet grey panel with a simple picture glyph, drawn where a product photo is missing."""
    from PIL import Image, ImageDraw

    w, h = box
    img = Image.new("RGB", box, (236, 236, 236))
    d = ImageDraw.Draw(img)
    side = max(8, min(w, h) // 4)
    x0, y0 = (w - side) // 2, (h - side) // 2
    line = max(2, side // 16)
    d.rounded_rectangle((x0, y0, x0 + side, y0 + side), radius=side // 8, outline=(190, 190, 190), width=line)
    d.polygon([(x0 + side * 0.15, y0 + side * 0.8), (x0 + side * 0.42, y0 + side * 0.45),
               (x0 + side * 0.62, y0 + side * 0.68), (x0 + side * 0.72, y0 + side * 0.58),
               (x0 + side * 0.85, y0 + side * 0.8)], fill=(200, 200, 200))
    r = side // 10
    d.ellipse((x0 + side * 0.68 - r, y0 + side * 0.3 - r, x0 + side * 0.68 + r, y0 + side * 0.3 + r),
              fill=(200, 200, 200))
    return img
