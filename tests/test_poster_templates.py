"""Template files: built-ins load, mistakes name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharekit.errors import InputError, NotFoundError, UsageError
from sharekit.poster.templates import builtin_names, list_templates, load_template

GOOD = """\
name = "mine"
width = 800
height = 800

[[blocks]]
type = "image"
x = 0
y = 0
w = 800
h = 500

[[blocks]]
type = "qr"
x = 500
y = 520
size = 260
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_builtins_load_and_list() -> None:
    assert builtin_names() == ["card", "moments", "square"]
    for tpl in list_templates():
        assert tpl.builtin and {"image", "title", "price", "coupon", "qr"} <= {b.type for b in tpl.blocks}


def test_a_users_template_loads_by_path(tmp_path: Path) -> None:
    tpl = load_template(str(write(tmp_path, GOOD)))
    assert (tpl.name, tpl.width, tpl.height, [b.type for b in tpl.blocks]) == ("mine", 800, 800, ["image", "qr"])
    assert tpl.blocks[1].w == 260 and not tpl.builtin


def test_an_unknown_block_is_an_error_naming_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('type = "qr"', 'type = "barcode"'))
    with pytest.raises(InputError) as info:
        load_template(str(path))
    message = str(info.value)
    assert str(path) in message and "line 13" in message and "blocks[1].type" in message and "barcode" in message


def test_an_unknown_field_is_an_error_naming_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("size = 260", "size = 260\ncolour = \"#000000\""))
    with pytest.raises(InputError) as info:
        load_template(str(path))
    message = str(info.value)
    assert str(path) in message and "line 17" in message and "blocks[1].colour" in message


def test_an_unknown_top_level_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "heigth = 3\n" + GOOD)
    with pytest.raises(InputError, match=r"line 1: `heigth`"):
        load_template(str(path))


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("size = 260", 'size = "big"', "must be an integer"),
    ("h = 500", "h = 0", "must be positive"),
    ("y = 520", 'y = 520\nlogo = "yes"', "true or false"),
    ('type = "image"', 'type = "image"\nfit = "stretch"', "one of cover, contain"),
    ('type = "image"', 'type = "image"\nbackground = "red"', "colour"),
    ("w = 800\n", "", "needs `w`"),
])
def test_wrong_values_are_named(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InputError, match=expected):
        load_template(str(path))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "width = = 3")
    with pytest.raises(InputError, match="mine.toml"):
        load_template(str(path))


def test_an_unknown_template_name_lists_the_builtins() -> None:
    with pytest.raises(UsageError, match="moments") as raised:   # a mistyped name: exit 2
        load_template("poster-of-dreams")
    assert "did you mean" not in str(raised.value)
    with pytest.raises(UsageError, match="did you mean square"):
        load_template("sqare")
    with pytest.raises(NotFoundError, match="no such file"):
        load_template("no/such/poster.toml")
