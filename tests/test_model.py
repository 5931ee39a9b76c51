"""The model test: a random world of products, links, clicks, order files and syncs, and every
figure a reseller reads checked against a plain recomputation from the raw events.

Rules drive the real code: products through the catalog upsert, links through ``ensure_link``,
clicks through the redirect server's classifier and click writer (bots, WeChat, QR, repeat
visitors across links and days), order files through ``import_orders`` (the generic CSV), and
syncs through the sync engine with a source that answers from the model. Statuses in files and
syncs move forwards and backwards. Invariants recompute, from the model's own event lists only,
`clicks` by every key (all time and one span), `report` by every key, `report channels`,
`report payouts` for every month touched, `report products`, the stored order lines, and each
product's price story (`products --json` and the share text's arithmetic).

Lines without a channel are credited from clicks (``orders attribute``): the automatic pass after
each import or sync covers the lines it stored, with the clicks present then, and a rule runs the
full pass. The model keeps each line's expected credit the same way (one channel's links clicked
by people within 24 hours before the order: inferred; several: ambiguous with its candidates) and
checks the stored credits, `orders list`, and `report` by every key in the supplier, all and
inferred views (they agree: all moves each inferred line from `(none)` to `CHANNEL (inferred)`,
inferred holds those lines alone).

Budget: ``SHAREKIT_MODEL_EXAMPLES`` (default 20 examples of up to 30 steps, well under a
minute); e.g. ``SHAREKIT_MODEL_EXAMPLES=500 pytest tests/test_model.py`` for a long run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import sharekit.orders.importers.csv as csv_importer
import sharekit.orders.store as order_store
from sharekit import Workspace, init_home
from sharekit.catalog.query import list_products, product_json
from sharekit.catalog.store import upsert_products
from sharekit.core.money import Money
from sharekit.orders.attribution import attribute_orders, inferred_label, window_of
from sharekit.orders.importers import import_orders
from sharekit.orders.query import list_orders
from sharekit.orders.sync import sync_source
from sharekit.poster.batch import product_record, share_text
from sharekit.poster.render import Brand
from sharekit.reports import channels_report, earnings_report, payouts, products_report
from sharekit.sources.base import OrderLine, OrderPage, Product
from sharekit.store.config import write_config
from sharekit.tracking.channels import add_channel
from sharekit.tracking.clicks import click_stats
from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.classify import Classifier
from sharekit.tracking.server.recorder import ClickWriter

EXAMPLES = int(os.environ.get("SHAREKIT_MODEL_EXAMPLES", "20"))
TZ = "Asia/Shanghai"
SH = ZoneInfo(TZ)
DAY0 = date(2026, 10, 29)            # clicks and orders fall on 8 local days from here (two months)
CHANNELS = {"mama_group": ("group", None), "moments": ("moments", None), "lili": ("friend", Decimal("0.3")),
            "amy": ("friend", Decimal("0.25")), "me": ("self", None)}
PARENTS = {"amy": ("lili", Decimal("0.05"))}   # two-level sharing: Lili's override on Amy's commission
SELF = {name for name, (kind, _) in CHANNELS.items() if kind == "self"}   # own purchases: savings, not income
SAVED = ("pending", "confirmed", "settled")    # statuses whose self commission is a saving
SUBIDS = [*CHANNELS, "stray", ""]     # a sub-id of no channel, and none
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
WECHAT = PHONE + " MicroMessenger/8.0.49"
PREVIEW = "Mozilla/5.0 (compatible; TelegramBot like TwitterBot) preview"
RAW = {"pending": ["paid", "pending"], "confirmed": ["confirmed", "received"], "settled": ["settled", "已结算"],
       "invalid": ["refunded", "invalid"]}
RANK = {"pending": 0, "confirmed": 1, "settled": 2, "invalid": 3}
WINDOW = timedelta(hours=24)          # [attribution] window, the default


def local_day(t: datetime) -> str:
    return t.astimezone(SH).date().isoformat()


def month_of(t: datetime) -> str:
    return t.astimezone(SH).strftime("%Y-%m")


def share_of(minor: int, share: Decimal) -> int:
    return int((Decimal(minor) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def override_of(minor: int, rate: Decimal) -> int:
    """A parent's override: rounded toward zero (the odd fen stays with the reseller)."""
    return int((Decimal(minor) * rate).quantize(Decimal(1), rounding=ROUND_DOWN))


