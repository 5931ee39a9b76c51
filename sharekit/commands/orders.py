"""`sharekit orders list|import|attribute`: the order group; its subcommands live in their own modules."""

from __future__ import annotations

import typer

from . import orders_attribute, orders_import, orders_list
from ._common import sub_app

orders_app = sub_app("List order lines, import order report files, credit lines without a channel.")


def register(app: typer.Typer) -> None:
    orders_list.register(orders_app)
    orders_import.register(orders_app)
    orders_attribute.register(orders_app)
    app.add_typer(orders_app, name="orders")
