"""Line breaking, truncation, the font chain and the bundled font's coverage."""

from __future__ import annotations

import pytest

from sharekit.poster.text import (
    BUNDLED_BOLD,
    BUNDLED_REGULAR,
    ELLIPSIS,
    NO_LINE_END,
    NO_LINE_START,
    FontChain,
    read_cmap,
    units,
    wrap,
)


def width(text: str) -> float:
    """A fake measure: every character is one unit wide (rules, not fonts, are under test)."""
    return float(len(text))


TITLE = "Apple iPhone 15 Pro 256GB 【官方正品】仅售¥19.90元，速抢！限时（包邮）USB-C快充"


@pytest.mark.parametrize("line_width", range(5, 30))
def test_wrapped_lines_fit_and_keep_every_character(line_width: int) -> None:
    lines = wrap(TITLE, line_width, width)
    assert all(len(line) <= line_width for line in lines)
    assert "".join(lines).replace(" ", "") == TITLE.replace(" ", "")


@pytest.mark.parametrize("line_width", range(9, 30))
def test_latin_words_and_numbers_are_never_split(line_width: int) -> None:
    lines = wrap(TITLE, line_width, width)
    joined = "\n".join(lines)
    for word in ("iPhone 15", "256GB", "19.90", "USB-C"):
        assert word in joined.replace("\n", "\n") and any(word in line for line in lines), (word, lines)


@pytest.mark.parametrize("line_width", range(3, 30))
def test_no_closing_punctuation_starts_a_line(line_width: int) -> None:
    for line in wrap(TITLE, line_width, width)[1:]:
        assert line[0] not in NO_LINE_START, line


@pytest.mark.parametrize("line_width", range(3, 30))
def test_no_opening_punctuation_or_yen_ends_a_line(line_width: int) -> None:
    for line in wrap(TITLE, line_width, width):
        assert line[-1] not in NO_LINE_END, line


def test_yen_sign_stays_with_its_number() -> None:
    lines = wrap("一二三四五六七¥199", 8, width)
    assert lines == ["一二三四五六七", "¥199"]


def test_closing_punctuation_is_pulled_up_with_the_character_before() -> None:
    # "。" would start line 2; instead "五。" moves down together.
    lines = wrap("一二三四五。六七", 5, width)
    assert lines == ["一二三四", "五。六七"]


def test_iphone_model_number_stays_with_its_name() -> None:
    assert ("iPhone 15", False) in units("新款 iPhone 15 手机")
    assert wrap("新款手机 iPhone 15", 12, width) == ["新款手机", "iPhone 15"]


def test_truncation_ends_with_an_ellipsis_that_fits() -> None:
    lines = wrap("一二三四五六七八九十" * 3, 6, width, max_lines=2)
    assert len(lines) == 2
    assert lines[-1].endswith(ELLIPSIS) and len(lines[-1]) <= 6


def test_truncation_drops_a_comma_before_the_ellipsis() -> None:
    assert wrap("一二三四五，六七八九十", 6, width, max_lines=1) == ["一二三四五…"]


def test_text_that_fits_is_not_truncated() -> None:
    assert wrap("一二三", 6, width, max_lines=1) == ["一二三"]


def test_a_unit_wider_than_the_line_is_cut_as_a_last_resort() -> None:
    lines = wrap("ABCDEFGHIJKLMNOP", 5, width)
    assert all(len(line) <= 5 for line in lines) and "".join(lines) == "ABCDEFGHIJKLMNOP"


def test_emoji_and_uncovered_characters_are_reported_not_drawn() -> None:
    fonts = FontChain.build()
    text, missing = fonts.clean("🔥爆款\ufe0f 小米 Redmi K70 👍🏻")
    assert "🔥" in missing and "👍" in missing
    assert "\ufe0f" not in text and "🔥" not in text
    assert text.startswith("爆款")


def test_bundled_font_covers_every_gb2312_character() -> None:
    from fontTools.ttLib import TTFont

    gb2312 = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                gb2312.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    assert len(gb2312) > 7400
    extra = set(range(0x20, 0x7F)) | {ord(c) for c in "¥￥…—“”‘’、。，！？（）【】《》「」·％"}
    for path in (BUNDLED_REGULAR, BUNDLED_BOLD):
        with TTFont(str(path)) as font:
            cmap = set(font.getBestCmap())
        assert not (gb2312 | extra) - cmap, path.name
        assert path.stat().st_size < 5_000_000


def test_the_renderers_own_cmap_reader_agrees_with_fonttools() -> None:
    from fontTools.ttLib import TTFont

    with TTFont(str(BUNDLED_REGULAR)) as font:
        expected = set(font.getBestCmap())
    assert read_cmap(BUNDLED_REGULAR) == expected


def test_bundled_font_licence_ships_beside_it() -> None:
    text = (BUNDLED_REGULAR.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in text


def test_a_configured_font_that_does_not_exist_is_a_config_error(tmp_path) -> None:
    from sharekit.errors import ConfigError

    with pytest.raises(ConfigError, match="nope.ttf"):
        FontChain.build(str(tmp_path / "nope.ttf"))


def test_a_configured_font_comes_first_and_the_bundled_one_fills_gaps() -> None:
    import glob

    candidates = glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not candidates:
        pytest.skip("no DejaVu Sans on this machine")
    fonts = FontChain.build(candidates[0])
    assert fonts.face_for("A", False).path == candidates[0]
    assert fonts.face_for("中", False).path == str(BUNDLED_REGULAR)
