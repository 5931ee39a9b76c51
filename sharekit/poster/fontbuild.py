"""Build the bundled font subset (a maintainer's step; users never run this).

The bundled ``fonts/SharekitSansSC-{Regular,Bold}.otf`` are subsets of Noto Sans CJK SC
(SIL OFL 1.1, see ``fonts/OFL.txt``) made with fontTools: every GB2312 character, ASCII,
Latin-1, general punctuation, CJK symbols and punctuation, full-width forms and a few
symbols posters use. Rebuild with::

    apt-get install fonts-noto-cjk   # or any Noto Sans CJK / Source Han Sans .ttc/.otf
    python -m sharekit.poster.fontbuild /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
        /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc

fontTools is needed only here (it is in the ``test`` extra), never at render time.
"""

from __future__ import annotations

import sys
from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
OUTPUT_NAMES = {"Regular": "SharekitSansSC-Regular.otf", "Bold": "SharekitSansSC-Bold.otf"}

# Extra ranges beyond GB2312: ASCII, Latin-1, general punctuation, currency, letterlike,
# arrows, math, geometric shapes, misc symbols, CJK symbols, full-width forms.
EXTRA_RANGES = [
    (0x0020, 0x007E), (0x00A0, 0x00FF), (0x2000, 0x206F), (0x20A0, 0x20BF), (0x2100, 0x214F),
    (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x257F), (0x25A0, 0x25FF),
    (0x2600, 0x26FF), (0x3000, 0x303F), (0x3200, 0x32FF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
]


def gb2312_chars() -> set[int]:
    """Every character the GB2312 codec can encode (levels 1 and 2 plus symbols)."""
    found: set[int] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            found.add(ord(ch))
    return found


def wanted_codepoints() -> set[int]:
    cps = gb2312_chars()
    for start, end in EXTRA_RANGES:
        cps.update(range(start, end + 1))
    return cps


def _sc_face_index(path: Path) -> int:
    from fontTools.ttLib import TTCollection

    if path.suffix.lower() != ".ttc":
        return -1
    coll = TTCollection(str(path), lazy=True)
    for index, font in enumerate(coll.fonts):
        family = font["name"].getDebugName(1) or ""
        if family.endswith(" SC") and "Mono" not in family:
            return index
    raise SystemExit(f"{path}: no Simplified Chinese (SC) face in this collection")


def build(source: Path, weight: str) -> Path:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    index = _sc_face_index(source)
    font = TTFont(str(source), fontNumber=max(index, 0), lazy=False)
    options = subset.Options()
    options.layout_features = ["kern", "palt", "vert", "liga"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    options.desubroutinize = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    cmap = font.getBestCmap()
    subsetter.populate(unicodes=[cp for cp in sorted(wanted_codepoints()) if cp in cmap])
    subsetter.subset(font)
    out = FONTS_DIR / OUTPUT_NAMES[weight]
    font.save(str(out))
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    for source, weight in zip(argv, ("Regular", "Bold"), strict=True):
        out = build(Path(source), weight)
        print(f"{out}: {out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
