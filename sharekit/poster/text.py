"""Text for posters: a font fallback chain, measured wrapping with Chinese line-breaking rules.

Fonts: the chain is the configured ``[poster] font`` file(s) first, then the bundled Noto Sans
CJK SC subset. Each character is drawn with the first font whose cmap has it; characters no
font has are left out (never drawn as empty boxes) and reported so the caller can warn.
Coverage comes from each font's ``cmap`` table, read here with a small parser (formats 4 and
12, plain fonts and .ttc collections) so rendering needs no fontTools.

Wrapping (``wrap``) works on unbreakable units and takes any width function, so the rules are
testable without fonts:

- Latin words and numbers never split (``iPhone 15``, ``256GB``, ``19.90``, ``USB-C``);
- no closing punctuation at a line start (it stays with the unit before it);
- no opening punctuation or currency sign (``¥ ￥ $ £``) at a line end (glued to what follows);
- at most ``max_lines`` lines; a cut last line ends in ``…`` and still fits the width.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
BUNDLED_REGULAR = FONTS_DIR / "SharekitSansSC-Regular.otf"
BUNDLED_BOLD = FONTS_DIR / "SharekitSansSC-Bold.otf"
ELLIPSIS = "…"

# Kinsoku (避头尾) sets for Simplified Chinese, after the OOXML defaults and W3C clreq.
NO_LINE_START = frozenset(
    "!%),.:;?]}¢°·’”‰′″℃、。〃〉》」』】〕〗〞︶︺︾﹀﹄﹚﹜﹞！＂％＇），．：；？］｝～｠｡｣､…‥–—"
)
NO_LINE_END = frozenset("$(£¥·‘“〈《「『【〔〖〝﹙﹛﹝＄（．［｛￡￥｟")
# Trailing characters dropped before an ellipsis: "好，…" and "（…" read badly.
_TRIM_BEFORE_ELLIPSIS = frozenset(" \u3000,，、;；:：。.") | NO_LINE_END

# A Latin word or number with its inner joiners: 19.90, USB-C, 3.5mm, 1,299, 50%, don't.
_TOKEN = re.compile(
    r"(?P<word>[0-9A-Za-z\u00C0-\u024F]+(?:[.,'’\-+/:&×x][0-9A-Za-z\u00C0-\u024F]+)*%?)"
    r"|(?P<space>[ \t\u00A0\u3000]+)"
    r"|(?P<char>.)",
    re.S,
)


# -- fonts -------------------------------------------------------------------------------------


def read_cmap(path: str | Path, index: int = 0) -> frozenset[int]:
    """The code points a font file maps to a glyph (OpenType/TrueType, or face ``index`` of a .ttc)."""
    data = Path(path).read_bytes()
    base = 0
    if data[:4] == b"ttcf":
        count = struct.unpack_from(">I", data, 8)[0]
        if not 0 <= index < count:
            raise ConfigError(f"{path}: the collection has no face {index} (it has {count}).")
        base = struct.unpack_from(">I", data, 12 + 4 * index)[0]
    num_tables = struct.unpack_from(">H", data, base + 4)[0]
    cmap_offset = None
    for i in range(num_tables):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
        if tag == b"cmap":
            cmap_offset = offset
    if cmap_offset is None:
        raise ConfigError(f"{path}: not a usable font (no cmap table).")
    _version, count = struct.unpack_from(">HH", data, cmap_offset)
    subtables: dict[tuple[int, int], int] = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_offset + 4 + 8 * i)
        subtables[(platform, encoding)] = cmap_offset + offset
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 1), (0, 0)):
        if key in subtables:
            return frozenset(_parse_subtable(data, subtables[key]))
    raise ConfigError(f"{path}: the font has no Unicode cmap.")


def _parse_subtable(data: bytes, at: int) -> set[int]:
    fmt = struct.unpack_from(">H", data, at)[0]
    found: set[int] = set()
    if fmt == 12:
        groups = struct.unpack_from(">I", data, at + 12)[0]
        for g in range(groups):
            start, end, glyph = struct.unpack_from(">III", data, at + 16 + 12 * g)
            if glyph == 0:
                start += 1
            found.update(range(start, end + 1))
        return found
    if fmt == 4:
        seg_x2 = struct.unpack_from(">H", data, at + 6)[0]
        segs = seg_x2 // 2
        ends = struct.unpack_from(f">{segs}H", data, at + 14)
        starts = struct.unpack_from(f">{segs}H", data, at + 16 + seg_x2)
        deltas = struct.unpack_from(f">{segs}h", data, at + 16 + 2 * seg_x2)
        range_at = at + 16 + 3 * seg_x2
        offsets = struct.unpack_from(f">{segs}H", data, range_at)
        for s in range(segs):
            start, end, delta, ro = starts[s], ends[s], deltas[s], offsets[s]
            if start == 0xFFFF:
                continue
            if ro == 0:
                found.update(c for c in range(start, end + 1) if (c + delta) & 0xFFFF)
            else:
                for c in range(start, end + 1):
                    glyph_at = range_at + 2 * s + ro + 2 * (c - start)
                    if struct.unpack_from(">H", data, glyph_at)[0]:
                        found.add(c)
        return found
    if fmt == 6:
        first, count = struct.unpack_from(">HH", data, at + 6)
        glyphs = struct.unpack_from(f">{count}H", data, at + 10)
        return {first + i for i, g in enumerate(glyphs) if g}
    if fmt == 0:
        glyphs = data[at + 6: at + 6 + 256]
        return {i for i, g in enumerate(glyphs) if g}
    return found


@lru_cache(maxsize=16)
def _coverage(path: str, index: int) -> frozenset[int]:
    return read_cmap(path, index)


@dataclass(frozen=True)
class Face:
    """One font file in the chain; ``faux_bold`` draws bold with a stroke (no bold file)."""

    path: str
    index: int = 0
    faux_bold: bool = False


def _parse_font_spec(spec: str) -> Face:
    # "path.ttc#2" picks face 2 of a collection.
    path, _, idx = spec.partition("#")
    return Face(str(Path(path).expanduser()), int(idx) if idx.isdigit() else 0)


@dataclass
class FontChain:
    """Fonts tried in order for every character; ImageFont objects are cached per size."""

    regular: tuple[Face, ...]
    bold: tuple[Face, ...]
    _fonts: dict[tuple[str, int, int], Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, user_fonts: Sequence[str] | str | None = None) -> FontChain:
        """The configured fonts (``[poster] font``: a path or a list) before the bundled ones."""
        if isinstance(user_fonts, str):
            user_fonts = [user_fonts] if user_fonts else []
        user = [_parse_font_spec(s) for s in (user_fonts or []) if s]
        for face in user:
            if not Path(face.path).is_file():
                raise ConfigError(f"[poster] font: {face.path} does not exist.",
                                  hint="Fix `poster.font` in config.toml.")
            _coverage(face.path, face.index)  # a broken file fails here, named
        regular = (*user, Face(str(BUNDLED_REGULAR)))
        bold = (*(Face(f.path, f.index, True) for f in user), Face(str(BUNDLED_BOLD)))
        return cls(regular, bold)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.path for f in (*self.regular, *self.bold)))

    def faces(self, bold: bool) -> tuple[Face, ...]:
        return self.bold if bold else self.regular

    def font(self, face: Face, size: int) -> ImageFont.FreeTypeFont:
        key = (face.path, face.index, size)
        font = self._fonts.get(key)
        if font is None:
            from PIL import ImageFont

            font = ImageFont.truetype(face.path, size, index=face.index, layout_engine=ImageFont.Layout.BASIC)
            self._fonts[key] = font
        return font

    def face_for(self, ch: str, bold: bool) -> Face | None:
        cp = ord(ch)
        for face in self.faces(bold):
            if cp in _coverage(face.path, face.index):
                return face
        return None

    def clean(self, text: str) -> tuple[str, list[str]]:
        """``text`` without characters no font covers (returned second, in order, once each)."""
        kept: list[str] = []
        missing: list[str] = []
        for ch in text:
            if ch in "\r\n\t":
                kept.append(" ")
                continue
            if unicodedata.category(ch) in ("Cf", "Cc", "Mn") and self.face_for(ch, False) is None:
                continue  # variation selectors, ZWJ, controls: invisible anyway
            if self.face_for(ch, False) is None:
                if ch not in missing:
                    missing.append(ch)
                continue
            kept.append(ch)
        return "".join(kept), missing

    def runs(self, text: str, bold: bool) -> list[tuple[str, Face]]:
        out: list[tuple[str, Face]] = []
        for ch in text:
            face = self.face_for(ch, bold) or self.faces(bold)[-1]
            if out and out[-1][1] == face:
                out[-1] = (out[-1][0] + ch, face)
            else:
                out.append((ch, face))
        return out

    def length(self, text: str, size: int, bold: bool = False) -> float:
        return sum(self.font(face, size).getlength(run) for run, face in self.runs(text, bold))

    def measure(self, size: int, bold: bool = False) -> Callable[[str], float]:
        cache: dict[str, float] = {}

        def width(text: str) -> float:
            w = cache.get(text)
            if w is None:
                w = cache[text] = self.length(text, size, bold)
            return w

        return width

    def ascent(self, size: int, bold: bool = False) -> int:
        return self.font(self.faces(bold)[-1], size).getmetrics()[0]

    def draw(self, draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, fill: Any,
             bold: bool = False) -> float:
        """Draw ``text`` with its left end at x and its baseline at y; returns the advance."""
        x, y = xy
        for run, face in self.runs(text, bold):
            font = self.font(face, size)
            stroke = max(1, size // 28) if (bold and face.faux_bold) else 0
            draw.text((x, y), run, font=font, fill=fill, anchor="ls", stroke_width=stroke, stroke_fill=fill)
            x += font.getlength(run)
        return x - xy[0]


def fmt_missing(chars: Sequence[str]) -> str:
    return ", ".join(f"{c} (U+{ord(c):04X})" for c in chars)


# -- wrapping ----------------------------------------------------------------------------------


def units(text: str) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, is_space) units that line breaking never cuts."""
    toks: list[list[Any]] = []  # [text, kind]
    for m in _TOKEN.finditer(text):
        toks.append([m.group(0), m.lastgroup])
    # "iPhone 15", "Mate 60 Pro": a Latin word and the number after it stay together.
    glued: list[list[Any]] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        while (tok[1] == "word" and re.search(r"[A-Za-z]", tok[0]) and i + 2 < len(toks)
               and toks[i + 1][1] == "space" and toks[i + 1][0] == " "
               and toks[i + 2][1] == "word" and toks[i + 2][0][0].isdigit()):
            tok = [tok[0] + " " + toks[i + 2][0], "word"]
            i += 2
        glued.append(tok)
        i += 1
    # Closers join the unit before them (across spaces).
    merged: list[list[Any]] = []
    for tok in glued:
        if tok[1] != "space" and tok[0][0] in NO_LINE_START:
            j = len(merged) - 1
            while j >= 0 and merged[j][1] == "space":
                j -= 1
            if j >= 0:
                merged[j][0] += "".join(t[0] for t in merged[j + 1:]) + tok[0]
                del merged[j + 1:]
                continue
        merged.append(list(tok))
    # Openers and currency signs join the unit after them (across spaces).
    out: list[tuple[str, bool]] = []
    prefix = ""
    for piece, kind in merged:
        if prefix:
            if kind == "space":
                prefix += piece
                continue
            piece, prefix = prefix + piece, ""
        if kind != "space" and piece[-1] in NO_LINE_END:
            prefix = piece
            continue
        out.append((piece, kind == "space"))
    if prefix:
        out.append((prefix, False))
    return out


