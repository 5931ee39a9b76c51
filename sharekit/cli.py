"""The `sharekit` command: composes the command modules and holds the one error boundary."""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from . import __version__
from .errors import ExitCode, SharekitError, StoreError

if TYPE_CHECKING:
    import click

# One module per command group, in help order; each exposes ``register(app)``.
COMMAND_MODULES = (
    "init", "config", "db", "demo", "source", "pull", "products", "channel", "link", "poster",
    "serve", "clicks", "sync", "orders", "report", "today", "events", "doctor", "deploy",
)


class State:
    """Global options, shared with every command through ``ctx.obj``."""

    def __init__(self, home: str | None, debug: bool, home_given: bool = False) -> None:
        self.home = home  # --home, else $SHAREKIT_HOME, else None (the platform dir)
        self.debug = debug
        self.home_given = home_given  # True only when --home was typed on the command line


def _print_error(message: str) -> None:
    """One plain line on stderr (Rich is imported only when there is an error to show)."""
    from rich.console import Console
    from rich.markup import escape

    from .core.redact import redact_text

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]Error:[/] {escape(redact_text(message))}")


def _as_store_error(exc: BaseException) -> StoreError | None:
    """A raw sqlite3 error escaping a command (e.g. "database is locked") as a StoreError."""
    sqlite3 = sys.modules.get("sqlite3")  # only loaded when a command opened the store
    if sqlite3 is None or not isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return None
    text = str(exc)
    # conditions of the file or the machine; a bad statement ("no such table") is a bug: traceback
    if not any(word in text for word in ("locked", "busy", "not a database", "file is encrypted", "unable to open",
                                          "readonly", "malformed", "corrupt", "disk is full", "disk I/O")):
        return None
    from .store.db import friendly_error

    return friendly_error(None, exc)


def _with_flags(ctx: click.Context, exc: SharekitError) -> str:
    """The error line with the library argument names it cites (`limit`) as this CLI's flags (--limit)."""
    text = str(exc)
    if not exc.params:
        return text
    flags: dict[str, str] = {}
    pending: list[click.Command] = [ctx.command]
    while pending:
        command = pending.pop()
        if hasattr(command, "list_commands"):  # a group (typer's click may not be `click`); lazy: ask it
            found = (command.get_command(ctx, name) for name in command.list_commands(ctx))
            pending.extend(sub for sub in found if sub is not None)
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option" and param.name and param.opts:
                flags.setdefault(param.name, max(param.opts, key=len))
    for name in exc.params:
        if name in flags:
            text = text.replace(f"`{name}`", flags[name])
    return text


def _name_closest_choice(exc: typer.BadParameter) -> None:
    """Reword "'chanel' is not one of 'day', ..." (an option typed as an enum) to name the closest
    choice: `'chanel' is not one of day, ..., channel; did you mean channel?` (still exit 2)."""
    import re
    import typing
    from enum import Enum

    from .core.settings import closest

    annotation = getattr(getattr(exc.param, "type_descriptor", None), "annotation", None)
    kinds = [annotation, *typing.get_args(annotation)]  # list[Kind] for a repeatable option
    enum = next((k for k in kinds if isinstance(k, type) and issubclass(k, Enum)), None)
    found = re.search(r"'(.*)' is not one of ", exc.message)
    if enum is None or found is None:
        return
    value, choices = found.group(1), [str(member.value) for member in enum]
    near = closest(value, choices)
    exc.message = f"{value!r} is not one of {', '.join(choices)}" + (f"; did you mean {near}?" if near else ".")


class BoundaryGroup(TyperGroup):
    """The one error boundary: SharekitError (and OSError, sqlite3.Error) become a one-line
    message on stderr and exit 1; ``--debug`` re-raises so the traceback shows; Ctrl-C is 130.
    Anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except typer.BadParameter as exc:
            _name_closest_choice(exc)
            raise
        except Exception as exc:
            state = ctx.obj if isinstance(ctx.obj, State) else None
            if state is not None and state.debug:
                raise
            if isinstance(exc, SharekitError):
                _print_error(_with_flags(ctx, exc))
                raise typer.Exit(int(exc.exit_code)) from None
            store_error = _as_store_error(exc)
            if store_error is not None:
                _print_error(_with_flags(ctx, store_error))
                raise typer.Exit(int(store_error.exit_code)) from None
            if isinstance(exc, OSError):
                where = f" ({exc.filename})" if exc.filename else ""
                _print_error(f"{exc.strerror or exc}{where}. Run with --debug for details.")
                raise typer.Exit(int(ExitCode.ERROR)) from None
            raise


app = typer.Typer(
    cls=BoundaryGroup,
    name="sharekit",
    help="Pull products, render share posters with your QR code, track clicks, sync orders "
    "and see what you earned.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: importing rich for --help costs ~100 ms
    pretty_exceptions_show_locals=False,  # sources hold API secrets
    pretty_exceptions_short=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sharekit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    home: str = typer.Option(None, "--home", envvar="SHAREKIT_HOME", show_envvar=True, metavar="DIR",
                             help="Home folder (config, database, cache, posters)."),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """sharekit: the reseller's toolkit, from supplier API to WeChat poster to commission."""
    from .core.private import PRIVATE_UMASK

    os.umask(PRIVATE_UMASK)  # the store, backups, spools, caches and exports: owner only
    source = ctx.get_parameter_source("home")
    ctx.obj = State(home, debug, home_given=getattr(source, "name", "") == "COMMANDLINE")


for _name in COMMAND_MODULES:
    import_module(f"sharekit.commands.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app(prog_name="sharekit")
    except KeyboardInterrupt:
        sys.exit(int(ExitCode.INTERRUPTED))
