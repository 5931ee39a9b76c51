"""`sharekit config show|get|set`: read and change config.toml (secrets masked)."""

from __future__ import annotations

import typer

from ._common import out, print_json, sub_app, workspace

config_app = sub_app("Show and change config.toml (dotted keys, secrets masked; README lists every key).")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


def _flatten(node: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(node, dict):
        rows: list[tuple[str, object]] = []
        for key, value in node.items():
            rows.extend(_flatten(value, f"{prefix}{key}."))
        return rows
    return [(prefix[:-1], node)]


def _toml_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@config_app.command("show")
def show(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Show every setting, defaults included, ${VAR} references resolved and secrets masked.

    Example: sharekit config show --json
    """
    ws = workspace(ctx)
    data = ws.config.masked()
    if json_out:
        print_json(data)
        return
    from ._table import pairs

    pairs([(key, _toml_text(value) if isinstance(value, str | bool | int) else repr(value))
           for key, value in _flatten(data)], title=str(ws.paths.config))


@config_app.command("get")
def get(ctx: typer.Context, key: str = typer.Argument(..., help="Dotted key, e.g. brand.name."),
        reveal: bool = typer.Option(False, "--reveal", help="Print secrets in clear (for scripts).")) -> None:
    """Print one value (env references resolved; secrets masked unless --reveal).

    Example: sharekit config get brand.name
    """
    from ..core.redact import mask_secrets
    from ..errors import NotFoundError

    ws = workspace(ctx)
    value = ws.config.get(key)
    if value is None:
        from ..store.config import check_key

        check_key(ws.config, key)  # a typo names the closest key (exit 2)
        raise NotFoundError(f"`{key}` is not set in {ws.paths.config}.")
    if not reveal:
        value = mask_secrets(value, key)
    if isinstance(value, dict | list):
        print_json(value)
    else:
        typer.echo(_toml_text(value))


@config_app.command("set")
def set_(ctx: typer.Context, key: str = typer.Argument(..., help="Dotted key, e.g. sources.jd.app_key."),
         value: str = typer.Argument(..., help="Value: numbers and true/false are typed; else a string. "
                                     "Use ${VAR} to read a secret from the environment.")) -> None:
    """Set one value in config.toml (written with mode 0600; ${VAR} is kept as written). Creates the home if needed.

    Example: sharekit config set brand.name "小王好物"
    """
    from ..core.redact import MASK, is_secret_key, redact_text
    from ..store.config import parse_cli_value, set_value

    ws = workspace(ctx, create=True)  # like `init`, it may start a new home (with only config.toml)
    set_value(ws.config, key, parse_cli_value(value, key, ws.config.data))
    shown = MASK if is_secret_key(key) and "${" not in value else redact_text(value)
    out().print(f"{key} = {shown}", markup=False)


@config_app.command("unset")
def unset(ctx: typer.Context, key: str = typer.Argument(..., help="Dotted key to remove, e.g. brand.slogan.")) -> None:
    """Remove one key from config.toml (its default applies again; emptied tables go too).

    Example: sharekit config unset poster.share_text
    """
    from ..store.config import unset_value

    ws = workspace(ctx)
    config = unset_value(ws.config, key)
    default = config.get(key)
    shown = default not in (None, "") and not isinstance(default, dict)
    note = f" (default: {_toml_text(default)})" if shown else ""
    out().print(f"{key} removed{note}", markup=False)
