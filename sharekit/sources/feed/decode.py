"""Feed bytes to text (given encoding, BOM, UTF-8, GB18030) and the format sniffed from the text."""

from __future__ import annotations

import codecs

from ...errors import ConfigError, InputError


def decode_bytes(data: bytes, where: str, encoding: str | None = None) -> str:
    """Text of a feed file: a given encoding, else BOM, else UTF-8, else GB18030 (GBK's superset)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"{where}: unknown encoding {encoding!r}.") from None
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(f"{where}: not {encoding} text (byte {exc.start}).") from None
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{where}, line {line}: neither UTF-8 nor GBK/GB18030 text; "
                         "save it as UTF-8 or set `encoding` for this source.") from None


def sniff_format(text: str) -> str:
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        return "json"
    if head == "<":
        return "xml"
    first = text.split("\n", 1)[0]
    return "tsv" if "\t" in first else "csv"
