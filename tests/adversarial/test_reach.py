"""Local and network reach: what a feed's contents can make sharekit read or request.

A local feed's images only under its own folder (or `image_dirs`); remote feeds and every image
only at public addresses (also after a redirect) unless `allow_private_hosts`; links only
http(s).
"""

from __future__ import annotations

import socket

import httpx
import pytest
from catalog_fakes import Reply, image_bytes

from sharekit.catalog.pull import pull
from sharekit.core.netguard import BlockedHost, check_host, guard_hooks, is_public
from sharekit.errors import InputError
from sharekit.store.config import write_config

JPEG = image_bytes("JPEG", color=(10, 120, 200))


def _local_feed(ws, folder, rows: list[str], **settings) -> None:
    feed = folder / "feed.csv"
    feed.write_text("id,title,price,currency,image_link,link\n" + "\n".join(rows) + "\n", encoding="utf-8")
    data = dict(ws.config.data)
    data["sources"] = {"f": {"kind": "feed", "path": str(feed), **settings}}
    write_config(ws.paths.config, data)
    ws.reload_config()


def _reasons(summary) -> dict[str, str]:
    return {p["id"]: p["reason"] for p in summary.image_problems}


def test_a_local_feed_reads_images_only_under_its_own_folder(ws, tmp_path):
    folder = tmp_path / "feed"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "ok.jpg").write_bytes(JPEG)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "shared.jpg").write_bytes(image_bytes("JPEG", color=(200, 10, 10)))
    secret = tmp_path / "secret.jpg"     # a real image, but outside the feed's folder
    secret.write_bytes(JPEG)
    _local_feed(ws, folder, [
        "1,ok,1.00,CNY,img/ok.jpg,https://shop.example.com/1",
        "2,passwd,1.00,CNY,file:///etc/passwd,https://shop.example.com/2",
        "3,dots,1.00,CNY,../../../../etc/passwd,https://shop.example.com/3",
        f"4,outside,1.00,CNY,{secret.as_uri()},https://shop.example.com/4",
        f"5,linked,1.00,CNY,{other / 'shared.jpg'},https://shop.example.com/5",
    ])
    summary = pull(ws, "f")
    reasons = _reasons(summary)
    assert "f:1" not in reasons and summary.images_downloaded == 1
    for pid in ("f:2", "f:3", "f:4", "f:5"):
        assert "outside the feed's folder" in reasons[pid], reasons
    assert ws.db.execute("SELECT count(*) FROM products WHERE image_path IS NOT NULL").fetchone()[0] == 1

    _local_feed(ws, folder, [f"5,linked,1.00,CNY,{other / 'shared.jpg'},https://shop.example.com/5"],
                image_dirs=[str(other)])
    assert _reasons(pull(ws, "f", ids="5")) == {}


def test_a_symlink_in_the_feed_folder_cannot_lead_out_of_it(ws, tmp_path):
    folder = tmp_path / "feed"
    folder.mkdir()
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(JPEG)
    (folder / "link.jpg").symlink_to(outside)
    _local_feed(ws, folder, ["1,sym,1.00,CNY,link.jpg,https://shop.example.com/1"])
    assert "outside the feed's folder" in _reasons(pull(ws, "f"))["f:1"]


def test_feed_images_at_loopback_are_refused_and_never_requested(ws, tmp_path, serve):
    server = serve(lambda request: Reply(200, JPEG, {"Content-Type": "image/jpeg"}))
    folder = tmp_path / "feed"
    folder.mkdir()
    _local_feed(ws, folder, [f"1,admin,1.00,CNY,{server.url}/internal-admin,https://shop.example.com/1"])
    reason = _reasons(pull(ws, "f"))["f:1"]
    assert "127.0.0.1 is a private, loopback or link-local address" in reason
    assert server.requests == []
    # the reseller's own LAN supplier: allowed when the source says so
    _local_feed(ws, folder, [f"1,admin,1.00,CNY,{server.url}/img.jpg,https://shop.example.com/1"],
                allow_private_hosts=True)
    assert _reasons(pull(ws, "f")) == {} and len(server.requests) == 1


def test_a_remote_feed_on_loopback_is_refused_without_allow_private_hosts(cli, ws, serve):
    server = serve(lambda request: Reply(200, b"id,title,price,currency\n1,a,1.00,CNY\n",
                                         {"Content-Type": "text/csv"}))
    data = dict(ws.config.data)
    data["sources"] = {"r": {"kind": "feed", "url": f"{server.url}/internal-admin/feed.csv"}}
    write_config(ws.paths.config, data)
    result = cli(["--home", str(ws.home), "pull", "r"])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "refused: 127.0.0.1 is a private, loopback or link-local address" in said
    assert "allow_private_hosts" in said and "Traceback" not in said
    assert server.requests == []


