"""Which poster sells: `poster --template a,b --variants` gives each template its own short link;
`report --by template|variant` credits scans, orders and commission to each (clicks through the real
redirect server on 127.0.0.1)."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import httpx
import uvicorn
from factories import add_product

from sharekit.core.money import Money
from sharekit.core.timeutil import to_utc_iso, utcnow
from sharekit.orders.store import upsert_order_lines
from sharekit.sources.base import OrderLine
from sharekit.store.config import write_config
from sharekit.tracking.channels import add_channel
from sharekit.tracking.server.app import RedirectApp

BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile"


class Server:
    def __init__(self, app: RedirectApp) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


def setup(ws) -> None:
    data = dict(ws.config.data)
    data["server"] = {**dict(data.get("server") or {}), "base_url": "https://s.example.com"}
    write_config(ws.paths.config, data)
    ws.reload_config()
    add_channel(ws.db, "g", kind="group")
    add_product(ws, "demo:SK1", price=5990)
    add_product(ws, "demo:SK2", price=990)


def links(ws) -> list:
    return ws.db.execute("SELECT code, product_id, channel, variant FROM links ORDER BY variant").fetchall()


def test_variants_give_each_template_its_own_short_link_in_poster_and_share_text(cli, ws):
    setup(ws)
    result = cli(["poster", "demo:SK1", "--channel", "g", "--template", "moments,square", "--variants",
                  "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    posters = json.loads(result.stdout)["posters"]
    by_template = {p["template"]: p for p in posters}
    assert set(by_template) == {"moments", "square"}
    rows = links(ws)
    assert [(r["variant"], r["channel"]) for r in rows] == [("moments", "g"), ("square", "g")]
    codes = {r["variant"]: r["code"] for r in rows}
    assert codes["moments"] != codes["square"]
    for name, poster in by_template.items():
        assert poster["variant"] == name
        assert poster["short_url"] == f"https://s.example.com/{codes[name]}"
        assert poster["share_text"].rstrip().endswith(codes[name])
    # the QR of each poster carries its own code, marked as a scan
    import zxingcpp
    from PIL import Image

    with Image.open(by_template["square"]["path"]) as img:
        assert [r.text for r in zxingcpp.read_barcodes(img)] == [f"https://s.example.com/{codes['square']}?s=q"]
    # a re-run reuses the variant links; the ordinary link is not one of them
    again = cli(["poster", "demo:SK1", "--channel", "g", "--template", "moments,square", "--variants", "--json"])
    assert again.exit_code == 0 and len(links(ws)) == 2
    plain = cli(["link", "create", "demo:SK1", "--channel", "g", "--json"])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["code"] not in codes.values() and len(links(ws)) == 3


def test_without_variants_every_template_carries_the_one_ordinary_link(cli, ws):
    setup(ws)
    result = cli(["poster", "demo:SK1", "--channel", "g", "--template", "moments,square", "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    posters = json.loads(result.stdout)["posters"]
    assert len(posters) == 2 and len({p["short_url"] for p in posters}) == 1
    assert all(p["variant"] == "" for p in posters)
    assert [(r["variant"], r["channel"]) for r in links(ws)] == [("", "g")]
    report = json.loads(cli(["report", "--by", "template", "--json"]).stdout)
    assert report["rows"] == [] and report["not_told_apart"] == 0


def _order(row_id: str, at, status: str, amount: int, commission: int, product: str = "SK1") -> OrderLine:
    return OrderLine(row_id, row_id, status, status, Money(amount, "CNY"), Money(commission, "CNY"), at, at,
                     product_native_id=product, channel="g")


def test_report_by_template_credits_scans_orders_and_commission_to_the_last_clicked_variant(cli, ws):
    setup(ws)
    assert cli(["poster", "demo:SK1", "--channel", "g", "--template", "moments,square", "--variants",
                "--jobs", "1"]).exit_code == 0
    codes = {r["variant"]: r["code"] for r in links(ws)}
    with Server(RedirectApp(ws.home, mode="direct")) as server, \
            httpx.Client(base_url=server.url, trust_env=False, headers={"user-agent": BROWSER}) as client:
        assert client.get(f"/{codes['moments']}?s=q").status_code == 302     # a poster scan
        assert client.get(f"/{codes['moments']}?s=q").status_code == 302     # again
        assert client.get(f"/{codes['square']}").status_code == 302          # a plain click
        assert client.head(f"/{codes['moments']}").status_code == 302        # a bot hit: never credits
    ids = [r[0] for r in ws.db.execute("SELECT id FROM clicks ORDER BY id")]
    assert len(ids) == 4
    base = utcnow().replace(microsecond=0) - timedelta(hours=2)
    with ws.db:  # the visits' times, so which came last before each order is known
        for i, minutes in zip(ids, (0, 10, 20, 25), strict=True):
            ws.db.execute("UPDATE clicks SET clicked_at = ? WHERE id = ?",
                          (to_utc_iso(base + timedelta(minutes=minutes)), i))
    upsert_order_lines(ws.db, "demo", [
        _order("o1", base + timedelta(minutes=15), "pending", 5990, 150),    # after the 2nd scan: moments
        _order("o2", base + timedelta(minutes=30), "settled", 5990, 300),    # bot at 25 ignored: square
        _order("o3", base + timedelta(minutes=21), "invalid", 5990, 100),    # square, no commission
        _order("o4", base - timedelta(days=2), "pending", 5990, 999),        # no click in 24h: not told apart
        _order("o5", base + timedelta(minutes=30), "pending", 990, 50, product="SK2"),  # no variants at all
    ])
    result = cli(["report", "--by", "template", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {r["key"]: r for r in data["rows"]}
    moments, square = rows["moments"], rows["square"]
    assert (moments["clicks"], moments["scans"], moments["orders"]) == (2, 2, 1)
    assert moments["commission"]["minor"] == 150 and moments["epc"] == "0.7500" and moments["conversion"] == "0.5000"
    assert (square["clicks"], square["scans"], square["orders"]) == (1, 0, 2)
    assert square["commission"]["minor"] == 300 and square["settled"]["minor"] == 300
    assert square["epc"] == "3.0000" and square["conversion"] == "2.0000"
    assert data["rows"][0]["key"] == "square"                               # the poster that sells first
    totals = data["totals"]
    assert (totals["clicks"], totals["scans"], totals["orders"], totals["commission"]["minor"]) == (3, 2, 3, 450)
    assert data["not_told_apart"] == 1 and data["window"] == "24h"
    by_variant = json.loads(cli(["report", "--by", "variant", "--json"]).stdout)
    assert {(r["key"], r["template"], r["product"], r["channel"], r["orders"]) for r in by_variant["rows"]} == {
        (codes["moments"], "moments", "demo:SK1", "g", 1), (codes["square"], "square", "demo:SK1", "g", 2)}
    # a shorter window: o1 is 5 minutes after its scan, o2 10 after its click; neither within 4m
    data = dict(ws.config.data)
    data["attribution"] = {"window": "4m"}
    write_config(ws.paths.config, data)
    short = json.loads(cli(["report", "--by", "template", "--json"]).stdout)
    assert short["totals"]["orders"] == 1 and short["not_told_apart"] == 3       # o3: 1 minute after square
    table = cli(["report", "--by", "template"])
    assert table.exit_code == 0 and "square" in table.stdout and "scans" in table.stdout
    assert all(len(line) <= 120 for line in table.stdout.splitlines())
    csv_out = cli(["report", "--by", "template", "--format", "csv"]).stdout.splitlines()
    assert csv_out[0].startswith("template,template,product,channel,clicks,scans,orders")


def test_report_by_template_fits_80_columns(cli, ws, monkeypatch):
    setup(ws)
    assert cli(["poster", "demo:SK1", "--channel", "g", "--template", "moments,square,card", "--variants",
                "--jobs", "1"]).exit_code == 0
    from rich.cells import cell_len

    import sharekit.commands._common as common

    codes = [r["code"] for r in links(ws)]

    monkeypatch.setenv("COLUMNS", "80")
    common._out = None  # a console of this width
    for by in ("template", "variant"):
        result = cli(["report", "--by", by])
        assert result.exit_code == 0, result.output
        assert all(cell_len(line.rstrip()) <= 80 for line in result.stdout.splitlines()), result.stdout
        assert all(code in result.stdout for code in codes) if by == "variant" else "card" in result.stdout
    common._out = None


def test_variants_without_a_click_server_warn_that_scans_cannot_be_told_apart(cli, ws):
    add_channel(ws.db, "g", kind="group")
    add_product(ws, "demo:SK1", price=5990)
    result = cli(["poster", "demo:SK1", "--channel", "g", "--template", "moments,square", "--variants",
                  "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "no server.base_url" in result.output and "cannot be told apart" in result.output
    quiet = cli(["poster", "demo:SK1", "--channel", "g", "--template", "moments,square", "--jobs", "1"])
    assert "no server.base_url" not in quiet.output
