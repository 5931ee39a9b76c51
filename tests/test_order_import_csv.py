"""The generic order CSV: idempotent, newer files move statuses on, bad rows, --strict, encodings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sharekit.core.text import decode_text
from sharekit.demo.orders import demo_step
from sharekit.errors import InputError
from sharekit.orders.importers import import_orders

HEADER = "order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def write(tmp_path: Path, name: str, body: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def rows(ws):
    return {r["id"]: dict(r) for r in ws.db.execute("SELECT * FROM orders")}


def history(ws, key):
    return [r["status"] for r in ws.db.execute(
        "SELECT status FROM order_status_history WHERE order_line = ? ORDER BY id", (key,))]


FIRST = (
    "T1,demo:SK001,wechat_group_a,paid,39.90,3.99,CNY,2026-10-01T10:00:00,2026-10-01T10:05:00\n"
    "T2,demo:SK002,moments,pending,59.00,2.95,CNY,2026-10-02T11:00:00,2026-10-02T11:00:00\n"
)


def test_import_stores_lines_under_the_product_source_without_needing_products(ws, tmp_path):
    result = import_orders(ws, write(tmp_path, "a.csv", FIRST), "csv")
    assert (result.inserted, result.rows, result.sources) == (2, 2, ["demo"])
    stored = rows(ws)["demo:T1:SK001"]
    assert stored["product_id"] == "demo:SK001"
    assert (stored["status"], stored["raw_status"]) == ("pending", "paid")
    assert (stored["amount_minor"], stored["commission_minor"], stored["currency"]) == (3990, 399, "CNY")
    assert stored["channel"] == "wechat_group_a"
    assert stored["ordered_at"] == "2026-10-01T02:00:00+00:00"  # no offset = Asia/Shanghai


def test_the_same_file_twice_changes_nothing(ws, tmp_path):
    path = write(tmp_path, "a.csv", FIRST)
    import_orders(ws, path, "csv")
    before = (rows(ws), ws.db.execute("SELECT count(*) FROM order_status_history").fetchone()[0])
    again = import_orders(ws, path, "csv")
    assert again.already_imported and again.inserted == 0
    assert (rows(ws), ws.db.execute("SELECT count(*) FROM order_status_history").fetchone()[0]) == before


def test_a_newer_file_moves_statuses_on_and_keeps_history(ws, tmp_path):
    import_orders(ws, write(tmp_path, "a.csv", FIRST), "csv")
    newer = write(tmp_path, "b.csv",
                  "T1,demo:SK001,wechat_group_a,settled,39.90,3.80,CNY,2026-10-01T10:00:00,2026-11-01T10:00:00\n"
                  "T2,demo:SK002,moments,pending,59.00,2.95,CNY,2026-10-02T11:00:00,2026-10-02T11:00:00\n")
    result = import_orders(ws, newer, "csv")
    assert (result.updated, result.unchanged) == (1, 1)
    assert rows(ws)["demo:T1:SK001"]["status"] == "settled"
    assert history(ws, "demo:T1:SK001") == ["pending", "settled"]


def test_an_older_file_never_moves_a_status_back(ws, tmp_path):
    import_orders(ws, write(tmp_path, "new.csv",
                            "T1,demo:SK001,,confirmed,39.90,3.99,CNY,2026-10-01T10:00:00,2026-10-08T10:00:00\n"), "csv")
    import_orders(ws, write(tmp_path, "old.csv",
                            "T1,demo:SK001,,pending,39.90,3.99,CNY,2026-10-01T10:00:00,2026-10-01T10:00:00\n"), "csv")
    assert rows(ws)["demo:T1:SK001"]["status"] == "confirmed"


def test_bad_rows_are_reported_with_line_numbers_and_skipped(ws, tmp_path):
    body = (FIRST
            + "T3,demo:SK003,,pending,abc,1.00,CNY,2026-10-03T10:00:00,\n"
            + "\n"
            + "T4,SK004,,pending,10.00,1.00,CNY,2026-10-03T10:00:00,\n"
            + "T5,demo:SK005,,pending,10.00,1.00,CNY,yesterday,\n"
            + "T6,demo:SK006,,pending,12.x,1.00,CNY,2026-10-03T10:00:00,\n")
    result = import_orders(ws, write(tmp_path, "bad.csv", body), "csv")
    assert result.inserted == 2
    assert [p.line for p in result.skipped] == [4, 6, 7, 8]
    assert "amount" in result.skipped[0].error and "SOURCE:" in result.skipped[1].error
    assert len(rows(ws)) == 2


def test_strict_writes_nothing_when_a_row_is_bad(ws, tmp_path):
    path = write(tmp_path, "bad.csv", FIRST + "T3,demo:SK003,,pending,abc,1.00,CNY,2026-10-03T10:00:00,\n")
    with pytest.raises(InputError, match="line 4"):
        import_orders(ws, path, "csv", strict=True)
    assert rows(ws) == {}
    assert ws.db.execute("SELECT count(*) FROM imports").fetchone()[0] == 0


def test_source_option_names_the_source_of_bare_product_ids(ws, tmp_path):
    path = write(tmp_path, "a.csv", "T9,SK009,,confirmed,10.00,1.00,,2026-10-03T10:00:00,\n")
    result = import_orders(ws, path, "csv", source="shop")
    assert result.sources == ["shop"]
    assert rows(ws)["shop:T9:SK009"]["currency"] == "CNY"  # empty currency = the configured one


def test_unknown_raw_statuses_are_kept_and_reported(ws, tmp_path):
    result = import_orders(ws, write(tmp_path, "a.csv",
                                     "T1,demo:SK001,,on-hold,1.00,0.10,CNY,2026-10-01T10:00:00,\n"), "csv")
    assert result.unknown_statuses == ["on-hold"]
    assert rows(ws)["demo:T1:SK001"]["status"] == "unknown"


def test_taobao_sources_accept_their_raw_tk_status_codes(ws, tmp_path):
    from sharekit.store.config import set_value

    set_value(ws.config, "sources.tb.kind", "taobao")
    ws.reload_config()
    import_orders(ws, write(tmp_path, "a.csv", "T1,tb:123,,3,1.00,0.10,CNY,2026-10-01T10:00:00,\n"), "csv")
    assert rows(ws)["tb:T1:123"]["status"] == "settled"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_gbk_gb18030_and_bom_files_are_read(ws, tmp_path, encoding):
    path = write(tmp_path, "cn.csv", "T1,demo:SK001,,已结算,1.00,0.10,CNY,2026-10-01 10:00:00,\n", encoding)
    result = import_orders(ws, path, "csv")
    assert result.inserted == 1 and result.encoding in (encoding, "gbk")
    stored = rows(ws)["demo:T1:SK001"]
    assert (stored["status"], stored["raw_status"]) == ("settled", "已结算")


def test_decode_text_rejects_binary_naming_the_file_and_line():
    with pytest.raises(InputError, match=r"o.csv, line 2: neither UTF-8 nor GBK/GB18030"):
        decode_text(b"order_id\n\x81\x30\xff\xff\x00\x81", "o.csv")


def test_a_header_without_required_columns_is_an_input_error(ws, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,amount\n1,2\n")
    with pytest.raises(InputError, match="order_id"):
        import_orders(ws, path, "csv")


def test_cli_import_json_and_human_output(cli, home, tmp_path):
    assert cli(["init"]).exit_code == 0
    path = write(tmp_path, "a.csv", FIRST + "T3,demo:SK003,,pending,abc,1.00,CNY,2026-10-03T10:00:00,\n")
    result = cli(["orders", "import", str(path), "--format", "csv", "--json"])
    assert result.exit_code == 1, result.output   # rows were skipped: a cron job must notice
    data = json.loads(result.stdout)
    assert data["inserted"] == 2 and data["skipped"] == [{"line": 4, "error": "amount 'abc' is not a decimal number"}]
    again = cli(["orders", "import", str(path), "--format", "csv"])
    assert again.exit_code == 0 and "already imported" in again.stdout


def test_cli_strict_exits_1_and_writes_nothing(cli, home, tmp_path):
    assert cli(["init"]).exit_code == 0
    path = write(tmp_path, "a.csv", "T3,demo:SK003,,pending,abc,1.00,CNY,2026-10-03T10:00:00,\n")
    result = cli(["orders", "import", str(path), "--format", "csv", "--strict"])
    assert result.exit_code == 1
    assert "line 2" in result.output


def test_cli_missing_file_and_bad_format(cli, home):
    assert cli(["init"]).exit_code == 0
    assert cli(["orders", "import", "nope.csv", "--format", "csv"]).exit_code == 1
    assert cli(["orders", "import", "nope.csv", "--format", "xlsx"]).exit_code == 2


def test_demo_step_imports_the_bundled_example_once(ws):
    said = []
    first = demo_step(ws, EXAMPLES, said.append)
    assert first["inserted"] == 30
    statuses = {r[0] for r in ws.db.execute("SELECT DISTINCT status FROM orders")}
    assert statuses == {"pending", "confirmed", "settled", "invalid"}
    channels = {r[0] for r in ws.db.execute("SELECT DISTINCT channel FROM orders")}
    assert {"wechat_group_a", "moments", "friend_lili"} <= channels
    products = {r[0] for r in ws.db.execute("SELECT DISTINCT product_id FROM orders")}
    assert products <= {f"demo:SK{1000 + n}" for n in range(1, 13)}
    second = demo_step(ws, EXAMPLES, said.append)
    assert second["already_imported"] and len(said) == 2


def test_pdd_and_jd_sources_accept_their_raw_status_codes(ws, tmp_path):
    from sharekit.store.config import set_value

    set_value(ws.config, "sources.pdd.kind", "pdd")
    ws.reload_config()
    set_value(ws.config, "sources.jd.kind", "jd")
    ws.reload_config()
    body = ("P1,pdd:G1,,5,10.00,1.00,CNY,2026-10-01T10:00:00,\n"
            "P2,pdd:G2,,4,10.00,1.00,CNY,2026-10-01T10:00:00,\n"
            "J1,jd:S1,,16,10.00,1.00,CNY,2026-10-01T10:00:00,\n"
            "J2,jd:S2,,17,10.00,1.00,CNY,2026-10-01T10:00:00,\n")
    result = import_orders(ws, write(tmp_path, "raw.csv", body), "csv")
    assert result.unknown_statuses == []
    assert {k: r["status"] for k, r in rows(ws).items()} == {
        "pdd:P1:G1": "settled", "pdd:P2:G2": "invalid", "jd:J1:S1": "pending", "jd:J2:S2": "confirmed"}


def test_a_bare_product_id_belongs_to_the_only_configured_source(ws, tmp_path):
    from sharekit.store.config import set_value

    set_value(ws.config, "sources.shop.kind", "shopify")
    ws.reload_config()
    set_value(ws.config, "sources.shop.store", "https://shop.test")
    ws.reload_config()
    result = import_orders(ws, write(tmp_path, "bare.csv", "S1,7000000001,,paid,24.00,2.40,USD,2026-10-01T10:00:00,\n"),
                           "csv")
    assert (result.imported, result.skipped, result.sources) == (1, [], ["shop"])


def test_an_empty_currency_takes_the_product_source_currency_before_the_workspace_one(ws, tmp_path):
    from sharekit.store.config import set_value

    set_value(ws.config, "sources.shop.kind", "shopify")
    ws.reload_config()
    set_value(ws.config, "sources.shop.currency", "USD")
    ws.reload_config()
    set_value(ws.config, "sources.demo.kind", "feed")   # a row of an unconfigured source is a bad row
    ws.reload_config()
    import_orders(ws, write(tmp_path, "c.csv", "C1,shop:1,,paid,24.00,2.40,,2026-10-01T10:00:00,\n"
                                              "C2,demo:2,,paid,5.00,0.50,,2026-10-01T10:00:00,\n"), "csv")
    assert {k: (r["currency"], r["amount_minor"]) for k, r in rows(ws).items()} == {
        "shop:C1:1": ("USD", 2400), "demo:C2:2": ("CNY", 500)}


def test_a_bad_time_names_its_column(ws, tmp_path):
    result = import_orders(ws, write(tmp_path, "t.csv", "T1,demo:1,,paid,1.00,,,2026-10-01,last week\n"), "csv")
    assert [(p.line, p.error) for p in result.skipped] == [(2, "updated_at 'last week' is not an ISO 8601 time")]


def test_cli_warnings_name_the_file_and_line(cli, home, tmp_path):
    assert cli(["init"]).exit_code == 0
    path = write(tmp_path, "w.csv", "W1,demo:1,,paid,abc,,,2026-10-01,\n")
    result = cli(["orders", "import", str(path), "--format", "csv"])
    assert result.exit_code == 1, result.output   # imported what it could; skipped rows exit 1
    said = "".join(result.output.split())  # Rich may wrap a long path anywhere
    assert "".join(f"{path}, line 2: amount 'abc' is not a decimal number (skipped)".split()) in said


def test_an_xlsx_download_is_refused_with_a_hint_to_export_text(ws, tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(InputError, match="spreadsheet"):
        import_orders(ws, path, "amazon")


def test_semicolon_separated_files_are_read(ws, tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text(HEADER.replace(",", ";") + "S1;demo:1;;paid;1.00;0.10;CNY;2026-10-01T10:00:00;\n", "utf-8")
    result = import_orders(ws, path, "csv")
    assert (result.imported, result.skipped) == (1, [])


def test_orders_for_products_not_in_the_catalog_are_imported_with_a_note(cli, home, tmp_path):
    assert cli(["init"]).exit_code == 0
    path = write(tmp_path, "u.csv", "U1,demo:NOPE,,paid,10.00,1.00,CNY,2026-10-01T10:00:00,\n")
    result = cli(["orders", "import", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "not in the catalog (demo:NOPE)" in " ".join(result.stdout.split())
    data = json.loads(cli(["orders", "import", str(write(tmp_path, "v.csv", "U2,demo:NOPE,,paid,10.00,1.00,CNY,"
                                                       "2026-10-01T10:00:00,\n")), "--format", "csv",
                           "--json"]).stdout)
    assert data["unknown_products"] == ["demo:NOPE"]
