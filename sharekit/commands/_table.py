"""Tables that fit the terminal: ids, codes and URLs are never cut; titles shrink with `…`.

Every listing builds a list of :class:`Col` and plain-text rows and calls :func:`render`. Widths are
measured in terminal cells (East Asian wide characters count two, via ``rich.cells.cell_len``).
When even the narrowest layout does not fit, the least important columns are dropped (and named
on a note line: ``--wide`` / ``--columns`` choose); when the must-keep columns alone do not fit,
each row is printed as a record (``column: value`` lines) instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

WIDE_OPTION = typer.Option(False, "--wide", help="Show every column, however wide the terminal.")
COLUMNS_OPTION = typer.Option(None, "--columns", metavar="A,B", help="Show only these columns (comma list).")


@dataclass(frozen=True)
class Col:
    """One column: ``fixed`` ones (ids, codes, URLs, dates, amounts) keep their full width;
    others shrink down to ``min`` cells with `…`. ``drop`` > 0 may be dropped when the terminal
    is too narrow, highest first; 0 is always kept."""

    name: str
    fixed: bool = False
    right: bool = False
    drop: int = 0
    min: int = 10


def _overhead(count: int) -> int:
    return 3 * count + 1  # borders and one cell of padding on each side


def plan(cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int, *, wide: bool = False,
         only: Sequence[str] | None = None) -> tuple[list[int], list[int] | None, list[str]]:
    """(kept column indexes, their widths or None for a record layout, dropped column names)."""
    from rich.cells import cell_len

    natural = [max([cell_len(c.name)] + [cell_len(str(r[i])) for r in rows]) for i, c in enumerate(cols)]
    keep = list(range(len(cols)))
    if only:
        wanted = [w.strip().lower() for w in only if w.strip()]
        names = [c.name.lower() for c in cols]
        unknown = [w for w in wanted if w not in names]
        if unknown:
            from ..errors import UsageError

            raise UsageError(f"Unknown column {unknown[0]!r}; the columns are: {', '.join(c.name for c in cols)}.")
        keep = [names.index(w) for w in wanted]
    if wide:
        return keep, [natural[i] for i in keep], []

    def least(i: int) -> int:
        c = cols[i]
        return natural[i] if c.fixed else min(natural[i], max(c.min, cell_len(c.name)))

    dropped: list[str] = []
    while sum(least(i) for i in keep) + _overhead(len(keep)) > width:
        candidates = [i for i in keep if cols[i].drop > 0 and not only]
        if not candidates:
            return keep, None, dropped  # even the must-keep columns do not fit: records
        gone = max(candidates, key=lambda i: (cols[i].drop, i))
        keep.remove(gone)
        dropped.append(cols[gone].name)
    widths = {i: least(i) for i in keep}
    spare = width - _overhead(len(keep)) - sum(widths.values())
    for i in keep:  # give the shrinkable columns back what is spare, in column order
        if spare <= 0:
            break
        grow = min(spare, natural[i] - widths[i])
        widths[i] += grow
        spare -= grow
    return keep, [widths[i] for i in keep], dropped


def render(cols: Sequence[Col], rows: Sequence[Sequence[str]], *, title: str | None = None,
           wide: bool = False, only: Sequence[str] | None = None, total: Sequence[str] | None = None,
           con: Console | None = None) -> None:
    """Print ``rows`` (plain text cells) as a table that fits ``con`` (stdout by default)."""
    from rich.table import Table
    from rich.text import Text

    from ._common import out

    con = con or out()
    every = [*rows, *([total] if total else [])]
    keep, widths, dropped = plan(cols, every, con.width, wide=wide, only=only)
    if widths is None:
        _records(cols, rows, keep, title, con)
        return
    table = Table()
    for i, w in zip(keep, widths, strict=True):
        c = cols[i]
        table.add_column(c.name, justify="right" if c.right else "left", no_wrap=True, width=w,
                         overflow="fold" if c.fixed else "ellipsis")
    def cells(r: Sequence[str]) -> list[Text]:
        return [Text(str(r[i]), justify="right" if cols[i].right else "left") for i in keep]

    for r in rows:
        table.add_row(*cells(r))
    if total:
        if rows:
            table.rows[-1].end_section = True
        table.add_row(*cells(total), style="bold")
    if wide:
        from rich.console import Console

        con = Console(width=max(con.width, sum(widths) + _overhead(len(keep))), highlight=False,
                      file=con.file, no_color=con.no_color)
    if title:  # a line of its own: a narrow table does not wrap it
        con.print(title, markup=False, highlight=False, soft_wrap=True)
    con.print(table)
    if dropped:
        con.print(f"(hidden at {con.width} columns: {', '.join(dropped)}; --wide or --columns to choose)",
                  markup=False, highlight=False)   # wrapped between words to the terminal's width


def _records(cols: Sequence[Col], rows: Sequence[Sequence[str]], keep: list[int], title: str | None,
             con: Console) -> None:
    from rich.cells import cell_len

    if title:
        con.print(title, markup=False)
    label = max(cell_len(cols[i].name) for i in keep)
    for r in rows:
        con.print("-" * min(con.width, 40), markup=False)
        for i in keep:
            name = cols[i].name
            con.print(f"{name}{' ' * (label - cell_len(name))}  {r[i]}", markup=False, soft_wrap=True)


def pairs(items: Sequence[tuple[str, str]], *, title: str | None = None, con: Console | None = None,
          indent: int = 0) -> None:
    """Print ``name  value`` lines (names padded in terminal cells). A value is never cut: one that
    does not fit beside its name goes whole on the next line, indented (paths, URLs stay copyable)."""
    from rich.cells import cell_len

    from ._common import out

    con = con or out()
    if title:
        con.print(title, markup=False, highlight=False)
    if not items:
        return
    lead = " " * indent
    label = max(cell_len(name) for name, _ in items)
    for name, value in items:
        head = f"{lead}{name}{' ' * (label - cell_len(name))}  "
        if cell_len(head) + cell_len(value) <= con.width or "\n" in value:
            con.print(f"{head}{value}".rstrip(), markup=False, highlight=False, soft_wrap=True)
        else:
            con.print(f"{lead}{name}", markup=False, highlight=False)
            con.print(f"{lead}  {value}", markup=False, highlight=False, soft_wrap=True)