def _hard_split(piece: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Last resort for one unit wider than the line: cut it by characters."""
    parts: list[str] = []
    cur = ""
    for ch in piece:
        if cur and measure(cur + ch) > width:
            if ch in NO_LINE_START and len(cur) > 1:  # take the character before down with it
                parts.append(cur[:-1])
                cur = cur[-1] + ch
            else:
                parts.append(cur)
                cur = ch
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return parts


def wrap(text: str, width: float, measure: Callable[[str], float], max_lines: int | None = None) -> list[str]:
    """Lines of ``text`` no wider than ``width``; at most ``max_lines``, the last cut with ``…``."""
    lines: list[list[str]] = []
    cur: list[str] = []
    pending_space = ""
    truncated = False
    for piece, is_space in units(" ".join(text.split())):
        if is_space:
            if cur:
                pending_space = piece
            continue
        candidate = "".join(cur) + pending_space + piece
        if not cur or measure(candidate) <= width:
            if not cur and measure(piece) > width:
                parts = _hard_split(piece, width, measure)
                for part in parts[:-1]:
                    lines.append([part])
                cur = [parts[-1]]
            else:
                if cur and pending_space:
                    cur.append(pending_space)
                cur.append(piece)
            pending_space = ""
            continue
        lines.append(cur)
        pending_space = ""
        if measure(piece) > width:
            parts = _hard_split(piece, width, measure)
            for part in parts[:-1]:
                lines.append([part])
            cur = [parts[-1]]
        else:
            cur = [piece]
    if cur:
        lines.append(cur)
    if max_lines is not None and len(lines) > max_lines:
        lines, truncated = lines[:max_lines], True
    if truncated and lines:
        last = lines[-1]
        while True:
            joined = "".join(last).rstrip()
            while joined and joined[-1] in _TRIM_BEFORE_ELLIPSIS:
                joined = joined[:-1]
            if measure(joined + ELLIPSIS) <= width or not joined:
                break
            if len(last) > 1:
                last = last[:-1]
            else:
                last = [joined[:-1]]
        lines[-1] = [joined + ELLIPSIS]
    return ["".join(line).strip() for line in lines]
