"""Events and the webhook, against a real HTTP receiver on 127.0.0.1: signatures, retries, a dead
receiver that loses nothing, the WeCom robot format, the digest, and the demo's sync replay."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from fakes.server import LocalServer

from sharekit.core.timeutil import utcnow
from sharekit.events import list_events, record_order_events
from sharekit.events.webhook import WebhookSettings, deliver_pending
from sharekit.orders.importers import import_orders
from sharekit.store.config import set_value

SECRET = "s3cret-hook-key"
FIRST = ("order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n"
         "O1,shop:A,g,pending,100.00,5.00,CNY,2026-11-20T10:00:00,2026-11-20T10:00:00\n"
         "O2,shop:B,g,settled,50.00,2.50,CNY,2026-11-20T11:00:00,2026-11-21T11:00:00\n")
LATER = ("order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n"
         "O1,shop:A,g,settled,100.00,5.00,CNY,2026-11-20T10:00:00,2026-11-25T10:00:00\n"
         "O2,shop:B,g,invalid,50.00,0.00,CNY,2026-11-20T11:00:00,2026-11-26T11:00:00\n")


class Receiver(LocalServer):
    """A webhook receiver on 127.0.0.1: records each POST; ``fail`` answers 500 that many times;
    ``reply`` is the JSON body of a success."""

    def __init__(self, port: int = 0, fail: int = 0, reply: dict | None = None) -> None:
        super().__init__(port)
        self.posts: list[tuple[dict, bytes]] = []
        self.fail = fail
        self.reply = json.dumps(reply or {"ok": True}).encode()
        self.url = f"{self.base_url}/hook"
        self.start()

    def respond(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        body = self.read_body(handler)
        self.posts.append(({k.lower(): v for k, v in handler.headers.items()}, body))
        status = 500 if self.fail > 0 else 200
        self.fail -= 1
        self.send(handler, status, b"no" if status == 500 else self.reply)

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.posts]


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def start(**kw) -> Receiver:
        r = Receiver(**kw)
        made.append(r)
        return r

    yield start
    for r in made:
        r.close()


def configure(ws, url: str, monkeypatch, fmt: str | None = None) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    set_value(ws.config, "notify.webhook", url)
    set_value(ws.reload_config(), "notify.secret", "${HOOK_SECRET}")
    if fmt:
        set_value(ws.reload_config(), "notify.format", fmt)
    ws.reload_config()


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_order_events_are_posted_signed_with_hmac_sha256(ws, tmp_path, receiver, monkeypatch):
    hook = receiver()
    configure(ws, hook.url, monkeypatch)
    import_orders(ws, write(tmp_path, "a.csv", FIRST), "csv")
    kinds = [(e["kind"], e["data"]["order_id"]) for e in hook.events()]
    assert kinds == [("order.new", "O1"), ("order.new", "O2"), ("order.settled", "O2")]
    for headers, body in hook.posts:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-sharekit-signature"] == expected
        assert headers["content-type"] == "application/json"
        assert headers["x-sharekit-event"] == json.loads(body)["kind"]
    first = hook.events()[0]["data"]
    assert first["amount"] == {"minor": 10000, "currency": "CNY"} and first["channel"] == "g"
    assert SECRET not in json.dumps(hook.events())
    # a later file: O1 settles, O2 is refunded after settlement; nothing is announced twice
    import_orders(ws, write(tmp_path, "b.csv", LATER), "csv")
    assert [(e["kind"], e["data"]["order_id"]) for e in hook.events()[3:]] == [
        ("order.settled", "O1"), ("order.invalid", "O2")]
    assert ws.db.execute("SELECT count(*) FROM events WHERE delivered_at IS NULL").fetchone()[0] == 0


def test_a_failing_receiver_is_retried_with_backoff_in_the_same_run(ws, tmp_path, receiver):
    hook = receiver(fail=2)
    import_orders(ws, write(tmp_path, "a.csv", FIRST), "csv")  # no webhook yet: events stored only
    waits: list[float] = []
    result = deliver_pending(ws.db, WebhookSettings(url=hook.url, secret=SECRET), sleep=waits.append)
    assert result.delivered == 3 and result.failed == 0 and result.posts == 5
    assert waits == [0.5, 1.0]
    assert [e["kind"] for e in hook.events()[2:]] == ["order.new", "order.new", "order.settled"]


def test_a_dead_receiver_loses_no_event_and_never_fails_the_import(ws, tmp_path, receiver, cli, monkeypatch):
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    configure(ws, f"http://127.0.0.1:{port}/hook", monkeypatch)
    started = time.monotonic()
    result = cli("orders", "import", str(write(tmp_path, "a.csv", FIRST)), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10
    rows = ws.db.execute("SELECT kind, attempts, next_attempt_at, last_error FROM events ORDER BY id").fetchall()
    assert len(rows) == 3 and all(r["attempts"] <= 1 for r in rows)
    assert rows[0]["attempts"] == 1 and rows[0]["next_attempt_at"] and rows[0]["last_error"] == "ConnectError"
    assert str(port) not in (rows[0]["last_error"] or "")
    # a run before next_attempt_at sends nothing; the receiver comes back; the next run delivers all, in order
    hook = receiver(port=port)
    assert deliver_pending(ws.db, WebhookSettings(url=hook.url, secret=SECRET)).delivered == 0
    later = deliver_pending(ws.db, WebhookSettings(url=hook.url, secret=SECRET), now=utcnow() + timedelta(hours=1))
    assert later.delivered == 3
    assert [(e["kind"], e["data"]["order_id"]) for e in hook.events()] == [
        ("order.new", "O1"), ("order.new", "O2"), ("order.settled", "O2")]
    assert cli("events", "--send").exit_code == 0  # nothing left to send


def test_events_send_delivers_queued_events_at_once(ws, tmp_path, receiver, cli, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    configure(ws, f"http://127.0.0.1:{port}/hook", monkeypatch)
    import_orders(ws, write(tmp_path, "a.csv", FIRST), "csv")
    failed = cli("events", "--send")
    assert failed.exit_code == 1 and "ConnectError" in failed.stderr and str(port) not in failed.stderr
    hook = receiver(port=port)
    sent = cli("events", "--send", "--json")
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["sent"]["delivered"] == 3 and len(hook.posts) == 3


def test_wecom_robot_format_is_one_markdown_message(ws, tmp_path, receiver, monkeypatch):
    hook = receiver(reply={"errcode": 0, "errmsg": "ok"})
    configure(ws, hook.url, monkeypatch, fmt="wecom")
    import_orders(ws, write(tmp_path, "a.csv", FIRST), "csv")
    assert len(hook.posts) == 1
    message = hook.events()[0]
    assert message["msgtype"] == "markdown"
    content = message["markdown"]["content"]
    assert "3 条通知" in content and "new order O1 [g]" in content and "settled O2" in content
    # the robot refusing (errcode != 0) leaves the events queued
    refused = receiver(reply={"errcode": 45009, "errmsg": "api freq out of limit"})
    import_orders(ws, write(tmp_path, "b.csv", LATER), "csv")  # to the first hook: delivered
    record_order_events(ws.db)
    with ws.db:
        ws.db.execute("UPDATE events SET delivered_at = NULL WHERE kind = 'order.invalid'")
    result = deliver_pending(ws.db, WebhookSettings(url=refused.url, format="wecom"), sleep=lambda s: None)
    assert result.delivered == 0 and result.error == "errcode 45009"


def test_events_digest_and_json(ws, tmp_path, cli):
    import_orders(ws, write(tmp_path, "a.csv", FIRST), "csv")
    text = cli("events", "--since", "1d")
    assert text.exit_code == 0
    assert "3 event(s) since 1d: order.new 2, order.settled 1" in text.stdout
    assert "new order O1 [g]: shop:A ¥100.00, commission ¥5.00 (pending)" in text.stdout
    data = json.loads(cli("events", "--since", "1d", "--kind", "order.settled", "--json").stdout)
    assert data["counts"] == {"order.settled": 1} and data["events"][0]["data"]["order_id"] == "O2"
    assert cli("events", "--kind", "order.bogus").exit_code == 1


def test_threshold_reached_once_per_channel(ws, tmp_path, cli):
    assert cli("channel", "add", "g", "--kind", "group", "--threshold", "120").exit_code == 0
    import_orders(ws, write(tmp_path, "a.csv", FIRST), "csv")  # 100 + 50 >= 120
    found = list_events(ws.db, kinds=["channel.threshold_reached"])
    assert len(found) == 1 and found[0].payload["channel"] == "g"
    assert found[0].payload["total"] == {"minor": 15000, "currency": "CNY"}
    record_order_events(ws.db)
    assert len(list_events(ws.db, kinds=["channel.threshold_reached"])) == 1


@pytest.mark.slow
def test_demo_sync_replay_sends_signed_new_and_settled_events(tmp_path, receiver, monkeypatch):
    from sharekit import init_home
    from sharekit.demo import run_demo
    from sharekit.store.workspace import Workspace

    hook = receiver()
    home = tmp_path / "demo"
    init_home(home)
    with Workspace.open(home) as ws:
        configure(ws, hook.url, monkeypatch)
    run_demo(home)
    sync_events = [e for e in hook.events() if e["data"].get("source") in ("jd", "pdd")]
    kinds = {e["kind"] for e in sync_events}
    assert {"order.new", "order.settled"} <= kinds
    for headers, body in hook.posts:
        assert headers["x-sharekit-signature"] == "sha256=" + hmac.new(SECRET.encode(), body,
                                                                       hashlib.sha256).hexdigest()


def test_a_weekly_threshold_is_announced_once_per_week(ws, tmp_path, cli):
    from datetime import UTC, datetime

    assert cli("channel", "add", "g", "--kind", "group", "--threshold", "120").exit_code == 0
    with ws.db:  # the period column the economics work adds; created here when this schema lacks it
        if "threshold_period" not in {r[1] for r in ws.db.execute("PRAGMA table_info(channels)")}:
            ws.db.execute("ALTER TABLE channels ADD COLUMN threshold_period TEXT NOT NULL DEFAULT 'none'")
        ws.db.execute("UPDATE channels SET threshold_period = 'week' WHERE name = 'g'")
    import_orders(ws, write(tmp_path, "a.csv", FIRST), "csv")  # ordered 2026-11-20 (a Friday)
    record_order_events(ws.db, now=datetime(2026, 11, 21, tzinfo=UTC))
    record_order_events(ws.db, now=datetime(2026, 11, 22, tzinfo=UTC))
    found = list_events(ws.db, kinds=["channel.threshold_reached"])
    assert [e.payload["period_start"] for e in found] == ["2026-11-16"]
    record_order_events(ws.db, now=datetime(2026, 11, 24, tzinfo=UTC))  # next week: nothing ordered yet
    assert len(list_events(ws.db, kinds=["channel.threshold_reached"])) == 1


def test_a_failed_sync_is_a_source_failed_event_sent_without_changing_the_exit(ws, cli, receiver, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    set_value(ws.config, "sources.jd", {"kind": "jd", "app_key": "k", "app_secret": "supersecret", "site_id": "1",
                                        "endpoint": f"http://127.0.0.1:{dead}/routerjson", "retries": 0})
    hook = receiver()
    configure(ws, hook.url, monkeypatch)
    result = cli("sync", "jd")
    assert result.exit_code == 1  # the source failed; the webhook took its event
    assert [e["kind"] for e in hook.events()] == ["source.failed"]
    assert hook.events()[0]["data"]["source"] == "jd" and "supersecret" not in hook.posts[0][1].decode()