@dataclass
class Click:
    code: str
    day: str
    visitor: tuple[str, str]
    bot: bool
    qr: bool
    wechat: bool
    at: datetime | None = None        # UTC: when it was made (attribution windows)


@dataclass
class Line:
    """The model of one order line: what the store must hold, and its payout ledger."""

    key: str
    product: str
    channel: str
    amount: int
    list_amount: int | None
    ordered_at: datetime
    status: str = ""
    raw: str = ""
    commission: int = 0
    updated_at: datetime | None = None
    commissions: list[int] = field(default_factory=list)   # commission of each history row taken
    settled_at: datetime | None = None
    base: int = 0                                           # payout base: commission while settled
    credit: int = 0                                         # commission when it first settled
    adjustments: list[tuple[str, int]] = field(default_factory=list)  # (month recorded, base delta)


class World(RuleBasedStateMachine):
    """One reseller's store, and the model of everything that happened to it."""

    def __init__(self) -> None:
        super().__init__()
        self.home = Path(tempfile.mkdtemp(prefix="sharekit-model-"))
        init_home(self.home)
        self.ws = Workspace.open(self.home)
        self.ws.db.execute("PRAGMA synchronous = OFF")  # a throwaway store: no fsync per commit
        data = dict(self.ws.config.data)
        data["timezone"] = TZ
        data["sources"] = {"demo": {"kind": "feed", "url": "https://shop.example.com/feed.csv"}}
        write_config(self.ws.paths.config, data)
        self.ws.reload_config()
        self.products: dict[str, int] = {}                 # id -> price (minor)
        self.links: dict[str, tuple[str, str]] = {}        # code -> (product, channel)
        self.clicks: list[Click] = []
        self.lines: dict[str, Line] = {}
        self.clock = datetime(2026, 10, 30, 4, 0, tzinfo=UTC)  # when sharekit records: moves forward
        self.reports = 0                                     # supplier update times: one per file or sync
        self.classifier = Classifier(b"model-salt", TZ)
        self.ignored = 0
        self.prices: dict[str, tuple[int, int | None, int | None]] = {}  # id -> (selling, coupon, threshold)
        self.orders = 0
        self._utcnow = order_store.utcnow
        self.credits: dict[str, tuple[str | None, list[str]]] = {}  # line key -> (inferred or None, candidates)
        self._csv_utcnow = csv_importer.utcnow

    def teardown(self) -> None:
        order_store.utcnow = self._utcnow
        csv_importer.utcnow = self._csv_utcnow
        self.ws.close()
        shutil.rmtree(self.home, ignore_errors=True)

    # rules ------------------------------------------------------------------------------------
    @initialize()
    def channels(self) -> None:
        for name, (kind, share) in CHANNELS.items():
            parent, override = PARENTS.get(name, (None, None))
            add_channel(self.ws.db, name, kind=kind, share=share, parent=parent, override=override)

    @rule(items=st.lists(st.tuples(st.integers(1, 6), st.integers(990, 19990), st.integers(0, 3000),
                                   st.sampled_from([0, 0, 500, 1000, 2000, 30000]),
                                   st.sampled_from([None, 0, 990, 5900, 9900, 20000])), min_size=1, max_size=3))
    def pull(self, items: list[tuple[int, int, int, int, int | None]]) -> None:
        """Products: a selling price, a list price at or above it (or none), a coupon (some larger
        than the price) with a threshold (满X: none, below, at or above the price)."""
        batch = []
        for n, price, markup, coupon, threshold in items:
            if any(p.native_id == f"SK{n}" for p in batch):
                continue  # one product once per listing
            batch.append(Product(native_id=f"SK{n}", title=f"商品 {n}", currency="CNY", price=Money(price, "CNY"),
                                 original_price=Money(price + markup, "CNY") if markup else None,
                                 coupon=Money(coupon, "CNY") if coupon else None,
                                 coupon_threshold=Money(threshold, "CNY") if coupon and threshold else None,
                                 url=f"https://shop.example.com/p/{n}"))
            self.products[f"demo:SK{n}"] = price
            self.prices[f"demo:SK{n}"] = (price, coupon or None, (threshold or None) if coupon else None)
        upsert_products(self.ws.db, "demo", batch)

    @precondition(lambda self: self.products)
    @rule(data=st.data())
    def link(self, data: st.DataObject) -> None:
        product = data.draw(st.sampled_from(sorted(self.products)))
        channel = data.draw(st.sampled_from([*CHANNELS, ""]))
        made = ensure_link(self.ws, product, channel)
        assert made.product_id == product and made.channel == channel
        self.links[made.code] = (product, channel)

    @precondition(lambda self: self.links)
    @rule(data=st.data())
    def click(self, data: st.DataObject) -> None:
        """A batch of requests, as the server's flusher writes them (one transaction)."""
        spec = data.draw(st.lists(st.tuples(
            st.sampled_from(sorted(self.links)), st.integers(0, 7), st.integers(0, 23),
            st.sampled_from(["1.1.1.1", "1.1.1.2", "2.2.2.2", "3.3.3.3"]),
            st.sampled_from(["phone", "wechat", "wechat", "preview", "head"]), st.booleans()), min_size=1, max_size=8))
        batch = []
        for code, d, hour, ip, who, qr in spec:
            when = datetime(DAY0.year, DAY0.month, DAY0.day, hour, 30, tzinfo=SH) + timedelta(days=d)
            ua = {"phone": PHONE, "wechat": WECHAT, "preview": PREVIEW, "head": PHONE}[who]
            method = "HEAD" if who == "head" else "GET"
            batch.append(self.classifier.click(code=code, channel=self.links[code][1], product_id=self.links[code][0],
                                               ip=ip, user_agent=ua, referer=None, method=method, via_qr=qr, now=when))
            bot = who in ("preview", "head")
            self.clicks.append(Click(code, local_day(when), (ip, ua), bot, qr and not bot, who == "wechat",
                                     when.astimezone(UTC)))
        writer = ClickWriter(self.ws.paths.db)
        try:
            writer.write(batch)
        finally:
            writer.close()

    def _report_lines(self, data: st.DataObject) -> list[tuple[Line, str, str, int]]:
        """Draw reports about new and known lines: (line, status, raw status, commission)."""
        self.reports += 1
        count = data.draw(st.integers(1, 5))
        out = []
        for _ in range(count):
            known = sorted(self.lines)
            if known and data.draw(st.booleans()):
                line = self.lines[data.draw(st.sampled_from(known))]
            else:
                self.orders += 1
                n = self.orders
                product = data.draw(st.sampled_from(sorted(self.products) or ["demo:SK9"]))
                amount = data.draw(st.integers(100, 30000))
                ordered = datetime(DAY0.year, DAY0.month, DAY0.day, data.draw(st.integers(0, 23)), 10,
                                   tzinfo=SH) + timedelta(days=data.draw(st.integers(0, 7)))
                line = Line(f"O{n}:{product.split(':')[1]}", product, data.draw(st.sampled_from(SUBIDS)), amount,
                            data.draw(st.sampled_from([None, amount, amount + 990])), ordered.astimezone(UTC))
            if any(o[0] is line for o in out):
                continue
            status = data.draw(st.sampled_from(list(RAW)))
            raw = data.draw(st.sampled_from(RAW[status]))
            commission = 0 if status == "invalid" and data.draw(st.booleans()) else line.amount * 7 // 100
            out.append((line, status, raw, commission))
        return out

    def _apply(self, reports: list[tuple[Line, str, str, int]], updated: datetime) -> None:
        """The model's rules: forward-only statuses, settlement month, adjustments when recorded."""
        recorded_month = month_of(self.clock)
        for line, status, raw, commission in reports:
            self.lines[line.key] = line
            if line.status:
                if (line.status, line.raw, line.commission) == (status, raw, commission):
                    continue
                if status != line.status and (line.status == "invalid" or RANK[status] < RANK[line.status]):
                    self.ignored += 1
                    continue
            self._credit(line)  # the automatic pass covers the lines the import or sync stored
            line.status, line.raw, line.commission, line.updated_at = status, raw, commission, updated
            line.commissions.append(commission)
            new_base = commission if status == "settled" else 0
            if status == "settled" and line.settled_at is None:
                line.settled_at = updated
                line.base = line.credit = commission
            elif line.settled_at is not None and new_base != line.base:
                line.adjustments.append((recorded_month, new_base - line.base))
                line.base = new_base

    def _tick(self, data: st.DataObject) -> datetime:
        self.clock += timedelta(days=data.draw(st.integers(0, 12)), hours=1)
        order_store_now = self.clock
        order_store.utcnow = lambda: order_store_now  # when sharekit records the status changes
        # an import reads its file after every order in it was placed (rows dated ahead are refused)
        read_at = max(order_store_now, datetime(DAY0.year, DAY0.month, DAY0.day, tzinfo=UTC) + timedelta(days=9))
        csv_importer.utcnow = lambda: read_at
        return self.clock

    @precondition(lambda self: self.products)
    @rule(data=st.data())
    def import_file(self, data: st.DataObject) -> None:
        """A generic order CSV (with list_amount where the network gave one), imported."""
        updated = self._tick(data)
        reports = self._report_lines(data)
        rows = ["order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at,list_amount"]
        for line, _status, raw, commission in reports:
            rows.append(",".join([line.key.split(":")[0], line.product, line.channel, raw,
                                  str(Money(line.amount, "CNY").amount), str(Money(commission, "CNY").amount), "CNY",
                                  line.ordered_at.isoformat(), updated.isoformat(),
                                  str(Money(line.list_amount, "CNY").amount) if line.list_amount else ""]))
        path = self.home / f"orders-{self.reports}.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        result = import_orders(self.ws, path, "csv")
        assert not result.skipped, result.skipped
        before = self.ignored
        self._apply(reports, updated)
        assert result.ignored == self.ignored - before

    @precondition(lambda self: self.products)
    @rule(data=st.data())
    def sync(self, data: st.DataObject) -> None:
        """A sync of source `demo` whose supplier answers these reports (one page)."""
        updated = self._tick(data)
        reports = self._report_lines(data)
        lines = [OrderLine(row_id=line.key, order_id=line.key.split(":")[0], status=status, raw_status=raw,
                           amount=Money(line.amount, "CNY"), commission=Money(commission, "CNY"),
                           ordered_at=line.ordered_at, updated_at=updated,
                           product_native_id=line.product.split(":")[1], channel=line.channel,
                           list_amount=Money(line.list_amount, "CNY") if line.list_amount else None,
                           settled_at=updated if status == "settled" else None)
                 for line, status, raw, commission in reports]
        result = sync_source(self.ws, "demo", now=updated + timedelta(minutes=1),
                             since=updated - timedelta(hours=1), source_factory=lambda *a, **k: _Supplier(lines))
        assert result.ok, result.error
        before = self.ignored
        self._apply(reports, updated)
        assert result.ignored == self.ignored - before

    def _credit(self, line: Line) -> None:
        """The plain rule: people's clicks on links of the line's product, in a channel, within the
        window before the order; one channel credits the line, several leave it ambiguous."""
        if line.channel:
            self.credits.pop(line.key, None)
            return
        found = sorted({self.links[c.code][1] for c in self.clicks
                        if not c.bot and self.links[c.code][0] == line.product and self.links[c.code][1]
                        and c.at is not None and line.ordered_at - WINDOW <= c.at <= line.ordered_at})
        if found:
            self.credits[line.key] = (found[0] if len(found) == 1 else None, found)
        else:
            self.credits.pop(line.key, None)

    @precondition(lambda self: self.lines)
    @rule()
    def attribute(self) -> None:
        """`sharekit orders attribute`: the full pass, over every line (clicks made since count now);
        run twice, the second changes nothing."""
        first = attribute_orders(self.ws.db, window_of(self.ws.config))
        for line in self._placed():
            self._credit(line)
        assert first.credited == sum(1 for c, _ in self.credits.values() if c)
        assert attribute_orders(self.ws.db, window_of(self.ws.config)).changed == 0

    def _inferred(self, line: Line) -> str | None:
        """The channel ``line`` is credited with by clicks (None: the supplier's, or none)."""
        return None if line.channel else self.credits.get(line.key, (None, []))[0]

    # invariants -------------------------------------------------------------------------------
    def _people(self, span: tuple[str, str] | None = None) -> list[Click]:
        return [c for c in self.clicks if span is None or span[0] <= c.day <= span[1]]

    @invariant()
    def clicks_by_every_key(self) -> None:
        for span in (None, ((DAY0 + timedelta(days=2)).isoformat(), (DAY0 + timedelta(days=4)).isoformat())):
            since = until = None
            if span:
                since = datetime.fromisoformat(span[0]).replace(tzinfo=SH)
                until = datetime.fromisoformat(span[1]).replace(tzinfo=SH) + timedelta(days=1)
            clicks = self._people(span)
            keyers = {"link": lambda c: c.code, "channel": lambda c: self.links[c.code][1], "day": lambda c: c.day,
                      "product": lambda c: self.links[c.code][0]}
            for by, key in keyers.items():
                want: dict[str, list] = defaultdict(lambda: [0, set(), 0, 0, 0])
                for c in clicks:
                    acc = want[key(c)]
                    if c.bot:
                        acc[2] += 1
                    else:
                        acc[0] += 1
                        acc[1].add(c.visitor)
                        acc[3] += c.qr
                        acc[4] += c.wechat
                stats = click_stats(self.ws, by, since, until)
                got = {r.key: (r.clicks, r.visitors, r.bots, r.qr, r.wechat, r.link) for r in stats.rows}
                assert got == {k: (v[0], len(v[1]), v[2], v[3], v[4], v[0] - v[3]) for k, v in want.items()}, by
                people = {c.visitor for c in clicks if not c.bot}
                assert (stats.total.clicks, stats.total.visitors) == (sum(not c.bot for c in clicks), len(people))
                if by != "link":   # fans: visitors seen in the same grouping on an earlier day
                    returning = self._returning(by, key, span)
                    assert {r.key: r.returning for r in stats.rows} == {k: returning.get(k, 0) for k in want}, by
                    if stats.rows:
                        assert stats.total.returning == self._returning("all", lambda c: "", span).get("", 0)

    def _returning(self, by: str, key, span: tuple[str, str] | None) -> dict[str, int]:
        """Returning visitors per key: visitors of the key in the span who had visited it (any link of
        it; for days, any link at all) on a day before their last day in the span."""
        people = [c for c in self.clicks if not c.bot]
        if by == "day":
            first_seen: dict[tuple[str, str], str] = {}
            for c in people:
                first_seen[c.visitor] = min(first_seen.get(c.visitor, c.day), c.day)
            found: dict[str, set] = defaultdict(set)
            for c in self._people(span):
                if not c.bot and first_seen[c.visitor] < c.day:
                    found[c.day].add(c.visitor)
            return {d: len(v) for d, v in found.items()}
        seen: dict[tuple[str, tuple[str, str]], list[str]] = defaultdict(list)
        for c in people:
            seen[(key(c), c.visitor)].append(c.day)
        last: dict[tuple[str, tuple[str, str]], str] = {}
        for c in self._people(span):
            if not c.bot:
                last[(key(c), c.visitor)] = max(last.get((key(c), c.visitor), c.day), c.day)
        counts: dict[str, int] = defaultdict(int)
        for (k, visitor), day in last.items():
            if min(seen[(k, visitor)]) < day:
                counts[k] += 1
        return dict(counts)

    def _placed(self) -> list[Line]:
        return [line for line in self.lines.values() if line.status]

    def _lost(self, line: Line) -> int:
        return line.commission or next((c for c in reversed(line.commissions) if c), 0)

    @invariant()
    def report_by_every_key(self) -> None:
        for view in ("supplier", "all", "inferred"):
            self._report_view(view)
        supplier, every = (earnings_report(self.ws, by="channel", attribution=v).totals for v in ("supplier", "all"))
        assert supplier == every   # moving inferred lines between rows never changes the totals
        inferred = [x for x in self._placed() if self._inferred(x)]
        assert earnings_report(self.ws, by="month").inferred_lines == len(inferred)

    def _report_view(self, view: str) -> None:
        def key_of(by: str, line: Line) -> str:
            day = local_day(line.ordered_at)
            if by == "day":
                return day
            if by == "month":
                return day[:7]
            if by == "week":
                y, w, _ = date.fromisoformat(day).isocalendar()
                return f"{y}-W{w:02d}"
            if by == "channel":
                if view != "supplier" and self._inferred(line):
                    return inferred_label(self._inferred(line))
                return line.channel if line.channel in CHANNELS else "(none)"
            if by == "source":
                return "demo"
            return line.product

        def click_key(by: str, c: Click) -> str:
            product, channel = self.links[c.code]
            return {"day": c.day, "month": c.day[:7], "channel": channel if channel in CHANNELS else "(none)",
                    "source": "demo", "product": product,
                    "week": "{}-W{:02d}".format(*date.fromisoformat(c.day).isocalendar()[:2])}[by]

        for by in ("day", "week", "month", "product", "channel", "source"):
            want: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
            for line in self._placed():
                if view == "inferred" and not self._inferred(line):
                    continue
                acc = want[key_of(by, line)]
                acc[1] += 1
                acc[2] += line.amount
                if line.channel in SELF:   # own purchases: orders placed, but savings, not income
                    acc[6] += line.commission if line.status in SAVED else 0
                    continue
                acc[3] += line.commission if line.status in ("pending", "confirmed") else 0
                acc[4] += line.commission if line.status == "settled" else 0
                acc[5] += self._lost(line) if line.status == "invalid" else 0
            for c in self._people():
                if not c.bot and view != "inferred":   # a click is not split by what it was credited with
                    want[click_key(by, c)][0] += 1
            report = earnings_report(self.ws, by=by, attribution=view)
            got = {r.key: [r.clicks, r.orders, r.gmv.minor, r.estimated.minor, r.settled.minor, r.lost.minor,
                           r.self_saved.minor] for r in report.rows if r.clicks or r.orders}
            if view == "inferred" and by == "channel":   # the same rows as `all` shows them
                got = {inferred_label(k): v for k, v in got.items()}
            assert got == {k: v for k, v in want.items() if v[0] or v[1]}, (view, by)
            placed = [x for x in self._placed() if view != "inferred" or self._inferred(x)]
            assert report.totals.orders == len(placed)
            if view != "inferred":   # inferred lines have no supplier channel, so none is a self channel's
                assert report.totals.self_saved.minor == sum(x.commission for x in self._placed()
                                                             if x.channel in SELF and x.status in SAVED), by

    @invariant()
    def report_channels_agrees(self) -> None:
        rows = {r.channel: r for r in channels_report(self.ws).rows}
        by_channel = {r.key: r for r in earnings_report(self.ws, by="channel", attribution="supplier").rows}
        returning = self._returning("channel", lambda c: self.links[c.code][1], None)
        for name in [*CHANNELS, "(none)"]:
            lines = [x for x in self._placed() if (x.channel if x.channel in CHANNELS else "(none)") == name]
            bought = [x for x in lines if x.status != "invalid"]
            known = [x for x in bought if x.list_amount is not None]
            people = [c for c in self.clicks if not c.bot and self.links[c.code][1] == (name if name in CHANNELS
                                                                                         else "")]
            row = rows.get(name)
            if row is None:
                assert name == "(none)" and not lines
                continue
            assert (row.orders, row.invalid, row.spent.minor) == (len(lines), len(lines) - len(bought),
                                                                  sum(x.amount for x in bought)), name
            assert row.saved == (Money(sum(x.list_amount - x.amount for x in known), "CNY") if known else None)
            if name in CHANNELS:
                assert row.clicks == len(people) and row.visitors == len({c.visitor for c in people}), name
                assert row.returning == returning.get(name, 0), name
            same = by_channel.get(name)
            assert row.orders == (same.orders if same else 0), name   # the same orders in both views

    @invariant()
    def payouts_of_every_month(self) -> None:
        months = {month_of(x.settled_at) for x in self.lines.values() if x.settled_at}
        months |= {m for x in self.lines.values() for m, _ in x.adjustments} | {"2026-11"}
        for month in sorted(months):
            result = payouts(self.ws, month)
            got = {(r.channel, r.kind, r.line, r.via): (r.orders, r.settled.minor, r.payout.minor)
                   for r in result.rows}
            want: dict[tuple[str, str, str, str | None], tuple[int, int, int]] = {}
            kept: dict[tuple[str, str], tuple[int, int, int, int, int]] = {}

            for name, (kind, share) in CHANNELS.items():
                if kind != "friend":
                    continue
                mine = [x for x in self.lines.values() if x.channel == name]
                settled = [x for x in mine if x.settled_at and month_of(x.settled_at) == month]
                _payout_rows(want, kept, name, "settled", len(settled), sum(x.credit for x in settled), share)
                moved = [(x, sum(d for m, d in x.adjustments if m == month)) for x in mine]
                moved = [(x, d) for x, d in moved if d]
                if moved:
                    _payout_rows(want, kept, name, "adjustment", len(moved), sum(d for _, d in moved), share)
            assert got == want, month
            # own + override + kept is exactly the commission base, to the fen, for every friend and kind
            assert {(k.channel, k.kind): (k.orders, k.settled.minor, k.own.minor, k.override.minor, k.kept.minor)
                    for k in result.reseller} == kept, month
            assert all(k.own + k.override + k.kept == k.settled for k in result.reseller), month

    @invariant()
    def price_story_adds_up(self) -> None:
        """`products --json` and the share text against the plain rule: a coupon is usable when
        the selling price reaches its threshold and exceeds the coupon; 券后价 = 在售价 - coupon."""
        rows = {r["id"]: r for r in list_products(self.ws.db)}
        for pid, (selling, coupon, threshold) in self.prices.items():
            usable = coupon is not None and (threshold is None or threshold <= selling) and coupon < selling
            final = selling - coupon if usable else selling
            data = product_json(rows[pid], TZ)
            assert data["sale_price"]["minor"] == selling and data["final_price"]["minor"] == final, pid
            assert data["coupon_usable"] is (None if coupon is None else usable), pid
            text = share_text(product_record(rows[pid], self.home), "https://s.example.cn/X", None, Brand())
            figures = {label: yuan for label, yuan in re.findall(r"【(\w+)】\D*([0-9]+(?:\.[0-9]+)?)", text)}
            assert Decimal(figures["在售价"]) * 100 == selling, text
            if usable:
                assert Decimal(figures["券后价"]) * 100 == final and Decimal(figures["优惠券"]) * 100 == coupon, text
            else:
                assert "券后价" not in text and "优惠券" not in text, text

    @invariant()
    def products_and_stored_lines(self) -> None:
        want: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for line in self._placed():
            want[line.product][0] += 1
            want[line.product][1] += line.status == "invalid"
        got = {r.product: [r.orders, r.invalid] for r in products_report(self.ws).rows}
        assert got == dict(want)
        stored = {r[0]: tuple(r[1:]) for r in self.ws.db.execute(
            "SELECT id, status, raw_status, commission_minor, amount_minor, list_amount_minor FROM orders")}
        assert stored == {f"demo:{x.key}": (x.status, x.raw, x.commission, x.amount, x.list_amount)
                          for x in self._placed()}

    @invariant()
    def credits_stored_and_listed(self) -> None:
        """The stored credits are the model's, and `orders list` shows them (`CHANNEL (inferred)`)."""
        stored = {r[0]: (r[1], json.loads(r[2])) for r in self.ws.db.execute(
            "SELECT order_line, channel, candidates FROM order_attribution")}
        assert stored == {f"demo:{k}": v for k, v in self.credits.items() if k in self.lines and self.lines[k].status}
        for row in list_orders(self.ws.db):
            line = self.lines[row.id.split(":", 1)[1]]
            inferred = self._inferred(line)
            data = row.to_json(TZ)
            assert data["channel"] == line.channel and data["inferred_channel"] == inferred, row.id
            assert data["attribution"] == ("supplier" if line.channel else "inferred" if inferred else None)
            assert row.shown_channel() == (line.channel or (inferred_label(inferred) if inferred else "-"))
            assert data["candidates"] == ([] if line.channel else self.credits.get(line.key, (None, []))[1])


