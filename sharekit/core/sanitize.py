"""Safe text in and safe cells out: control characters removed at ingest, CSV formulas defused.

Text from suppliers, feeds and order files reaches a terminal and WeChat share texts, so a title
holding ``\\x1b[31m`` or an OSC sequence must never be stored: :func:`clean_text` removes C0/C1
control characters (ESC, BEL, DEL, …) and bidi overrides. Every CSV sharekit writes goes through
:func:`csv_text`, which prefixes ``'`` to a cell that begins with ``= + - @``, tab or CR (the OWASP
rule against formula injection in Excel/WPS), except plain numbers such as ``-3.50``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

# C0 controls except tab/newline/CR (handled apart), DEL, C1 controls, bidi embeddings/overrides/isolates.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"\r\n?|\n|\t")
_LINE_BREAKS = re.compile(r"\r\n?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def clean_text(value: str | None, *, multiline: bool = False) -> str | None:
    """``value`` without control characters; tabs and line breaks become spaces unless ``multiline``
    (then line breaks are kept as ``\\n``). None stays None."""
    if value is None:
        return None
    text = str(value)
    if text.isprintable():  # the common case: nothing to remove
        return text
    if multiline:
        text = _LINE_BREAKS.sub("\n", text).replace("\t", " ")
    else:
        text = _BREAKS.sub(" ", text)
    return _CONTROLS.sub("", text)


def has_controls(value: str) -> bool:
    """True when ``value`` holds a character :func:`clean_text` would remove or replace."""
    return bool(_CONTROLS.search(value)) or bool(_BREAKS.search(value))


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: ``'=HYPERLINK(…)``; numbers and plain text unchanged."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.match(value):
        return value
    return "'" + value


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document (``\\n`` line ends) whose every cell went through :func:`csv_cell`."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in header])
    for row in rows:
        writer.writerow([csv_cell(c) for c in row])
    return buf.getvalue()
