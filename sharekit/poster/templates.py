"""Poster templates: TOML files with a canvas and positioned blocks, validated with file and key.

A template::

    name = "moments"
    description = "WeChat Moments, 9:16"
    width = 1080
    height = 1920
    background = "#FFFFFF"

    [[blocks]]
    type = "image"          # image | title | price | coupon | qr | brand | text | rect
    x = 0
    y = 0
    w = 1080
    h = 1080

Colours are ``#RGB``/``#RRGGBB`` or ``"brand"`` (the configured brand colour). Text in
``text``/``caption`` blocks may use the placeholders of :mod:`sharekit.poster.placeholders`
(``{brand}``, ``{slogan}``, ``{title}``, ``{sale_price}``, ``{final_price}``, ``{coupon}`` ...);
a coupon badge's ``format`` may use ``{amount}`` and ``{value}``. The price block's ``label``
is shown when a usable coupon brings the price down (default 券后价), ``plain_label`` otherwise
(default 到手价). Every block type accepts exactly the fields listed in ``BLOCKS``; anything
else, or an unknown placeholder, is an error naming the file, line and key.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.limits import MAX_BLOCK_OFFSET, MAX_CANVAS_SIDE, MAX_FONT_SIZE
from ..errors import InputError, NotFoundError, UsageError
from .placeholders import POSTER_PLACEHOLDERS, unknown_names

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"

_COLOR = "color"
_ALIGN = ("left", "center", "right")
_COMMON: dict[str, Any] = {"type": str, "x": int, "y": int, "w": int, "h": int}
# Block type -> {field: type or tuple of allowed strings or "color"}
BLOCKS: dict[str, dict[str, Any]] = {
    "rect": {"color": _COLOR, "radius": int},
    "image": {"fit": ("cover", "contain"), "radius": int, "background": _COLOR},
    "title": {"size": int, "color": _COLOR, "bold": bool, "max_lines": int, "line_height": float, "align": _ALIGN},
    "text": {"text": str, "size": int, "color": _COLOR, "bold": bool, "max_lines": int, "line_height": float,
             "align": _ALIGN},
    "price": {"size": int, "color": _COLOR, "label": str, "plain_label": str, "label_size": int, "original": bool,
              "original_size": int, "original_color": _COLOR},
    "coupon": {"size": int, "color": _COLOR, "text_color": _COLOR, "format": str, "radius": int},
    "qr": {"size": int, "logo": bool, "caption": str, "caption_size": int, "caption_color": _COLOR},
    "brand": {"color": _COLOR, "text_color": _COLOR, "name_size": int, "slogan_size": int, "logo": bool,
              "logo_size": int},
    # a group's spending toward its threshold (progress posters only: `sharekit channel progress --poster`)
    "progress": {"color": _COLOR, "track_color": _COLOR, "radius": int, "size": int, "text_color": _COLOR,
                 "format": str},
}
# Fields each block type must have (beyond ``type``, ``x``, ``y``).
REQUIRED: dict[str, tuple[str, ...]] = {
    "rect": ("w", "h"), "image": ("w", "h"), "title": ("w",), "text": ("w", "text"), "price": ("w",),
    "coupon": (), "qr": ("size",), "brand": ("w", "h"), "progress": ("w", "h"),
}
# A template with a progress block is a progress poster: its text takes these names (and no product's).
PROGRESS_PLACEHOLDERS = frozenset({"channel", "period", "spent", "remaining", "threshold", "progress", "saved",
                                   "saved_line", "share_line", "unlocked_at", "brand", "slogan"})
# Blocks a progress poster may hold (it has no product: no photo, title, price, coupon or QR).
PROGRESS_BLOCKS = ("rect", "text", "brand", "progress")
_TOP: dict[str, Any] = {"name": str, "description": str, "width": int, "height": int, "background": _COLOR,
                        "blocks": list}
# Fields whose text may hold placeholders -> the names they accept.
_PLACEHOLDER_FIELDS: dict[str, frozenset[str]] = {
    "text": POSTER_PLACEHOLDERS, "caption": POSTER_PLACEHOLDERS, "format": frozenset({"amount", "value"}),
}
# Font sizes in pixels (bounded by MAX_FONT_SIZE); other sizes are boxes (bounded by the canvas).
_FONT_KEYS = {"label_size", "original_size", "caption_size", "name_size", "slogan_size"}
_FONT_BLOCKS = {"title", "text", "price", "coupon"}  # their ``size`` is a font size
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class Block:
    """One positioned element of a template."""

    type: str
    x: int
    y: int
    w: int
    h: int
    opts: tuple[tuple[str, Any], ...]

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self.opts:
            if k == key:
                return v
        return default


@dataclass(frozen=True)
class Template:
    """A loaded, validated template; ``digest`` is the hash of its file (for up-to-date checks)."""

    name: str
    path: str
    width: int
    height: int
    background: str
    blocks: tuple[Block, ...]
    description: str
    digest: str
    builtin: bool

    @property
    def kind(self) -> str:
        """``progress`` for a group-progress poster (it has a progress block), else ``product``."""
        return "progress" if any(b.type == "progress" for b in self.blocks) else "product"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "width": self.width, "height": self.height,
                "description": self.description, "builtin": self.builtin,
                "blocks": [b.type for b in self.blocks]}


def _line_of(text: str, block_index: int | None, key: str) -> int | None:
    """Line of ``key`` (in the ``block_index``-th [[blocks]] table, or at the top level)."""
    lines = text.splitlines()
    start, end = 0, len(lines)
    headers = [i for i, line in enumerate(lines) if re.match(r"^\s*\[\[\s*blocks\s*\]\]", line)]
    if block_index is None:
        end = headers[0] if headers else end
    elif block_index < len(headers):
        start = headers[block_index]
        later = [h for h in headers if h > start]
        end = later[0] if later else end
        if key == "":
            return start + 1
    else:
        return None
    for i in range(start, end):
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
            return i + 1
    return None


class _Checker:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        self.kind = ""  # the block type being checked

    def fail(self, block: int | None, key: str, message: str) -> InputError:
        line = _line_of(self.text, block, key)
        where = f"{self.path}, line {line}" if line else str(self.path)
        scope = f"blocks[{block}]." if block is not None else ""
        return InputError(f"{where}: `{scope}{key}` {message}")

    def value(self, block: int | None, key: str, value: Any, kind: Any) -> Any:
        if kind == _COLOR:
            if not isinstance(value, str) or not (value == "brand" or _HEX.match(value)):
                raise self.fail(block, key, f"must be a colour like \"#E4393C\" or \"brand\", not {value!r}.")
            return value
        if isinstance(kind, tuple):
            if value not in kind:
                raise self.fail(block, key, f"must be one of {', '.join(kind)}, not {value!r}.")
            return value
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            names = {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list"}
            raise self.fail(block, key, f"must be {names.get(kind, kind.__name__)}, not {value!r}.")
        if kind is int and key in ("w", "h", "size", "width", "height") and value <= 0:
            raise self.fail(block, key, "must be positive.")
        if kind is int or kind is float:
            self.bounded(block, key, value)
        return value

    def bounded(self, block: int | None, key: str, value: float) -> None:
        """Refuse sizes that would make Pillow allocate gigabytes or fail with OSError."""
        if key in ("width", "height"):
            top, what = MAX_CANVAS_SIDE, "pixels (the canvas limit)"
        elif key in _FONT_KEYS or (key == "size" and self.kind in _FONT_BLOCKS):
            top, what = MAX_FONT_SIZE, "pixels (the font size limit)"
        elif key in ("x", "y", "w", "h", "size", "logo_size", "radius"):
            top, what = MAX_BLOCK_OFFSET if key in ("x", "y") else MAX_CANVAS_SIDE, "pixels"
        elif key == "max_lines":
            top, what = 100, "lines"
        elif key == "line_height":
            top, what = 10, "(times the font size)"
        else:
            return
        if value > top or value < -top:
            raise self.fail(block, key, f"is {value:,}: at most {top:,} {what}.")
        if key == "radius" and value < 0:
            raise self.fail(block, key, "must not be negative.")
        if (key in ("max_lines", "line_height") or key.endswith("size")) and value <= 0:
            raise self.fail(block, key, "must be positive.")


def parse_template(path: Path, text: str, *, builtin: bool = False) -> Template:
    """Validate template ``text`` read from ``path``; InputError names the file, line and key."""
    check = _Checker(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML ({exc}).") from None
    for key, value in data.items():
        if key not in _TOP:
            raise check.fail(None, key, f"is not a template field (known: {', '.join(_TOP)}).")
        check.value(None, key, value, _TOP[key])
    for key in ("width", "height"):
        if key not in data:
            raise InputError(f"{path}: `{key}` is missing (the canvas size in pixels).")
    blocks: list[Block] = []
    raw_blocks = data.get("blocks", [])
    progress = any(isinstance(b, dict) and b.get("type") == "progress" for b in raw_blocks)
    for i, raw in enumerate(raw_blocks):
        if not isinstance(raw, dict):
            raise check.fail(None, "blocks", "must be [[blocks]] tables.")
        kind = raw.get("type")
        if kind is None:
            raise check.fail(i, "", f"has no `type` (one of {', '.join(BLOCKS)}).")
        if kind not in BLOCKS:
            raise check.fail(i, "type", f"names an unknown block {kind!r} (known: {', '.join(BLOCKS)}).")
        if progress and kind not in PROGRESS_BLOCKS:
            raise check.fail(i, "type", f"is {kind!r}: a template with a progress block takes only "
                             f"{', '.join(PROGRESS_BLOCKS)} blocks (it shows a group, not a product).")
        fields = {**_COMMON, **BLOCKS[kind]}
        check.kind = kind
        opts: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in fields:
                raise check.fail(i, key, f"is not a field of a {kind} block (known: {', '.join(fields)}).")
            opts[key] = check.value(i, key, value, fields[key])
            if key in _PLACEHOLDER_FIELDS:
                names = PROGRESS_PLACEHOLDERS if progress and key != "format" or kind == "progress" \
                    else _PLACEHOLDER_FIELDS[key]
                bad = unknown_names(value, names)
                if bad:
                    known = ", ".join("{" + n + "}" for n in sorted(names))
                    raise check.fail(i, key, f"has an unknown placeholder {{{bad[0]}}} (known: {known}).")
        for key in ("x", "y", *REQUIRED[kind]):
            if key not in opts:
                raise check.fail(i, "", f"({kind}) needs `{key}`.")
        size = opts.get("size", 0)
        blocks.append(Block(kind, opts.pop("x"), opts.pop("y"), opts.pop("w", size), opts.pop("h", size),
                            tuple((k, v) for k, v in opts.items() if k != "type")))
    name = str(data.get("name") or path.stem)
    return Template(name=name, path=str(path), width=data["width"], height=data["height"],
                    background=str(data.get("background", "#FFFFFF")), blocks=tuple(blocks),
                    description=str(data.get("description", "")),
                    digest=hashlib.sha256(text.encode("utf-8")).hexdigest(), builtin=builtin)


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def load_template(name_or_path: str | Path) -> Template:
    """A built-in template by name (``moments``) or a user's template file by path."""
    value = str(name_or_path)
    builtin = BUILTIN_DIR / f"{value}.toml"
    if "/" not in value and "\\" not in value and not value.endswith(".toml") and builtin.is_file():
        path, is_builtin = builtin, True
    else:
        path, is_builtin = Path(value).expanduser(), False
        if not path.is_file():
            names = builtin_names()
            message = f"No template {value!r}: not a built-in ({', '.join(names)}) and no such file"
            if "/" not in value and "\\" not in value and not value.endswith(".toml"):  # a mistyped name
                from ..core.settings import closest

                near = closest(value, names)
                raise UsageError(message + (f"; did you mean {near}?" if near else "."))
            raise NotFoundError(message + ".")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text.") from None
    return parse_template(path, text, builtin=is_builtin)


def list_templates() -> list[Template]:
    """The built-in templates, loaded (so a broken one fails loudly in tests)."""
    return [load_template(name) for name in builtin_names()]