def _payout_rows(want: dict, kept: dict, name: str, kind: str, n: int, base: int, share: Decimal) -> None:
    """The payout lines of one friend's commission base: her own share (half up), her parent's
    override (toward zero), and what the reseller keeps (the rest)."""
    own = share_of(base, share)
    want[(name, kind, "own", None)] = (n, base, own)
    cut = 0
    if name in PARENTS:   # the parent's override line on this friend's commission
        parent, rate = PARENTS[name]
        cut = override_of(base, rate)
        want[(parent, kind, "override", name)] = (n, base, cut)
    kept[(name, kind)] = (n, base, own, cut, base - own - cut)


class _Supplier:
    """A supplier's order API answering the model's reports for any window (one page)."""

    kind = "feed"
    name = "demo"
    supports_orders = True
    settles_orders = False
    order_window = timedelta(days=1)
    order_lookback = timedelta(days=365)

    def __init__(self, lines: list[OrderLine]) -> None:
        self.lines = lines
        self.sent = False

    def iter_orders(self, start: datetime, end: datetime, cursor: object = None):
        if not self.sent:
            self.sent = True
            yield OrderPage(self.lines)

    def close(self) -> None:
        pass


World.TestCase.settings = settings(max_examples=EXAMPLES, stateful_step_count=30, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestWorld = World.TestCase
