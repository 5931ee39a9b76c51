"""What every command module shares: the workspace from global options, and rendering."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # imported where used: `sharekit --help` must not load the store or rich
    from rich.console import Console

    from ..core.money import Money
    from ..store.workspace import Workspace

def _kind_keys(kind: str) -> Any:
    from ..sources import settings_keys_of  # loads only the kinds config.toml names

    return settings_keys_of(kind)


def _wire_schema() -> None:
    """Let the config schema check each source kind's own keys (store cannot import sources)."""
    from ..store.config_schema import set_kind_keys

    set_kind_keys(_kind_keys)


_wire_schema()
_out: Console | None = None
_err: Console | None = None


def sub_app(help: str, **kwargs: Any) -> typer.Typer:
    """A command group. Plain help formatting keeps `--help` fast (rich is imported lazily)."""
    kwargs.setdefault("no_args_is_help", True)
    return typer.Typer(help=help, rich_markup_mode=None, add_completion=False, **kwargs)


def out() -> Console:
    """The stdout console (Rich is imported on first use, not at startup)."""
    global _out
    if _out is None:
        from rich.console import Console

        _out = Console(highlight=False)
    return _out


def err() -> Console:
    global _err
    if _err is None:
        from rich.console import Console

        _err = Console(stderr=True, highlight=False, soft_wrap=True)  # errors stay one line
    return _err


def workspace(ctx: typer.Context, *, create: bool = False) -> Workspace:
    """The Workspace named by ``--home`` / ``$SHAREKIT_HOME`` / the platform dir."""
    from ..store.workspace import Workspace

    state = ctx.find_root().obj
    return Workspace.open(getattr(state, "home", None), create=create)


def home_option(ctx: typer.Context) -> str | None:
    """The ``--home`` given on the command line (or ``$SHAREKIT_HOME``), else None."""
    return getattr(ctx.find_root().obj, "home", None)


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (UTF-8, no ASCII escapes), one document."""
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n")
    sys.stdout.flush()


def _json_default(value: Any) -> Any:
    from decimal import Decimal
    from pathlib import PurePath

    from ..core.money import Money

    if isinstance(value, Money):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, Decimal):
        return format(value, "f")  # decimal strings, never floats
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def fmt_money(value: Money | dict[str, Any] | None) -> str:
    from ..core.money import Money

    if value is None:
        return "-"
    if isinstance(value, dict):
        value = Money.from_json(value)
    return value.format()


def interactive() -> bool:
    """True when stdout is a terminal (a person is watching): progress bars, colours."""
    return sys.stdout.isatty()


def warn(message: str) -> None:
    from rich.markup import escape

    err().print(f"[yellow]Warning:[/] {escape(message)}")


def product_titles(ws: Any, ids: list[str]) -> dict[str, str]:
    """Product titles by id (for the ids a table shows next to them)."""
    wanted = sorted({i for i in ids if i})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found.update((r[0], r[1] or "") for r in ws.db.execute(
            f"SELECT id, title FROM products WHERE id IN ({marks})", chunk))
    return found
