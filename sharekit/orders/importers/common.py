"""What every order-file format shares: results, problems, reading and decoding the file, amounts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
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
    unknown_products: list[str] = field(default_factory=list)   # ordered, but not in the catalog
    credited: int = 0             # lines without a channel credited from clicks (inferred)
    ambiguous: int = 0            # lines without a channel whose product was clicked in several channels

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


FUTURE_SLACK = timedelta(days=1)   # clocks and timezones differ; a later order date is a typo


def known_sources(ws: Any) -> set[str]:
    """Sources an order row may name: the configured ones and those the store already holds."""
    sources = ws.config.get("sources") or {}
    known = {str(name) for name in sources} if isinstance(sources, Mapping) else set()
    for table in ("products", "orders"):
        known.update(r[0] for r in ws.db.execute(f"SELECT DISTINCT source FROM {table}"))
    return known


def check_line(src: str, line: OrderLine, sources: Iterable[str], now: datetime) -> None:
    """ValueError (a bad row) for an order line no network sends: a source the home does not know
    (when it knows any: a bare home takes the first file as it comes), a date more than a day
    ahead, a negative amount or commission, or a commission above the amount."""
    if sources and src not in sources:
        raise ValueError(f"source {src!r} is not configured (known: {', '.join(sorted(sources))})")
    for name, moment in (("ordered_at", line.ordered_at), ("updated_at", line.updated_at)):
        if moment - now > FUTURE_SLACK:
            raise ValueError(f"{name} {moment.date().isoformat()} is in the future")
    if line.amount.minor < 0:
        raise ValueError(f"amount {line.amount.decimal_str()} is negative")
    if line.commission.minor < 0:
        raise ValueError(f"commission {line.commission.decimal_str()} is negative")
    if line.commission.minor > line.amount.minor:
        raise ValueError(f"commission {line.commission.decimal_str()} is more than the amount "
                         f"{line.amount.decimal_str()}")


def _group(lines: Iterable[tuple[str, OrderLine]]) -> dict[str, list[OrderLine]]:
    groups: dict[str, list[OrderLine]] = {}
    for src, line in lines:
        groups.setdefault(src, []).append(line)
    return groups
