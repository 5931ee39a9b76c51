"""Defect 1 of the hostile-input issue: resources users and suppliers control are bounded.

Real HTTP servers on 127.0.0.1 serve the hostile bodies (one byte a second, endless chunked);
every server stops by itself after at most a minute."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from catalog_fakes import Reply, endless, image_bytes, shopify_app, shopify_product, trickle

from sharekit.catalog.images import ImageCache, ImageError
from sharekit.core.download import CancelToken, DownloadError, download
from sharekit.errors import InputError
from sharekit.poster.templates import parse_template


# posters ---------------------------------------------------------------------------------------
def test_a_100000_square_canvas_is_a_one_line_error_naming_file_line_and_key(tmp_path):
    path = tmp_path / "huge.toml"
    text = 'name = "huge"\nwidth = 100000\nheight = 100000\n'
    with pytest.raises(InputError) as caught:
        parse_template(path, text)
    message = str(caught.value)
    assert message == f"{path}, line 2: `width` is 100,000: at most 4,096 pixels (the canvas limit)."
    assert "\n" not in message


def test_a_font_size_of_100000_is_refused_when_the_template_loads(tmp_path):
    text = ('name = "t"\nwidth = 1080\nheight = 1920\n\n[[blocks]]\ntype = "title"\nx = 0\ny = 0\nw = 1000\n'
            'size = 100000\n')
    with pytest.raises(InputError, match=r"line 10: `blocks\[0\]\.size` is 100,000: at most 1,000 pixels"):
        parse_template(tmp_path / "t.toml", text)
    for key in ("caption_size", "name_size"):
        block = "qr" if key == "caption_size" else "brand"
        extra = "size = 200\n" if block == "qr" else "w = 100\nh = 100\n"
        body = f'width = 1080\nheight = 1920\n[[blocks]]\ntype = "{block}"\nx = 0\ny = 0\n{extra}{key} = 100000\n'
        with pytest.raises(InputError, match=key):
            parse_template(tmp_path / "t.toml", body)


def test_the_poster_command_refuses_the_canvas_without_a_traceback(cli, home, tmp_path):
    assert cli("init").exit_code == 0
    path = tmp_path / "huge.toml"
    path.write_text('name = "huge"\nwidth = 100000\nheight = 100000\n', "utf-8")
    result = cli(["poster", "render", "demo:1", "--template", str(path)])
    assert result.exit_code == 1
    assert "at most 4,096 pixels" in result.output and "Traceback" not in result.output


def test_the_built_in_templates_stay_within_the_limits():
    from sharekit.poster.templates import list_templates

    assert all(t.width <= 4096 and t.height <= 4096 for t in list_templates())


# downloads -------------------------------------------------------------------------------------
@pytest.fixture
def hostile(serve):
    """A server with a one-byte-a-second body and an endless chunked one."""
    picture = image_bytes("JPEG")

    def app(request):
        if request.path == "/slow.jpg":
            return Reply(200, headers={"Content-Type": "image/jpeg"}, stream=trickle(picture, 1.0), stream_limit=30)
        if request.path == "/endless.jpg":
            return Reply(200, headers={"Content-Type": "image/jpeg"}, stream=endless(), stream_limit=30)
        if request.path == "/good.jpg":
            return Reply(200, picture, {"Content-Type": "image/jpeg"})
        return Reply.html("Not Found", 404)

    return serve(app)


@pytest.mark.slow
def test_an_image_served_at_one_byte_a_second_stops_at_the_3s_timeout(hostile, client, tmp_path):
    cache = ImageCache(tmp_path, client=client, timeout=3)
    started = time.monotonic()
    with pytest.raises(ImageError, match="timed out after 3s"):
        cache.fetch(f"{hostile.url}/slow.jpg")
    assert 2.5 < time.monotonic() - started < 5


def test_an_endless_image_stops_at_the_byte_cap(hostile, client, tmp_path):
    cache = ImageCache(tmp_path, client=client, max_bytes=2 * 1024 * 1024, timeout=30)
    started = time.monotonic()
    with pytest.raises(ImageError, match=r"over the 2.0 MB cap"):
        cache.fetch(f"{hostile.url}/endless.jpg")
    assert time.monotonic() - started < 10


def test_headers_sent_one_byte_at_a_time_cannot_hold_a_download_past_its_deadline(client):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def drip() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60:
                if stop.is_set():
                    return
                try:
                    conn.send(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(DownloadError, match="timed out after 1s"):
            download(client, f"http://127.0.0.1:{server.getsockname()[1]}/x", max_bytes=1024, timeout=1)
        assert time.monotonic() - started < 3   # per-read timeouts alone would wait ~12 s
    finally:
        stop.set()
        server.close()
        thread.join(5)


def test_cancel_shuts_every_running_download_at_once(hostile, client):
    token = CancelToken()
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            download(client, f"{hostile.url}/slow.jpg", max_bytes=10**6, timeout=30, cancel=token)
        except DownloadError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    started = time.monotonic()
    token.cancel()
    for t in threads:
        t.join(5)
    assert time.monotonic() - started < 2
    assert [type(e).__name__ for e in errors] == ["Cancelled"] * 3


def _feed_home(cli, home: Path, url: str, max_mb: float = 2) -> None:
    assert cli("init").exit_code == 0
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[feeds]\nmax_mb = {max_mb}\n\n[sources.remote]\nkind = "feed"\nurl = "{url}"\n'
                 'allow_private_hosts = true\n')


def test_an_endless_chunked_remote_feed_stops_at_feeds_max_mb(cli, home, serve):
    rows = b"".join(b"%d,item %d,1.00,CNY\n" % (i, i) for i in range(2000))
    server = serve(lambda request: Reply(200, headers={"Content-Type": "text/csv"},
                                         stream=endless(b"id,title,price,currency\n" + rows), stream_limit=30))
    _feed_home(cli, home, f"{server.url}/feed.csv")
    started = time.monotonic()
    result = cli(["pull", "remote"])
    assert result.exit_code == 1
    assert "over the 2.0 MB cap" in result.output and "[feeds] max_mb" in result.output
    assert time.monotonic() - started < 15


# Ctrl-C ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_ctrl_c_stops_a_pull_at_once_with_exit_130(serve, home):
    slow = {"n": 0}
    products = [shopify_product(i, f"Item {i}", "10.00", image=f"/img/{i}.jpg") for i in range(1, 13)]
    shop = shopify_app(products)
    picture = image_bytes("JPEG")

    def app(request):
        if request.path.startswith("/img/"):
            slow["n"] += 1
            return Reply(200, headers={"Content-Type": "image/jpeg"}, stream=trickle(picture, 1.0), stream_limit=40)
        return shop(request)

    server = serve(app)
    for product in products:
        product["images"][0]["src"] = server.url + product["images"][0]["src"]
    env = {**os.environ, "SHAREKIT_HOME": str(home), "NO_PROXY": "127.0.0.1"}
    subprocess.run([sys.executable, "-m", "sharekit", "init"], env=env, check=True, capture_output=True)
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[images]\ntimeout = 60\nworkers = 4\n\n[sources.shop]\nkind = "shopify"\n'
                 f'store = "{server.url}"\ncurrency = "USD"\nrate_limit = 0\nallow_private_hosts = true\n')
    proc = subprocess.Popen([sys.executable, "-m", "sharekit", "pull", "shop"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while slow["n"] < 4 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert slow["n"] >= 4, proc.communicate(timeout=5)
        time.sleep(0.3)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=10)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert took < 3, took   # pools do not wait for the trickling downloads (60 s timeout each)
    assert "Traceback" not in stderr


# structured feeds --------------------------------------------------------------------------------
def test_a_json_feed_nested_200000_deep_is_a_bad_file_not_a_recursion_error(cli, home):
    assert cli("init").exit_code == 0
    (home / "deep.json").write_text("[" * 200_000 + "]" * 200_000, "utf-8")
    (home / "deepfield.json").write_text(
        '[{"id": "1", "title": "t", "price": "1.00", "brand": ' + "[" * 100 + "]" * 100 + "}]", "utf-8")
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sources.deep]\nkind = "feed"\npath = "deep.json"\n'
                 '[sources.field]\nkind = "feed"\npath = "deepfield.json"\n')
    result = cli(["pull", "deep"])
    assert result.exit_code == 1
    assert "nested too deeply" in result.output and "Traceback" not in result.output
    field = cli(["pull", "field", "--json"])
    assert "nested more than 64 levels" in field.output


def test_xml_with_a_doctype_is_still_refused(cli, home):
    assert cli("init").exit_code == 0
    (home / "bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><rss><channel><item><g:id>1</g:id>'
        "</item></channel></rss>", "utf-8")
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sources.x]\nkind = "feed"\npath = "bomb.xml"\n')
    result = cli(["pull", "x"])
    assert result.exit_code == 1 and "DOCTYPE are refused" in result.output


# durations and --limit ---------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["link", "create", "demo:1", "--expires", "99999999d"],
    ["clicks", "--since", "99999999d"],
    ["sync", "--since", "99999999h"],
    ["report", "--by", "day", "--since", "0001-01-01"],
])
def test_huge_durations_and_dates_are_one_line_errors(cli, home, args):
    assert cli("init").exit_code == 0
    result = cli(args)
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert ("at most 3660 days" in result.output) or ("between 1970 and 9000" in result.output)


def test_a_report_by_day_since_1971_is_fast_and_emits_no_decades_of_empty_rows(cli, home):
    assert cli("init").exit_code == 0
    started = time.monotonic()
    result = cli(["report", "--by", "day", "--since", "1971-01-01", "--json"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 5
    import json

    assert len(json.loads(result.stdout)["rows"]) < 400


def test_a_limit_of_20_digits_is_a_usage_error_not_an_overflow(cli, home):
    assert cli("init").exit_code == 0
    for command in (["products", "list"], ["orders", "list"], ["pull", "x"]):
        result = cli([*command, "--limit", "99999999999999999999"])
        assert result.exit_code == 2, result.output
        assert "10000000" in result.output and "OverflowError" not in result.output
