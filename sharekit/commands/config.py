"""`sharekit config show|get|set`: read and change config.toml (secrets masked)."""

from __future__ import annotations

import typer

from ..config import MASK, is_secret_key, parse_cli_value, set_value
from ..errors import NotFoundError
from ._common import out, print_json, sub_app, workspace

config_app = sub_app("Show and change config.toml (dotted keys, secrets masked).")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


def _flatten(node: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(node, dict):
        rows: list[tuple[str, object]] = []
        for key, value in node.items():
            rows.extend(_flatten(value, f"{prefix}{key}."))
        return rows
    return [(prefix[:-1], node)]


@config_app.command("show")
def show(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Show every setting, defaults included, with secrets masked.

    Example: sharekit config show --json
    """
    ws = workspace(ctx)
    data = ws.config.masked()
    if json_out:
        print_json(data)
        return
    from rich.table import Table

    table = Table(title=str(ws.paths.config), title_justify="left")
    table.add_column("key")
    table.add_column("value")
    for key, value in _flatten(data):
        table.add_row(key, repr(value) if not isinstance(value, str) else value)
    out().print(table)


@config_app.command("get")
def get(ctx: typer.Context, key: str = typer.Argument(..., help="Dotted key, e.g. brand.name."),
        reveal: bool = typer.Option(False, "--reveal", help="Print a secret in clear (for scripts).")) -> None:
    """Print one value (env references resolved; secrets masked unless --reveal).

    Example: sharekit config get brand.name
    """
    ws = workspace(ctx)
    value = ws.config.get(key)
    if value is None:
        raise NotFoundError(f"`{key}` is not set in {ws.paths.config}.")
    if is_secret_key(key) and not reveal and value != "":
        value = MASK
    if isinstance(value, dict | list):
        print_json(value)
    else:
        typer.echo(value if isinstance(value, str) else repr(value).lower() if isinstance(value, bool) else value)


@config_app.command("set")
def set_(ctx: typer.Context, key: str = typer.Argument(..., help="Dotted key, e.g. sources.jd.app_key."),
         value: str = typer.Argument(..., help="Value: numbers and true/false are typed; else a string. "
                                     "Use ${VAR} to read a secret from the environment.")) -> None:
    """Set one value in config.toml (written with mode 0600).

    Example: sharekit config set brand.name "小王好物"
    """
    ws = workspace(ctx, create=True)
    set_value(ws.config, key, parse_cli_value(value))
    shown = MASK if is_secret_key(key) else value
    out().print(f"{key} = {shown}")
