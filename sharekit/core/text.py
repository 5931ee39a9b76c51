"""Bytes from users' files to text: the one decoder for feeds and order files."""

from __future__ import annotations

import codecs

from ..errors import ConfigError, InputError

FALLBACKS = ("utf-8", "gbk", "gb18030")  # GBK before its superset GB18030: the narrower name is reported


def decode_text(data: bytes, where: str, encoding: str | None = None) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was read with: ``encoding`` when given, else a BOM
    (UTF-8, UTF-16), else UTF-8, GBK or GB18030 (files saved by Excel in China). ``where`` (a file
    name) starts the error messages, which name the first line that is not text."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"{where}: unknown encoding {encoding!r}.") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise InputError(f"{where}: not {encoding} text (byte {exc.start}).") from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            line = data[: exc.start + 3].count(b"\n") + 1
            raise InputError(f"{where}, line {line}: not UTF-8 text after a UTF-8 byte-order mark.") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError(f"{where}: not UTF-16 text after a UTF-16 byte-order mark.") from None
    for name in FALLBACKS[:-1]:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(FALLBACKS[-1]), FALLBACKS[-1]
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{where}, line {line}: neither UTF-8 nor GBK/GB18030 text; save it as UTF-8.") from None
