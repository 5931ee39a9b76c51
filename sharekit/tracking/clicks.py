"""Click statistics, read from the per-link-and-day counters (never COUNT(*) over raw clicks).

Counters (``click_daily``, kept by the server as clicks arrive): ``clicks`` = clicks by people,
``bots`` = bot hits (crawlers, link-preview fetchers, HEAD), ``qr`` = people's clicks that came
from a poster QR (``?s=q``), ``wechat`` = people's clicks inside WeChat. Visitors of every row
(and of the total) are the distinct visitors of that grouping over the span, and (but by link)
``returning`` those of them seen in the same grouping on an earlier day (see ``counting``).
Filters work at day granularity in the configured timezone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..core.timeutil import parse_when
from ..errors import InputError
from .counting import PEOPLE, RETURNING_GROUPINGS, VISITORS_METHOD, distinct_visitors, returning_visitors

if TYPE_CHECKING:
    from ..store.workspace import Workspace

BY = ("link", "channel", "day", "product")


@dataclass
class ClickRow:
    """One row of `sharekit clicks`: a link, channel, day or product."""

    key: str
    clicks: int = 0          # people (plus bots with include_bots)
    visitors: int = 0
    bots: int = 0
    qr: int = 0              # of clicks: scans of a poster QR
    link: int = 0            # of clicks: not from a QR (shared link, typed URL)
    wechat: int = 0          # of clicks: inside WeChat
    channel: str | None = None   # by link: the link's channel and product
    product: str | None = None
    returning: int | None = None  # of visitors: seen in the same grouping on an earlier day (not by link)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("channel", "product", "returning"):
            if data[name] is None:
                del data[name]
        return data


@dataclass
class ClickStats:
    """The result of :func:`click_stats`; ``to_json`` is the `--json` shape."""

    by: str
    rows: list[ClickRow]
    total: ClickRow
    since: str | None = None     # first local day included
    until: str | None = None     # last local day included
    include_bots: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"by": self.by, "since": self.since, "until": self.until, "include_bots": self.include_bots,
                "visitors_method": VISITORS_METHOD,
                "rows": [r.to_json() for r in self.rows], "total": self.total.to_json()}


def _day(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()


def click_stats(ws: Workspace, by: str = "link", since: datetime | str | None = None,
                until: datetime | str | None = None,
                include_bots: bool = False) -> ClickStats:
    """Clicks, visitors, bots and QR/link split grouped ``by`` link, channel, day or product.

    ``since`` is inclusive and ``until`` exclusive (datetimes, or text `parse_when` accepts);
    both are applied to whole local days: a day is in when any part of it is in the range.
    """
    if by not in BY:
        raise InputError(f"`by` {by!r} must be one of {', '.join(BY)}.", params=("by",))
    tz = ws.config.timezone
    since_dt = parse_when(since, tz) if isinstance(since, str) else since
    until_dt = parse_when(until, tz) if isinstance(until, str) else until
    first = _day(since_dt, tz) if since_dt else None
    last = _day(until_dt - timedelta(microseconds=1), tz) if until_dt else None
    if first and last and last < first:
        raise InputError("`until` is before `since`.", params=("until", "since"))
    key_sql = {"link": "d.code", "channel": "l.channel", "day": "d.day", "product": "l.product_id"}[by]
    extra_cols = ", min(l.channel) AS channel, min(l.product_id) AS product" if by == "link" else ""
    where, args = [], []
    if first:
        where.append("d.day >= ?")
        args.append(first)
    if last:
        where.append("d.day <= ?")
        args.append(last)
    sql = (
        f"SELECT {key_sql} AS key, sum(d.{PEOPLE}) AS clicks, sum(d.bots) AS bots, sum(d.qr) AS qr,"
        f" sum(d.wechat) AS wechat{extra_cols}"
        " FROM click_daily d JOIN links l ON l.code = d.code"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" GROUP BY {key_sql}"
    )
    rows: list[ClickRow] = []
    total = ClickRow(key="total")
    visitors = distinct_visitors(ws.db, by, first, last)
    returning = returning_visitors(ws.db, by, first, last) if by in RETURNING_GROUPINGS else None
    for r in ws.db.execute(sql, args):
        clicks = r["clicks"] + (r["bots"] if include_bots else 0)
        row = ClickRow(key=r["key"], clicks=clicks, visitors=visitors.get(r["key"], 0), bots=r["bots"], qr=r["qr"],
                       link=clicks - r["qr"], wechat=r["wechat"],
                       channel=r["channel"] if by == "link" else None,
                       product=r["product"] if by == "link" else None,
                       returning=None if returning is None else returning.get(r["key"], 0))
        rows.append(row)
        for name in ("clicks", "bots", "qr", "link", "wechat"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    if rows:
        total.visitors = distinct_visitors(ws.db, "all", first, last).get("", 0)
        if returning is not None:
            total.returning = returning_visitors(ws.db, "all", first, last).get("", 0)
    if by == "day":
        rows.sort(key=lambda r: r.key)
    else:
        rows.sort(key=lambda r: (-r.clicks, r.key))
    return ClickStats(by=by, rows=rows, total=total, since=first, until=last, include_bots=include_bots)
