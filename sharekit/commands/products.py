"""`sharekit products list|show`: the products in the local store."""

from __future__ import annotations

import typer

from ..core.limits import MAX_LIST_LIMIT
from ._common import fmt_money, out, print_json, sub_app, workspace
from ._table import COLUMNS_OPTION, WIDE_OPTION, Col, render

products_app = sub_app("List and inspect the products in the local store.")

TABLE_CAP = 100  # rows a table shows without --limit (JSON returns every row)


def register(app: typer.Typer) -> None:
    app.add_typer(products_app, name="products")


@products_app.command("list")
def list_(
    ctx: typer.Context,
    source: str | None = typer.Option(None, "--source", "-s", help="Only this source's products."),
    search: str | None = typer.Option(None, "--search", help="Only products whose title, brand or id contain TEXT."),
    available: bool = typer.Option(False, "--available", help="Only products still available."),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, max=MAX_LIST_LIMIT, help="At most N products."),
    json_out: bool = typer.Option(False, "--json", help="Print every matching product as JSON."),
    wide: bool = WIDE_OPTION,
    columns: str = COLUMNS_OPTION,
) -> None:
    """List stored products, most recently changed first.

    Example: sharekit products list --search 保温杯 --available
    """
    from ..catalog.query import list_products, product_json

    with workspace(ctx) as ws:
        cap = limit if (limit is not None or json_out) else TABLE_CAP + 1
        rows = list_products(ws.db, source=source, search=search, available=True if available else None, limit=cap)
        items = [product_json(r, ws.config.timezone) for r in rows]
    if json_out:
        print_json(items)
        return
    more = len(items) > TABLE_CAP and limit is None
    items = items[:TABLE_CAP] if more else items
    rows = []
    for p in items:
        rate = p["commission_rate"]
        rows.append([p["id"], p["title"], fmt_money(p["price"]),
                     fmt_money(p["original_price"]) if p["original_price"] else "",
                     fmt_money(p["coupon"]) if p["coupon"] else "",
                     _percent(rate) if rate else "", "yes" if p["available"] else "no",
                     (p["updated_at"] or "")[5:16].replace("T", " ")])
    cols = [Col("id", fixed=True), Col("title", min=8), Col("price", fixed=True, right=True),
            Col("was", fixed=True, right=True, drop=3), Col("coupon", fixed=True, right=True, drop=2),
            Col("comm.", fixed=True, right=True, drop=1), Col("avail.", fixed=True, drop=4),
            Col("updated", fixed=True, drop=5)]
    con = out()
    if not items:
        con.print("No products match. Pull some with `sharekit pull SOURCE`.")
        return
    render(cols, rows, wide=wide, only=columns.split(",") if columns else None)
    if more:
        con.print(f"[dim]showing the first {TABLE_CAP}; use --limit N or --json for all[/]")


def _percent(rate: str) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(rate) * 100
    except InvalidOperation:
        return rate
    return f"{value.normalize():f}%"


@products_app.command("show")
def show(
    ctx: typer.Context,
    product_id: str = typer.Argument(..., metavar="ID", help="Product id, SOURCE:NATIVE_ID."),
    json_out: bool = typer.Option(False, "--json", help="Print the product and its price history as JSON."),
) -> None:
    """Show one product's details and its price history.

    Example: sharekit products show demo:SK1001
    """
    from ..catalog.query import show_product

    with workspace(ctx) as ws:
        detail = show_product(ws, product_id)
    if json_out:
        print_json(detail.to_json())
        return
    from rich.markup import escape
    from rich.table import Table

    from ._table import pairs

    p = detail.product
    con = out()
    con.print(f"[bold]{escape(p['title'])}[/]  [dim]{escape(p['id'])}[/]")
    rows = [
        ("price", fmt_money(p["price"])),
        ("original price", fmt_money(p["original_price"])),
        ("coupon", fmt_money(p["coupon"])),
        ("commission", _percent(p["commission_rate"]) if p["commission_rate"] else "-"),
        ("available", "yes" if p["available"] else "no"),
        ("brand", p["brand"] or "-"),
        ("url", p["url"] or "-"),
        ("coupon url", p["coupon_url"] or "-"),
        ("image", p["image_url"] or "-"),
        ("cached image", p["image_path"] or "-"),
        ("first seen", p["first_seen_at"] or "-"),
        ("updated", p["updated_at"] or "-"),
        ("last stored", p["seen_at"] or "-"),
    ]
    pairs([(key, str(value)) for key, value in rows], con=con)
    if p["description"]:
        con.print(escape(p["description"]))
    history = Table(title="price history", title_justify="left")
    for name in ("recorded", "price", "original", "coupon"):
        history.add_column(name, justify="right" if name != "recorded" else "left")
    for h in detail.history:
        history.add_row((h["recorded_at"] or "")[:19].replace("T", " "), fmt_money(h["price"]),
                        fmt_money(h["original_price"]), fmt_money(h["coupon"]))
    con.print(history)
