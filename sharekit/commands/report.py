"""`sharekit report [--by K]` and `report channels|payouts|products`: what was earned, where, what is owed."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from ._common import fmt_money, out, print_json, product_titles, sub_app, workspace
from ._table import COLUMNS_OPTION, WIDE_OPTION, Col, render


class By(StrEnum):
    """Report keys (mirrors sharekit.reports.BYS; the library is imported lazily)."""

    day = "day"
    week = "week"
    month = "month"
    product = "product"
    channel = "channel"
    source = "source"
    template = "template"
    variant = "variant"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"

REPORT_HELP = """Earnings per day, week, month, product, channel or source, in one currency.

Each row holds the orders placed in it (configured timezone): clicks, orders, GMV, estimated
(pending + confirmed), settled and lost (invalid) commission, conversion (orders per click) and
earnings per click, then totals. Orders through a channel of kind self (your own purchases) are
savings, not income: their commission is shown as "self saved" and left out of the rest.
Currencies are never added together: --currency picks one.
--by template (or variant) shows which poster sells: clicks, QR scans, orders and commission per
poster template made with `poster --variants`, with conversion and EPC.
Subcommands: channels, payouts, products.

Example: sharekit report --by day --since 2026-11-01 --chart earnings.png
"""

report_app = sub_app(REPORT_HELP, invoke_without_command=True, no_args_is_help=False)


class Attribution(StrEnum):
    all = "all"
    supplier = "supplier"
    inferred = "inferred"


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


def _format(fmt: Format, json_out: bool) -> str:
    return "json" if json_out else Format(fmt).value


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


@report_app.callback()
def report(
    ctx: typer.Context,
    by: By = typer.Option(By.month, "--by", help="Group rows by this key."),
    since: str = typer.Option(None, "--since", help="From this date/time (2026-11-01, 2026-11, 30d); inclusive."),
    until: str = typer.Option(None, "--until", help="Up to this time; a date or month is included whole."),
    currency: str = typer.Option(None, "--currency", help="Report this currency (default: the configured one)."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
    json_out: bool = typer.Option(False, "--json", help="Same as --format json."),
    chart: Path = typer.Option(None, "--chart", help="Also write a PNG chart of the rows to this file."),
    attribution: Attribution = typer.Option(
        "supplier", "--attribution", help="supplier: where the supplier put each line; all: lines without a "
        "channel credited from clicks shown as CHANNEL (inferred); inferred: only those lines."),
    wide: bool = WIDE_OPTION,
    columns: str = COLUMNS_OPTION,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from ..reports import earnings_report, report_csv

    ws = workspace(ctx)
    if By(by).value in ("template", "variant"):
        _variants(ws, By(by).value, since, until, currency, _format(fmt, json_out), chart, wide=wide,
                  only=_only(columns))
        return
    result = earnings_report(ws, by=By(by).value, since=since, until=until, currency=currency,
                             attribution=Attribution(attribution).value)
    chart_path = None
    if chart is not None:
        from ..reports.charts import render_chart

        labels, values, clicks = result.series()
        chart_path = render_chart(chart, labels, values, result.currency, clicks=clicks,
                                  title=f"Earnings by {result.by} in {result.currency}")
    kind = _format(fmt, json_out)
    if kind == "json":
        print_json(result.to_json())
    elif kind == "csv":
        sys.stdout.write(report_csv(result))
    else:
        _render_report(result, product_titles(ws, [r.key for r in result.rows]) if result.by == "product" else {},
                       wide=wide, only=_only(columns))
    if chart_path is not None and kind == "table":
        out().print(f"Chart written to {chart_path}")


def _variants(ws: Any, by: str, since: str | None, until: str | None, currency: str | None, kind: str,
              chart: Path | None, *, wide: bool = False, only: list[str] | None = None) -> None:
    """`report --by template|variant`: which poster sells (see sharekit.reports.variants)."""
    from ..errors import UsageError
    from ..reports.variants import variants_csv, variants_report

    if chart is not None:
        raise UsageError(f"--chart is not drawn for --by {by}; use --json or --format csv.")
    result = variants_report(ws, by=by, since=since, until=until, currency=currency)
    if kind == "json":
        print_json(result.to_json())
        return
    if kind == "csv":
        sys.stdout.write(variants_csv(result))
        return
    con = out()

    def cells(r: Any) -> list[str]:
        head = [r.key] + ([r.template, r.product or "", r.channel or ""] if by == "variant" else [])
        return [*head, f"{r.clicks:,}", f"{r.scans:,}", f"{r.orders:,}", f"{r.commission.amount:,}",
                _pct(r.conversion), "-" if r.epc is None else f"{r.epc:.2f}"]

    cols = [Col(by, fixed=True)]
    if by == "variant":  # at 80 columns the product stays longest, then the template
        cols += [Col("template", fixed=True, drop=3), Col("product", fixed=True, drop=1),
                 Col("channel", fixed=True, drop=5)]
    cols += [Col("clicks", fixed=True, right=True), Col("scans", fixed=True, right=True, drop=4),
             Col("orders", fixed=True, right=True), Col("commission", fixed=True, right=True),
             Col("conv.", fixed=True, right=True, drop=6), Col("EPC", fixed=True, right=True, drop=2)]
    span = f"{result.since or 'start'} .. {result.until or 'now'}"
    if not result.rows:
        con.print("No poster variants yet: `sharekit poster PRODUCT --channel C --template moments,square "
                  "--variants`.", markup=False)
        return
    total = cells(result.totals)
    render(cols, [cells(r) for r in result.rows], total=total, con=con, wide=wide, only=only,
           title=f"Which poster sells, by {by}, in {result.currency} ({span})")
    con.print(f"Orders: credited to the variant a person clicked last within {result.window} before them.",
              markup=False)
    con.print(f"Not told apart (no variant clicked last): {result.not_told_apart} orders.", markup=False)


def _only(columns: str | None) -> list[str] | None:
    return columns.split(",") if columns else None


def _render_report(result: Any, titles: dict[str, str], *, wide: bool = False,
                   only: list[str] | None = None) -> None:
    from ..reports.charts import text_bars

    span = f"{result.since or 'start'} .. {result.until or 'now'}"
    con = out()
    show_unknown = result.totals.unknown.minor != 0
    show_self = result.totals.self_saved.minor != 0
    columns = ["key", "clicks", "orders", "GMV", "estimated", "settled", "lost",
               *(["unknown"] if show_unknown else []), *(["self saved"] if show_self else []), "conv.", "EPC"]

    def amount(m: Any) -> str:  # the title names the currency; no symbol keeps columns narrow
        return f"{m.amount:,}"

    def cells(row: Any) -> list[str]:
        values = {"key": row.key, "clicks": f"{row.clicks:,}", "orders": f"{row.orders:,}", "GMV": amount(row.gmv),
                  "estimated": amount(row.estimated), "settled": amount(row.settled), "lost": amount(row.lost),
                  "unknown": amount(row.unknown), "self saved": amount(row.self_saved), "conv.": _pct(row.conversion),
                  "EPC": "-" if row.epc is None else f"{row.epc:.2f}"}
        return [values[c] for c in columns]

    drops = {"EPC": 9, "conv.": 8, "unknown": 7, "clicks": 6, "lost": 5, "GMV": 4, "self saved": 7}
    cols = [Col(result.by, fixed=True)] + ([Col("title", drop=3, min=6)] if titles else []) + [
        Col(name, fixed=True, right=True, drop=drops.get(name, 0))
        for name in columns[1:]]

    def row_cells(row: Any) -> list[str]:
        values = cells(row)
        return [values[0], *([titles.get(row.key, "")] if titles else []), *values[1:]]

    total = row_cells(result.totals)
    if titles:
        total[1] = ""
    view = {"all": ", inferred shown", "inferred": ", inferred only"}.get(result.attribution, "")
    render(cols, [row_cells(r) for r in result.rows], total=total, con=con, wide=wide, only=only,
           title=f"Earnings by {result.by} in {result.currency} ({span}{view})")
    labels, values, _ = result.series()
    if result.by == "channel" and show_self:  # a self channel's bar would always be empty: savings, not income
        own = {r.key for r in result.rows if r.self_saved.minor and not r.earned.minor}
        labels, values = [k for k in labels if k not in own], [v for k, v in zip(labels, values, strict=True)
                                                                if k not in own]
    if any(values):
        note = ""
        if len(values) > 20:  # keep the terminal chart small: rows without earnings are left out
            kept = [(k, v) for k, v in zip(labels, values, strict=True) if v]
            labels, values = [k for k, _ in kept], [v for _, v in kept]
            note = f" ({result.by}s without earnings left out)"
        con.print(f"estimated + settled{note}:", markup=False)
        for line in text_bars(labels, values, result.currency, max_width=con.width):
            con.print(line, highlight=False, markup=False)
    if show_self:
        con.print(f"Your own purchases (self channels) saved {result.totals.self_saved}: not income, "
                  "so not in estimated, settled or lost.", markup=False)
    if result.unmatched:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(result.unmatched.items()))
        con.print(f"Under (none): orders whose channel matches no channel: {listed}. "
                  "Add them with `sharekit channel add NAME`.", markup=False)
    if result.other_currencies:
        listed = ", ".join(f"{n} in {c}" for c, n in sorted(result.other_currencies.items()))
        con.print(f"Not included (other currencies, see --currency): {listed} order lines.", markup=False)
    if result.attribution == "supplier" and result.inferred_lines:
        con.print(f"{result.inferred_lines} line(s) without a channel were credited from clicks (inferred): "
                  "see --attribution all.", markup=False)


@report_app.command("channels")
def channels(
    ctx: typer.Context,
    since: str = typer.Option(None, "--since", help="From this date/time; inclusive."),
    until: str = typer.Option(None, "--until", help="Up to this time; a date or month is included whole."),
    currency: str = typer.Option(None, "--currency", help="Report this currency (default: the configured one)."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
    wide: bool = WIDE_OPTION,
    columns: str = COLUMNS_OPTION,
) -> None:
    """Per channel: what its members spent and saved (coupons included), progress to its threshold,
    its visitors / returning visitors (seen on an earlier day) and buyers (where orders name them).

    Example: sharekit report channels --since 2026-11
    """
    from ..reports import channels_report

    result = channels_report(workspace(ctx), since=since, until=until, currency=currency)
    if json_out:
        print_json(result.to_json())
        return

    cols = [Col("channel", fixed=True), Col("kind", fixed=True, drop=3), Col("orders", fixed=True, right=True, drop=4),
            Col("spent", fixed=True, right=True), Col("saved", fixed=True, right=True, drop=5),
            Col("threshold", fixed=True, right=True, drop=2), Col("progress", fixed=True, right=True, drop=1),
            Col("to go", fixed=True, right=True, drop=6),
            Col("visitors / returning", fixed=True, right=True, drop=7), Col("buyers", fixed=True, right=True, drop=8)]
    rows = []
    for r in result.rows:
        progress = "-"
        if r.progress is not None:
            filled = min(int(r.progress * 5), 5)
            progress = ("█" * filled).ljust(5, "·") + f" {_pct(r.progress)}" + (" ✓" if r.reached else "")
        elif r.threshold is not None:
            progress = f"(threshold in {r.threshold.currency})"
        rows.append([r.channel, r.kind or "-", f"{r.orders:,}", fmt_money(r.spent),
                     fmt_money(r.saved) if r.saved is not None else "—",
                     fmt_money(r.threshold), progress, fmt_money(r.remaining), f"{r.visitors} / {r.returning}",
                     "—" if r.buyers is None else f"{r.buyers}"])
    render(cols, rows, title=f"Channels in {result.currency}", wide=wide, only=_only(columns))
    con = out()
    if result.rows:
        con.print("orders: every line placed; spent, saved: not invalid; saved — = no list price; "
                  "returning: seen on an earlier day; buyers — = no order names its buyer (JD, PDD and "
                  "Taobao never do).", markup=False)
    for r in result.rows:
        if r.period is not None and r.period_spent is not None:
            reached = f", reached {r.unlocked_at[5:16].replace('T', ' ')}" if r.unlocked_at else ""
            con.print(f"{r.channel}: progress of this {r.period_kind}, {r.period}: {fmt_money(r.period_spent)} "
                      f"spent{reached}.", markup=False)
    if result.unmatched:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(result.unmatched.items()))
        con.print(f"Under (none): orders whose channel matches no channel: {listed}.", markup=False)


@report_app.command("payouts")
def payouts_cmd(
    ctx: typer.Context,
    month: str = typer.Option(None, "--month", help="YYYY-MM, local time (default: the previous month)."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
    json_out: bool = typer.Option(False, "--json", help="Same as --format json."),
    wide: bool = WIDE_OPTION,
    columns: str = COLUMNS_OPTION,
) -> None:
    """Each friend's share of the commission her channel's orders settled in the month, her parent's
    override on it (two-level sharing), and what you keep.

    A refund (or a changed commission) of a line settled in an earlier month is charged as an
    "adjustment" row in the month it is learned of, so a month already paid never changes.

    Example: sharekit report payouts --month 2026-11 --format csv > payouts-2026-11.csv
    """
    from ..reports import payouts, payouts_csv

    result = payouts(workspace(ctx), month)
    kind = _format(fmt, json_out)
    if kind == "json":
        print_json(result.to_json())
        return
    if kind == "csv":
        sys.stdout.write(payouts_csv(result))
        return

    cols = [Col("channel", fixed=True), Col("line", fixed=True), Col("kind", fixed=True, drop=2),
            Col("note", drop=3, min=6), Col("orders", fixed=True, right=True, drop=1),
            Col("settled", fixed=True, right=True), Col("share", fixed=True, right=True),
            Col("payout", fixed=True, right=True)]
    rows = [[r.channel, "own" if r.line == "own" else f"override on {r.via}", r.kind, r.note or "",
             f"{r.orders:,}", fmt_money(r.settled), _pct(r.share), fmt_money(r.payout)] for r in result.rows]
    rows += [["(you)", f"keep of {k.channel}", k.kind, "", f"{k.orders:,}", fmt_money(k.settled), "-",
              fmt_money(k.kept)] for k in result.reseller if k.settled.minor or k.kept.minor]
    render(cols, rows, title=f"Payouts for {result.month} (commission settled that month)", wide=wide,
           only=_only(columns))
    con = out()
    if not result.rows:
        con.print("No friend channels yet: `sharekit channel add NAME --kind friend --share 0.3`.")
    elif any(r.line == "override" for r in result.rows) or len(rows) > len(result.rows):
        con.print("own + override + what you keep = the commission, to the fen (shares round half up, "
                  "overrides down, you keep the rest).", markup=False)


@report_app.command("products")
def products_cmd(
    ctx: typer.Context,
    since: str = typer.Option(None, "--since", help="From this date/time; inclusive."),
    until: str = typer.Option(None, "--until", help="Up to this time; a date or month is included whole."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
    wide: bool = WIDE_OPTION,
    columns: str = COLUMNS_OPTION,
) -> None:
    """Per product: orders and the share that ended invalid; flags those above [reports] max_invalid_rate.

    Example: sharekit report products --since 90d
    """
    from ..reports import products_report

    result = products_report(workspace(ctx), since=since, until=until)
    if json_out:
        print_json(result.to_json())
        return

    cols = [Col("product", fixed=True), Col("title", min=6, drop=2), Col("orders", fixed=True, right=True),
            Col("invalid", fixed=True, right=True), Col("rate", fixed=True, right=True),
            Col("flag", fixed=True)]
    rows = [[r.product, r.title or "", f"{r.orders:,}", f"{r.invalid:,}", _pct(r.invalid_rate),
             "FLAGGED" if r.flagged else ""] for r in result.rows]
    render(cols, rows, title=f"Products (flagged above {_pct(result.max_invalid_rate)} invalid)", wide=wide,
           only=_only(columns))
