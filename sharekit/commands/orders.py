"""`sharekit orders list|import`: the order group; its subcommands live in their own modules."""

from __future__ import annotations

import typer

from . import orders_import, orders_list
from ._common import sub_app

orders_app = sub_app("List order lines and import order report files.")


def register(app: typer.Typer) -> None:
    orders_list.register(orders_app)
    orders_import.register(orders_app)
    app.add_typer(orders_app, name="orders")
