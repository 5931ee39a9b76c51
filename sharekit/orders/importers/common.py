"""What every order-file format shares: results, problems, reading and decoding the file, amounts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ...core.text import decode_text
from ...errors import InputError, NotFoundError
from ...sources.base import OrderLine

FORMATS = ("csv", "amazon")
@dataclass(frozen=True)
class RowProblem:
    """A row that could not be imported: its line number in the file and why."""

    line: int
    error: str


@dataclass
class ImportResult:
    """What importing one file did."""

    path: str
    format: str
    sha256: str
    encoding: str
    already_imported: bool = False
    rows: int = 0                 # data rows read (title, header, total and blank lines excluded)
    imported: int = 0             # rows turned into order lines
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0              # reports of an older status: kept in the history, not taken
    skipped: list[RowProblem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    unknown_statuses: list[str] = field(default_factory=list)
    report: str | None = None     # amazon: "orders" or "earnings"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped"] = [asdict(p) for p in self.skipped]
        return data


# reading --------------------------------------------------------------------------------------
def _read(path: Path) -> tuple[bytes, str, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"No file {path}.") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not an order file.") from None
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}.") from None
    if data.startswith(b"PK\x03\x04"):
        raise InputError(f"{path} is a spreadsheet (XLSX/ZIP), not a text file.",
                         hint="Save the sheet as CSV or tab-separated text and import that.")
    text, encoding = decode_text(data, str(path))
    return data, text, encoding


_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_REPORT_AMOUNT = re.compile(
    r"(?P<neg>-)?\s*(?:[A-Z]{3}\s*)?(?:US\$|CA\$|C\$|A\$|R\$|[$€£¥₹])?\s*(?P<neg2>-)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"
    r"\s*(?:[$€£¥₹]|[A-Z]{3}|zł|kr)?")


def _decimal(text: str, what: str) -> Decimal:
    """A plain decimal string in major units (the generic CSV): ``199.00``, ``-3.5``."""
    raw = (text or "").strip()
    if not _PLAIN_DECIMAL.fullmatch(raw):
        raise ValueError(f"{what} {raw!r} is not a decimal number")
    return Decimal(raw)


def _report_amount(text: str, what: str) -> Decimal:
    """An amount as report downloads write it: ``$1,299.00``, ``-0.62``, ``(0.62)``, ``19,99 €``."""
    raw = (text or "").strip().replace("\u00a0", " ")
    accounting = raw.startswith("(") and raw.endswith(")")  # (0.62) = -0.62
    inner = raw[1:-1].strip() if accounting else raw
    m = _REPORT_AMOUNT.fullmatch(inner)
    if not m:
        raise ValueError(f"{what} {raw!r} is not a number")
    number = m.group("num")
    number = number.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", number) else number.replace(",", "")
    value = Decimal(number)
    negative = bool(m.group("neg") or m.group("neg2")) != accounting
    return -value if negative else value


def _group(lines: Iterable[tuple[str, OrderLine]]) -> dict[str, list[OrderLine]]:
    groups: dict[str, list[OrderLine]] = {}
    for src, line in lines:
        groups.setdefault(src, []).append(line)
    return groups
