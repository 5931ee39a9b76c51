"""Group-progress posters: a group's spending toward its threshold as a small image to post.

The template system is the product posters' own; a template with a ``progress`` block is a
progress poster (see :data:`~sharekit.poster.templates.PROGRESS_BLOCKS`). Its text blocks take
:data:`~sharekit.poster.templates.PROGRESS_PLACEHOLDERS`; the bar is filled to the spent share of
the threshold (full once reached) and its ``format`` is written on it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import InputError, NotFoundError
from .layout import rgb
from .placeholders import fill
from .render import Brand, Renderer, encode
from .templates import BUILTIN_DIR, Block, Template, load_template

PROGRESS_DIR = BUILTIN_DIR / "progress"


def load_progress_template(name_or_path: str | Path) -> Template:
    """The built-in progress template by name (``progress``) or a .toml path; it must hold a progress block."""
    value = str(name_or_path)
    builtin = PROGRESS_DIR / f"{value}.toml"
    if "/" not in value and "\\" not in value and not value.endswith(".toml") and builtin.is_file():
        tpl = load_template(builtin)
    else:
        try:
            tpl = load_template(value)
        except NotFoundError:
            raise NotFoundError(f"No progress template {value!r}: not `progress` and no such file.") from None
    if tpl.kind != "progress":
        raise InputError(f"{tpl.path}: a progress poster's template needs a `progress` block.")
    return tpl


def progress_values(result: Any, brand: Brand) -> dict[str, str]:
    """The placeholders of a progress poster, from a :class:`~sharekit.reports.groups.GroupProgress`."""
    from .placeholders import short_money

    current = result.current
    word = {"week": "本周", "month": "本月"}.get(result.period, "")
    pct = "" if result.progress is None else f"{min(result.progress, Decimal(1)) * 100:.0f}%"
    when = ""
    if current.unlocked_at is not None:
        from zoneinfo import ZoneInfo

        local = current.unlocked_at.astimezone(ZoneInfo(result.tz))
        when = f"{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}"
    return {"channel": result.channel, "period": word, "spent": current.spent.format(),
            "remaining": short_money(result.remaining) if result.remaining is not None else "",
            "threshold": result.threshold.format() if result.threshold is not None else "",
            "progress": pct, "saved": current.saved.format() if current.saved is not None else "—",
            "saved_line": f"本期群友已省{current.saved.format()}" if current.saved is not None else "",
            "share_line": result.share_line(), "unlocked_at": when, "brand": brand.name, "slogan": brand.slogan}


def render_progress(result: Any, template: Template, brand: Brand, renderer: Renderer | None = None) -> Any:
    """The progress poster as a PIL image."""
    from PIL import Image, ImageDraw

    renderer = renderer or Renderer()
    canvas = Image.new("RGB", (template.width, template.height), rgb(template.background, brand.color))
    draw = ImageDraw.Draw(canvas)
    values = progress_values(result, brand)
    share = result.progress if result.progress is not None else Decimal(0)
    warnings: list[str] = []
    for block in template.blocks:
        if block.type == "progress":
            _draw_bar(renderer, draw, block, min(share, Decimal(1)), values, brand)
        else:
            getattr(renderer, f"_draw_{block.type}")(canvas, draw, block, brand=brand, values=values,
                                                     warnings=warnings, flags=set())
    return canvas


def _draw_bar(renderer: Renderer, draw: Any, block: Block, share: Decimal, values: dict[str, str],
              brand: Brand) -> None:
    radius = min(int(block.get("radius", block.h // 2)), block.h // 2)
    box = (block.x, block.y, block.x + block.w - 1, block.y + block.h - 1)
    draw.rounded_rectangle(box, radius=radius, fill=rgb(block.get("track_color", "#EEEEEE"), brand.color))
    filled = int(block.w * share)
    if filled > 0:
        filled = max(filled, 2 * radius)
        draw.rounded_rectangle((block.x, block.y, block.x + filled - 1, block.y + block.h - 1), radius=radius,
                               fill=rgb(block.get("color", "brand"), brand.color))
    label = fill(block.get("format", "{progress}"), values)
    if label:
        size = int(block.get("size", max(12, block.h // 2)))
        width = renderer.fonts.length(label, size)
        ink = rgb(block.get("text_color", "#1F1F1F"), brand.color)
        renderer.fonts.draw(draw, (block.x + (block.w - width) / 2, block.y + block.h / 2 + size * 0.36), label,
                            size, ink, bold=True)


def write_progress_poster(ws: Any, result: Any, path: str | Path, template: str | Path = "progress") -> Path:
    """Render ``result`` with ``template`` and write it to ``path`` (format from the suffix; jpg by default)."""
    from .batch import user_fonts
    from .text import FontChain

    tpl = load_progress_template(template)
    brand = Brand.from_config(ws.config)
    out = Path(path).expanduser()
    fmt = out.suffix.lstrip(".").lower() or "jpg"
    renderer = Renderer(FontChain.build(list(user_fonts(ws.config, ws.home))))
    image = render_progress(result, tpl, brand, renderer)
    data = encode(image, fmt, int(ws.config.get("poster.quality") or 88))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