def test_a_redirect_from_a_public_host_to_an_internal_one_is_refused(monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "feeds.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "feeds.example.com":
            return httpx.Response(302, headers={"Location": "http://127.0.0.1:8080/internal-admin"})
        return httpx.Response(200, text="secret")

    with httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True,
                      event_hooks=guard_hooks(False)) as client:
        with pytest.raises(BlockedHost, match="127.0.0.1"):
            client.get("https://feeds.example.com/feed.csv")
    assert seen == ["https://feeds.example.com/feed.csv"]   # the internal address was never asked


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
                                     "224.0.0.1"])
def test_private_loopback_link_local_and_mapped_addresses_are_not_public(address):
    assert not is_public(address)
    with pytest.raises(BlockedHost):
        check_host(address)


def test_public_addresses_pass():
    assert is_public("8.8.8.8") and is_public("2001:4860:4860::8888")
    check_host("93.184.216.34")


def test_a_javascript_link_is_a_bad_row_and_never_a_redirect_target(ws, tmp_path):
    folder = tmp_path / "feed"
    folder.mkdir()
    _local_feed(ws, folder, [
        "1,ok,1.00,CNY,,https://shop.example.com/1",
        "2,js,1.00,CNY,,javascript:alert(1)",
        "3,data,1.00,CNY,,data:text/html;base64,PHNjcmlwdD4=",
    ])
    summary = pull(ws, "f", images=False)
    bad = {s.native_id: s.reason for s in summary.skipped_rows}
    assert set(bad) == {"2", "3"} and "link 'javascript:alert(1)' is not an http(s) address" in bad["2"]
    # a product stored by an older version (or a plugin) with such a target: no link is made
    from factories import add_product

    from sharekit.tracking.links import ensure_link

    add_product(ws, "old:1", url="javascript:alert(1)")
    with pytest.raises(InputError, match="not an http"):
        ensure_link(ws, "old:1", "")


# The same attacks end to end: real servers, the CLI. The "public" supplier listens on 127.0.0.2,
# which these tests let through as if it were a public address (127.0.0.1 stays internal).
PUBLIC_STAND_IN = "127.0.0.2"
HEADER = "id,title,price,currency,image_link,link,coupon_link\n"


@pytest.fixture
def internal(serve):
    """The 'internal admin' on 127.0.0.1 that a supplier must never make sharekit request."""
    return serve(lambda request: Reply(200, b"id,title,price\nadmin,ROOT PASSWORD,1.00\n",
                                       {"Content-Type": "text/csv"}))


@pytest.fixture
def public(monkeypatch):
    from catalog_fakes import FakeServer

    from sharekit.core import netguard

    real = netguard.is_public
    monkeypatch.setattr(netguard, "is_public", lambda address: address == PUBLIC_STAND_IN or real(address))
    servers: list = []

    def start(app):
        server = FakeServer(app, host=PUBLIC_STAND_IN).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def _config(home, text: str) -> None:
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + text.strip() + "\n")


