"""Render one poster from plain values: a product record, the QR text, a template and a brand.

No store, no config: ``Renderer(FontChain.build()).render(product, qr_text, template, brand)``
returns the image and the warnings (missing photo, characters no font has, tiny QR modules).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.money import Money
from ..core.pricing import PriceStory, price_story
from ..errors import InputError
from .layout import fit, open_photo, placeholder, rgb, round_mask
from .placeholders import fill, price_values
from .price import draw_coupon, draw_price
from .qr import MIN_MODULE_PX, qr_image
from .templates import Block, Template
from .text import FontChain, fmt_missing, wrap

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
DEFAULT_QUALITY = 88


@dataclass(frozen=True)
class ProductRecord:
    """What a poster shows of a product: plain values, no store needed.

    The figures are what the supplier states; :attr:`story` derives the rest (coupon usable at
    the selling price or not, the final price) with :func:`sharekit.core.pricing.price_story`.
    """

    id: str
    title: str
    sale_price: Money | None = None  # 在售价: what it sells for now, before any coupon
    list_price: Money | None = None  # 原价
    coupon: Money | None = None      # the best coupon's discount
    image_path: str | None = None    # absolute, or None for a placeholder
    threshold: Money | None = None   # the coupon's minimum order (满X)
    coupon_url: str | None = None

    @cached_property
    def story(self) -> PriceStory:
        return price_story(list_price=self.list_price, sale_price=self.sale_price, coupon=self.coupon,
                           threshold=self.threshold)

    @property
    def final_price(self) -> Money | None:
        """What the buyer pays: after a usable coupon, else the selling price."""
        return self.story.final_price


@dataclass(frozen=True)
class Brand:
    name: str = "My Shop"
    color: str = "#E4393C"
    slogan: str = ""
    logo: str = ""  # a path; empty for none

    @classmethod
    def from_config(cls, config: Any) -> Brand:
        return cls(name=str(config.get("brand.name") or ""), color=str(config.get("brand.color") or "#E4393C"),
                   slogan=str(config.get("brand.slogan") or ""),
                   logo=str(Path(str(config.get("brand.logo"))).expanduser()) if config.get("brand.logo") else "")


@dataclass
class Rendered:
    image: Image.Image
    warnings: list[str] = field(default_factory=list)
    placeholder: bool = False   # a grey box stands where the product photo should be


class Renderer:
    """Holds the fonts (and cached logos) for many posters: build once per worker."""

    def __init__(self, fonts: FontChain | None = None) -> None:
        self.fonts = fonts or FontChain.build()
        self._logos: dict[str, Image.Image | None] = {}
        self._fitted: dict[tuple[str, int], Image.Image] = {}

    def fitted_logo(self, path: str, side: int, logo: Image.Image) -> Image.Image:
        """The logo scaled into ``side`` x ``side`` (cached: every poster of a batch reuses it)."""
        key = (path, side)
        art = self._fitted.get(key)
        if art is None:
            from PIL import Image, ImageOps

            art = self._fitted[key] = ImageOps.contain(logo, (side, side), Image.Resampling.LANCZOS)
        return art

    def logo(self, path: str, warnings: list[str]) -> Image.Image | None:
        if not path:
            return None
        if path not in self._logos:
            from PIL import Image

            try:
                with Image.open(path) as im:
                    im.load()
                    self._logos[path] = im.convert("RGBA")
            except (OSError, ValueError):
                self._logos[path] = None
        if self._logos[path] is None:
            warnings.append(f"brand logo {path} could not be read; drawn without it")
        return self._logos[path]

    def render(self, product: ProductRecord, qr_text: str, template: Template, brand: Brand) -> Rendered:
        from PIL import Image, ImageDraw

        if template.kind != "product":
            raise InputError(f"{template.path}: a template with a progress block shows a group's progress, not a "
                             "product: use it with `sharekit channel progress NAME --poster FILE`.")
        canvas = Image.new("RGB", (template.width, template.height), rgb(template.background, brand.color))
        draw = ImageDraw.Draw(canvas)
        warnings: list[str] = []
        flags: set[str] = set()
        title, missing = self.fonts.clean(product.title)
        if missing:
            warnings.append(f"{product.id}: no font has {fmt_missing(missing)}; left out of the title")
        values = {**price_values(product), "brand": brand.name, "slogan": brand.slogan, "title": title}
        for block in template.blocks:
            handler = getattr(self, f"_draw_{block.type}")
            handler(canvas, draw, block, product=product, title=title, qr_text=qr_text, brand=brand,
                    values=values, warnings=warnings, flags=flags)
        return Rendered(canvas, warnings, "placeholder" in flags)

    # blocks ---------------------------------------------------------------------------------

    def _draw_rect(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, block: Block, *, brand: Brand,
                   **_: Any) -> None:
        box = (block.x, block.y, block.x + block.w - 1, block.y + block.h - 1)
        draw.rounded_rectangle(box, radius=int(block.get("radius", 0)), fill=rgb(block.get("color", "#FFFFFF"),
                                                                                 brand.color))

    def _draw_image(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, block: Block, *,
                    product: ProductRecord, brand: Brand, warnings: list[str], flags: set[str],
                    **_: Any) -> None:
        from PIL import Image

        box = (block.w, block.h)
        background = rgb(block.get("background", "#FFFFFF"), brand.color)
        picture = None
        if product.image_path and Path(product.image_path).is_file():
            try:
                picture = fit(open_photo(Path(product.image_path), box), box, block.get("fit", "cover"), background)
            except (OSError, ValueError, Image.DecompressionBombError) as exc:
                warnings.append(f"{product.id}: image {product.image_path} unreadable ({type(exc).__name__}); "
                                "drew a placeholder")
        elif product.image_path:
            warnings.append(f"{product.id}: image {product.image_path} is missing; drew a placeholder")
        else:
            warnings.append(f"{product.id}: no cached image; drew a placeholder (run `sharekit pull` with images)")
        if picture is None:
            flags.add("placeholder")
            picture = placeholder(box)
        radius = int(block.get("radius", 0))
        canvas.paste(picture, (block.x, block.y), round_mask(box, radius) if radius else None)

    def _text_block(self, draw: ImageDraw.ImageDraw, block: Block, text: str, brand: Brand, *,
                    default_size: int, default_bold: bool, default_lines: int) -> None:
        size = int(block.get("size", default_size))
        bold = bool(block.get("bold", default_bold))
        max_lines = int(block.get("max_lines", default_lines))
        line_height = float(block.get("line_height", 1.35))
        color = rgb(block.get("color", "#222222"), brand.color)
        align = block.get("align", "left")
        measure = self.fonts.measure(size, bold)
        lines = wrap(text, block.w, measure, max_lines)
        step = size * line_height
        for i, line in enumerate(lines):
            width = measure(line)
            x = block.x + (block.w - width if align == "right" else (block.w - width) / 2 if align == "center" else 0)
            baseline = block.y + (step - size) / 2 + size * 0.9 + i * step
            self.fonts.draw(draw, (x, baseline), line, size, color, bold=bold)

    def _draw_title(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, block: Block, *, title: str,
                    brand: Brand, **_: Any) -> None:
        self._text_block(draw, block, title, brand, default_size=44, default_bold=True, default_lines=2)

    def _draw_text(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, block: Block, *, brand: Brand,
                   values: dict[str, str], warnings: list[str], **_: Any) -> None:
        text = fill(block.get("text", ""), values).strip(" ·|-—")
        text, missing = self.fonts.clean(text)
        if missing:
            warnings.append(f"no font has {fmt_missing(missing)}; left out of a text block")
        self._text_block(draw, block, text, brand, default_size=32, default_bold=False, default_lines=1)

    def _draw_price(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, block: Block, *,
                    product: ProductRecord, brand: Brand, **_: Any) -> None:
        draw_price(draw, self.fonts, block, product.story, brand.color)

    def _draw_coupon(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, block: Block, *,
                     product: ProductRecord, brand: Brand, **_: Any) -> None:
        draw_coupon(draw, self.fonts, block, product.story, brand.color)

    def _draw_qr(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, block: Block, *, qr_text: str,
                 brand: Brand, values: dict[str, str], warnings: list[str], product: ProductRecord,
                 **_: Any) -> None:
        if not qr_text:
            raise InputError(f"{product.id}: no link to put in the QR code.")
        logo = self.logo(brand.logo, warnings) if block.get("logo", False) else None
        img, info = qr_image(qr_text, block.w, logo, fitted=lambda side: self.fitted_logo(brand.logo, side, logo))
        if info.module_px < MIN_MODULE_PX:
            warnings.append(f"{product.id}: QR modules are only {info.module_px}px (link of {len(qr_text)} "
                            "characters); phones may not scan it, use a short link")
        # White plate the size of the block, the code centred on it at its exact pixel size.
        draw.rectangle((block.x, block.y, block.x + block.w - 1, block.y + block.w - 1), fill=(255, 255, 255))
        offset = (block.w - info.side_px) // 2
        canvas.paste(img, (block.x + offset, block.y + offset))
        caption = fill(block.get("caption", "长按识别二维码"), values)
        if caption:
            size = int(block.get("caption_size", 30))
            color = rgb(block.get("caption_color", "#666666"), brand.color)
            width = self.fonts.length(caption, size)
            baseline = block.y + block.w + size * 1.1
            self.fonts.draw(draw, (block.x + (block.w - width) / 2, baseline), caption, size, color)

    def _draw_brand(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, block: Block, *, brand: Brand,
                    warnings: list[str], **_: Any) -> None:
        fill = rgb(block.get("color", "brand"), brand.color)
        ink = rgb(block.get("text_color", "#FFFFFF"), brand.color)
        draw.rectangle((block.x, block.y, block.x + block.w - 1, block.y + block.h - 1), fill=fill)
        x = block.x + 48
        name_size = int(block.get("name_size", 44))
        slogan_size = int(block.get("slogan_size", 30))
        logo = self.logo(brand.logo, warnings) if block.get("logo", True) else None
        if logo is not None:
            side = int(block.get("logo_size", block.h * 6 // 10))
            top = block.y + (block.h - side) // 2
            # A white rounded plate keeps a logo in the brand colour visible on the bar.
            draw.rounded_rectangle((x, top, x + side - 1, top + side - 1), radius=side // 5, fill=(255, 255, 255))
            inner = side - 2 * max(4, side // 10)
            art = self.fitted_logo(brand.logo, inner, logo)
            canvas.paste(art, (x + (side - art.width) // 2, top + (side - art.height) // 2), art)
            x += side + 28
        name, _ = self.fonts.clean(brand.name)
        slogan, _ = self.fonts.clean(brand.slogan)
        room = block.x + block.w - 48 - x
        if slogan:
            top = block.y + (block.h - (name_size + slogan_size * 1.3)) / 2
            name_line = wrap(name, room, self.fonts.measure(name_size, True), 1)
            slogan_line = wrap(slogan, room, self.fonts.measure(slogan_size), 1)
            self.fonts.draw(draw, (x, top + name_size * 0.9), name_line[0] if name_line else "", name_size, ink,
                            bold=True)
            self.fonts.draw(draw, (x, top + name_size + slogan_size * 0.3 + slogan_size * 0.9),
                            slogan_line[0] if slogan_line else "", slogan_size, ink)
        elif name:
            name_line = wrap(name, room, self.fonts.measure(name_size, True), 1)
            self.fonts.draw(draw, (x, block.y + block.h / 2 + name_size * 0.36), name_line[0], name_size, ink,
                            bold=True)


def encode(image: Image.Image, fmt: str = "jpg", quality: int = DEFAULT_QUALITY) -> bytes:
    """The poster's file bytes; no timestamps or metadata, so the same image gives the same bytes."""
    kind = FORMATS.get(fmt.lower())
    if kind is None:
        raise InputError(f"Unknown poster format {fmt!r} (use jpg, png or webp).")
    buf = io.BytesIO()
    if kind == "JPEG":
        image.save(buf, "JPEG", quality=quality, progressive=False, subsampling="4:2:0")
    elif kind == "PNG":
        image.save(buf, "PNG", compress_level=6)
    else:
        image.save(buf, "WEBP", quality=quality, method=4)
    return buf.getvalue()


def render_poster(product: ProductRecord, qr_text: str, template: Template, brand: Brand,
                  renderer: Renderer | None = None) -> Rendered:
    """One poster (a convenience over ``Renderer``); pass a renderer to reuse its fonts."""
    return (renderer or Renderer()).render(product, qr_text, template, brand)
