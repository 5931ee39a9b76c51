"""`sharekit sync` and `sharekit orders list` end to end, against the fake gateways."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fakes import GatewayServer
from filelock import FileLock

from sharekit.demo.gateways.jd import JdGateway, make_order_rows
from sharekit.demo.gateways.pdd import PddGateway, make_orders
from sharekit.store.config import write_config


@pytest.fixture
def servers(ws):
    jd, pdd = JdGateway(), PddGateway()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    jd.set_rows(make_order_rows(12, start, timedelta(hours=5)))
    pdd.set_orders(make_orders(8, start, timedelta(hours=5)))
    with GatewayServer(jd, "/routerjson") as jd_server, GatewayServer(pdd, "/api/router") as pdd_server:
        data = dict(ws.config.data)
        data["sources"] = {
            "jd": {"kind": "jd", "app_key": "testkey", "app_secret": "testsecret", "site_id": "61866",
                   "endpoint": jd_server.url, "rate_limit": 0, "retries": 0, "allow_private_hosts": True},
            "pdd": {"kind": "pdd", "client_id": "testclient", "client_secret": "${PDD_SECRET}", "pid": "1_2",
                    "endpoint": pdd_server.url, "rate_limit": 0, "retries": 0, "allow_private_hosts": True},
        }
        write_config(ws.paths.config, data)
        yield jd, pdd


@pytest.fixture(autouse=True)
def _pdd_secret(monkeypatch):
    monkeypatch.setenv("PDD_SECRET", "testsecret")


def test_sync_json_summarises_each_source_and_a_rerun_is_a_no_op(cli, servers):
    first = cli(["sync", "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert [(s["source"], s["ok"], s["inserted"], s["updated"], s["error"]) for s in summary] == [
        ("jd", True, 12, 0, None), ("pdd", True, 8, 0, None)]
    assert set(summary[0]) >= {"source", "ok", "fetched", "inserted", "updated", "error"}
    again = json.loads(cli(["sync", "--json"]).stdout)
    assert [(s["inserted"], s["updated"]) for s in again] == [(0, 0), (0, 0)]


def test_sync_is_quiet_when_stdout_is_not_a_terminal(cli, servers):
    result = cli(["sync"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""


def test_sync_exits_1_after_the_other_sources_finished_when_one_failed(cli, servers, monkeypatch):
    monkeypatch.setenv("SHAREKIT_JD_APP_SECRET", "not-the-secret")
    result = cli(["sync", "--json"])
    assert result.exit_code == 1
    summary = {s["source"]: s for s in json.loads(result.stdout)}
    assert not summary["jd"]["ok"] and summary["pdd"]["ok"] and summary["pdd"]["inserted"] == 8
    assert "app_secret" in result.stderr and "not-the-secret" not in result.stderr + result.stdout


def test_sync_named_source_and_since(cli, servers):
    jd, pdd = servers
    result = cli(["sync", "pdd", "--since", "12h", "--json"])
    assert result.exit_code == 0, result.output
    assert [s["source"] for s in json.loads(result.stdout)] == ["pdd"]
    assert jd.calls == []


def test_sync_refuses_to_run_while_another_run_holds_the_lock(cli, servers, ws):
    ws.paths.locks.mkdir(exist_ok=True)
    with FileLock(str(ws.paths.locks / "sync.lock")):
        result = cli(["sync"])
    assert result.exit_code == 1
    assert "Another `sharekit sync` is running" in result.stderr


def test_bad_since_is_a_one_line_error(cli, servers):
    result = cli(["sync", "--since", "yesterday-ish"])
    assert result.exit_code == 1
    assert "is not a time" in result.stderr


def test_orders_list_json_has_the_design_shape(cli, servers):
    assert cli(["sync"]).exit_code == 0
    result = cli(["orders", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 20
    assert set(rows[0]) == {"id", "source", "order_id", "product", "product_title", "channel", "status",
                            "raw_status", "amount", "commission", "ordered_at", "updated_at",
                            "inferred_channel", "attribution", "candidates"}
    assert set(rows[0]["amount"]) == {"minor", "currency"}
    assert rows[0]["ordered_at"].endswith("+08:00")
    jd_pending = json.loads(cli(["orders", "list", "--source", "jd", "--status", "pending", "--json"]).stdout)
    assert jd_pending and {(r["source"], r["status"]) for r in jd_pending} == {("jd", "pending")}
    moments = json.loads(cli(["orders", "list", "--channel", "moments", "--limit", "2", "--json"]).stdout)
    assert len(moments) == 2 and {r["channel"] for r in moments} == {"moments"}


def test_orders_list_table_and_bad_status(cli, servers):
    assert cli(["sync"]).exit_code == 0
    table = cli(["orders", "list", "--source", "pdd"])
    assert table.exit_code == 0, table.output
    assert "Orders (8)" in table.stdout and "¥" in table.stdout
    bad = cli(["orders", "list", "--status", "pendng"])
    assert bad.exit_code == 2 and "'pendng' is not one of" in bad.stderr and "did you mean pending?" in bad.stderr


def test_sync_without_order_sources_says_what_to_configure(cli, ws):
    result = cli(["sync"])
    assert result.exit_code == 1
    assert "kind = \"jd\"" in result.stderr