def test_a_feed_redirected_from_an_allowed_host_to_internal_admin_is_never_requested(cli, home, internal, public):
    assert cli("init").exit_code == 0
    supplier = public(lambda request: Reply(302, headers={"Location": f"{internal.url}/internal-admin"}))
    _config(home, f'[sources.r]\nkind = "feed"\nurl = "{supplier.url}/feed.csv"')
    result = cli(["pull", "r"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1, said
    assert "refused: 127.0.0.1 is a private, loopback or link-local address" in said and "Traceback" not in said
    assert supplier.hits("/feed.csv") == 1 and internal.requests == []


def test_a_remote_feeds_images_never_reach_internal_hosts(cli, home, internal, public):
    import json

    picture = image_bytes("JPEG")

    def app(request):
        base = f"http://{PUBLIC_STAND_IN}:{supplier.port}"
        if request.path == "/feed.csv":
            return Reply(200, (HEADER
                               + f"P1,direct,1.00,CNY,{internal.url}/internal-admin.jpg,{base}/p/1,\n"
                               + f"P2,redirected,1.00,CNY,{base}/hop.jpg,{base}/p/2,\n"
                               + f"P3,metadata,1.00,CNY,http://169.254.169.254/latest/meta-data/,{base}/p/3,\n"
                               + f"P4,fine,1.00,CNY,{base}/ok.jpg,{base}/p/4,\n").encode(),
                         {"Content-Type": "text/csv"})
        if request.path == "/hop.jpg":
            return Reply(302, headers={"Location": f"{internal.url}/internal-admin.jpg"})
        if request.path == "/ok.jpg":
            return Reply(200, picture, {"Content-Type": "image/jpeg"})
        return Reply.html("Not Found", 404)

    assert cli("init").exit_code == 0
    supplier = public(app)
    _config(home, f'[sources.r]\nkind = "feed"\nurl = "{supplier.url}/feed.csv"')
    summary = json.loads(cli(["pull", "r", "--json"]).output)
    assert summary["added"] == 4
    assert summary["images"] == {"enabled": True, "downloaded": 1, "reused": 0, "failed": 3}
    reasons = {p["id"]: p["reason"] for p in summary["problems"]}
    assert "127.0.0.1 is a private, loopback or link-local address" in reasons["r:P1"]
    assert "127.0.0.1 is a private, loopback or link-local address" in reasons["r:P2"]
    assert "169.254.169.254 is a private, loopback or link-local address" in reasons["r:P3"]
    assert supplier.hits("/hop.jpg") == 1 and internal.requests == []


def test_a_name_that_resolves_public_then_internal_is_caught_where_it_connects(internal, monkeypatch):
    """DNS rebinding: the check's look-up says public, the connection's look-up says 127.0.0.1;
    the connection is refused by the address it reached, before the request is sent."""
    from sharekit.core.download import download

    real = socket.getaddrinfo
    answers = {"n": 0}

    def rebinding(host, *args, **kwargs):
        if host == "rebind.example":
            answers["n"] += 1
            if answers["n"] == 1:
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80))]
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with httpx.Client(trust_env=False, event_hooks=guard_hooks(False)) as client:
        with pytest.raises(BlockedHost, match=r"rebind.example \(127.0.0.1\) is a private"):
            download(client, f"http://rebind.example:{internal.port}/internal-admin", max_bytes=1024, timeout=5)
    assert answers["n"] >= 2 and internal.requests == []


def test_a_javascript_coupon_link_is_a_bad_row(cli, home):
    assert cli("init").exit_code == 0
    (home / "live.csv").write_text(
        HEADER
        + "J1,script link,1.00,CNY,,javascript:alert(1),\n"
        + "J2,script coupon,1.00,CNY,,https://shop.example/p/2,javascript:alert(document.cookie)\n"
        + "J3,fine,1.00,CNY,,https://shop.example/p/3,https://shop.example/c/3\n", "utf-8")
    _config(home, '[sources.f]\nkind = "feed"\npath = "live.csv"')
    said = " ".join(cli(["pull", "f"]).output.split())
    assert "line 2: link 'javascript:alert(1)' is not an http(s) address" in said
    assert "line 3: coupon_link 'javascript:alert(document.cookie)' is not an http(s) address" in said


@pytest.mark.slow
def test_the_server_never_redirects_to_a_javascript_target_stored_by_an_older_version(cli, home):
    import sqlite3

    from proc_util import free_port, sharekit, wait_healthy

    from sharekit.store.home import Paths

    assert cli("init").exit_code == 0
    now = "2026-01-01T00:00:00Z"
    with sqlite3.connect(Paths(home).db) as db:
        db.execute("INSERT INTO products (id, source, native_id, title, currency, price_minor, url, first_seen_at,"
                   " updated_at, seen_at) VALUES ('old:1', 'old', '1', 'x', 'CNY', 100, 'javascript:alert(1)',"
                   " ?, ?, ?)", (now, now, now))
        db.execute("INSERT INTO links (code, product_id, channel, target_url, created_at)"
                   " VALUES ('OLDJS', 'old:1', '', 'javascript:alert(1)', ?)", (now,))
    port = free_port()
    proc = sharekit(home, "serve", "--port", str(port))
    try:
        wait_healthy(port)
        answer = httpx.get(f"http://127.0.0.1:{port}/OLDJS", timeout=5, trust_env=False)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert answer.status_code == 404 and "location" not in answer.headers


def test_a_storefront_or_api_source_never_reaches_internal_hosts_either(cli, home, internal, public):
    assert cli("init").exit_code == 0
    _config(home, f'[sources.shop]\nkind = "shopify"\nstore = "{internal.url}"\ncurrency = "USD"\nretries = 0')
    said = " ".join(cli(["pull", "shop"]).output.split())
    assert "refused: 127.0.0.1 is a private, loopback or link-local address" in said and "Traceback" not in said
    supplier = public(lambda request: Reply(301, headers={"Location": f"{internal.url}/products.json"}))
    _config(home, f'[sources.moved]\nkind = "woocommerce"\nstore = "{supplier.url}"\nretries = 0')
    said = " ".join(cli(["pull", "moved"]).output.split())
    assert "refused: 127.0.0.1 is a private, loopback or link-local address" in said
    assert len(supplier.requests) == 1 and internal.requests == []
