"""Charts of a report series: a PNG (Pillow's ImageDraw) and a plain-text bar chart for terminals.

Values are integer minor units of one currency (never floats until the pixel maths). Labels use
the bundled poster font when ``sharekit/poster/fonts/`` holds one (it has CJK glyphs), else
Pillow's default font.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.money import Money
from ..errors import InputError

FONTS_DIR = Path(__file__).resolve().parents[1] / "poster" / "fonts"
BAR = "█"
PARTIALS = " ▏▎▍▌▋▊▉"


def cells(text: str) -> int:
    """Terminal cells ``text`` takes: East Asian wide and full-width characters count two,
    combining marks none (so a Chinese label pads like the terminal shows it, unlike ``len``)."""
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def text_bars(labels: Sequence[str], values: Sequence[int], currency: str, *, width: int = 30,
              max_width: int | None = None) -> list[str]:
    """One text row per label: ``label  ████▌  ¥12.34``; bars scale to the largest value.

    Labels are padded by terminal cells; with ``max_width`` the bars shrink (to 5 cells at least)
    so each row fits that many columns. Labels are never cut.
    """
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    if not labels:
        return []
    top = max(max(values), 1)
    pad = max(cells(label) for label in labels)
    amounts = [Money(v, currency).format() for v in values]
    amount_pad = max(cells(a) for a in amounts)
    if max_width is not None:
        width = max(5, min(width, max_width - pad - amount_pad - 4))
    rows = []
    for label, value, amount in zip(labels, values, amounts, strict=True):
        eighths = max(value, 0) * width * 8 // top
        bar = BAR * (eighths // 8) + (PARTIALS[eighths % 8] if eighths % 8 else "")
        rows.append(f"{label}{' ' * (pad - cells(label))}  {bar.ljust(width)}  "
                    f"{' ' * (amount_pad - cells(amount))}{amount}")
    return rows


def find_font(font_path: str | Path | None = None) -> Path | None:
    """The font to label charts with: ``font_path``, else one bundled with the posters, else None."""
    if font_path:
        path = Path(font_path).expanduser()
        if not path.is_file():
            raise InputError(f"Font {path} does not exist.")
        return path
    if FONTS_DIR.is_dir():
        for pattern in ("*.otf", "*.ttf", "*.ttc"):
            found = sorted(FONTS_DIR.glob(pattern))
            if found:
                return found[0]
    return None


def _font(path: Path | None, size: int) -> Any:
    from PIL import ImageFont

    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            raise InputError(f"Font {path} cannot be read as a TrueType/OpenType font.") from None
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _nice_step(top: int, ticks: int = 5) -> int:
    """A round step (1, 2, 5 x 10^n) so ``ticks`` steps cover ``top``."""
    raw = max(top // ticks, 1)
    magnitude = 10 ** (len(str(raw)) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude * ticks >= top:
            return factor * magnitude
    return 10 * magnitude


def render_chart(
    path: str | Path,
    labels: Sequence[str],
    values: Sequence[int],
    currency: str,
    *,
    title: str = "Earnings",
    clicks: Sequence[int] | None = None,
    font_path: str | Path | None = None,
    size: tuple[int, int] = (1200, 640),
) -> Path:
    """Write a PNG bar chart of ``values`` (minor units) per label, with ``clicks`` as a line.

    Bars use the left axis (money), the clicks line the right axis (counts).
    """
    from PIL import Image, ImageDraw

    if len(labels) != len(values) or (clicks is not None and len(clicks) != len(values)):
        raise ValueError("labels, values and clicks differ in length")
    if clicks is not None and not any(clicks):
        clicks = None  # no clicks recorded: no line
    out = Path(path).expanduser()
    if out.suffix.lower() != ".png":
        raise InputError(f"Chart file {out} must end in .png.")
    if not out.parent.exists():
        raise InputError(f"Folder {out.parent} does not exist.")
    width, height = size
    font_file = find_font(font_path)

    def amount(minor: int) -> str:
        # Pillow's default font has no currency glyphs (¥ would be a box): the title names the currency
        money = Money(minor, currency)
        return money.format() if font_file else money.format(symbol=False).rsplit(" ", 1)[0]

    font, small, big = _font(font_file, 16), _font(font_file, 13), _font(font_file, 22)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = 110, 80 if clicks else 30, 60, 130
    plot_w, plot_h = width - left - right, height - top - bottom
    draw.text((left, 18), title, fill="#222222", font=big)

    top_value = max([*values, 0])
    step = _nice_step(max(top_value, 1))
    axis_top = step * max(-(-top_value // step), 1)
    grid = "#e6e6e6"
    for i in range(0, axis_top // step + 1):
        y = top + plot_h - plot_h * i * step // axis_top
        draw.line([(left, y), (left + plot_w, y)], fill=grid)
        label = amount(i * step)
        tw = draw.textlength(label, font=small)
        draw.text((left - 8 - tw, y - 8), label, fill="#555555", font=small)
    draw.line([(left, top), (left, top + plot_h)], fill="#888888")
    draw.line([(left, top + plot_h), (left + plot_w, top + plot_h)], fill="#888888")

    n = len(values)
    if n:
        slot = plot_w / n
        bar_w = max(slot * 0.7, 1)
        every = max(1, -(-n * 70 // plot_w))  # label every k-th bar so labels do not collide
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            x0 = left + i * slot + (slot - bar_w) / 2
            h = plot_h * max(value, 0) / axis_top
            if h > 0:
                draw.rectangle([x0, top + plot_h - h, x0 + bar_w, top + plot_h], fill="#E4393C")
            if i % every == 0:
                tw = draw.textlength(label, font=small)
                text_img = Image.new("RGBA", (int(tw) + 4, 18), (255, 255, 255, 0))
                ImageDraw.Draw(text_img).text((2, 0), label, fill="#333333", font=small)
                rotated = text_img.rotate(45, expand=True)
                cx = int(x0 + bar_w / 2)
                image.paste(rotated, (cx - rotated.width, top + plot_h + 6), rotated)
        if clicks:
            click_top = max(max(clicks), 1)
            cstep = _nice_step(click_top)
            caxis = cstep * max(-(-click_top // cstep), 1)
            points = [(left + i * slot + slot / 2, top + plot_h - plot_h * c / caxis) for i, c in enumerate(clicks)]
            if len(points) > 1:
                draw.line(points, fill="#1f6feb", width=2)
            for x, y in points:
                draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill="#1f6feb")
            for i in range(0, caxis // cstep + 1):
                y = top + plot_h - plot_h * i * cstep // caxis
                draw.text((left + plot_w + 8, y - 8), f"{i * cstep:,}", fill="#1f6feb", font=small)
    legend_x, legend_y = width - right - 330, 24
    draw.rectangle([legend_x, legend_y, legend_x + 14, legend_y + 14], fill="#E4393C")
    draw.text((legend_x + 20, legend_y - 2), f"estimated + settled ({currency})", fill="#333333", font=font)
    if clicks:
        draw.line([(legend_x + 250, legend_y + 7), (legend_x + 275, legend_y + 7)], fill="#1f6feb", width=2)
        draw.text((legend_x + 281, legend_y - 2), "clicks", fill="#333333", font=font)
    tmp = out.with_name(out.name + ".partial")
    image.save(tmp, format="PNG")
    tmp.replace(out)
    return out
