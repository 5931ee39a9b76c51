"""Feed bytes to text (the shared decoder) and the format sniffed from the text."""

from __future__ import annotations

from ...core.text import decode_text
from ...errors import InputError


def decode_bytes(data: bytes, where: str, encoding: str | None = None) -> str:
    """Text of a feed file (:func:`sharekit.core.text.decode_text`); a file that is not text says
    which setting helps."""
    try:
        return decode_text(data, where, encoding)[0]
    except InputError as exc:
        if encoding:
            raise
        raise InputError(exc.message, hint="Save it as UTF-8 or set `encoding` for this source.") from None


def sniff_format(text: str) -> str:
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        return "json"
    if head == "<":
        return "xml"
    first = text.split("\n", 1)[0]
    return "tsv" if "\t" in first else "csv"
