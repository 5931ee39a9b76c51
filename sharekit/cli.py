"""The `sharekit` command: composes the command modules and holds the one error boundary."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

import click
import typer
from typer.core import TyperGroup

from . import __version__
from .errors import ExitCode, SharekitError

# One module per command group, in help order; each exposes ``register(app)``.
COMMAND_MODULES = (
    "init", "config", "db", "demo", "source", "pull", "products", "channel", "link", "poster",
    "serve", "clicks", "sync", "orders", "report",
)


class State:
    """Global options, shared with every command through ``ctx.obj``."""

    def __init__(self, home: str | None, debug: bool) -> None:
        self.home = home
        self.debug = debug


class BoundaryGroup(TyperGroup):
    """Maps SharekitError to a one-line message and exit 1; --debug shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SharekitError as exc:
            state = ctx.obj if isinstance(ctx.obj, State) else None
            if state is not None and state.debug:
                raise
            from rich.console import Console
            from rich.markup import escape

            err = Console(stderr=True, highlight=False, soft_wrap=True)
            err.print(f"[bold red]Error:[/] {escape(str(exc))}")
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except OSError as exc:
            state = ctx.obj if isinstance(ctx.obj, State) else None
            if state is not None and state.debug:
                raise
            from rich.console import Console
            from rich.markup import escape

            where = f" ({exc.filename})" if exc.filename else ""
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                f"[bold red]Error:[/] {escape((exc.strerror or str(exc)) + where)}. Run with --debug for details.")
            raise typer.Exit(int(ExitCode.ERROR)) from None


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
    home: str = typer.Option(None, "--home", envvar="SHAREKIT_HOME", show_envvar=True,
                             help="Home folder (config, database, cache, posters)."),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """sharekit: the reseller's toolkit, from supplier API to WeChat poster to commission."""
    ctx.obj = State(home, debug)


for _name in COMMAND_MODULES:
    import_module(f"sharekit.commands.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app(prog_name="sharekit")
    except KeyboardInterrupt:
        sys.exit(int(ExitCode.INTERRUPTED))
