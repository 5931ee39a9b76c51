"""Amazon Associates report downloads: found by header name, title and Total lines, tags to channels."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharekit.errors import InputError
from sharekit.orders.importers import import_orders
from sharekit.store.config import set_value

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "orders"

ORDERS_CSV = (
    "Fee-Orders reports from 11-01-2026 to 11-20-2026\n"
    "Category,Name,ASIN,Date,Qty,Price($),Link Type,Tag,Indirect Sales,Device Type Group\n"
    'Electronics,"Kindle, 16 GB",B0CFPJYX7P,2026-11-03,1,159.99,Text,group-a-20,Direct,DESKTOP\n'
    "Home,Kettle,B07QJ1P2XH,2026-11-05,2,34.50,Text,mytag-20,Direct,PHONE\n"
    "Total,,,,3,194.49,,,,\n"
)
EARNINGS_TSV = (
    "Fee-Earnings reports from 11-01-2026 to 11-20-2026\n"
    "Category\tName\tASIN\tSeller\tTracking ID\tDate Shipped\tPrice($)\tItems Shipped\tReturns\tRevenue($)"
    "\tAd Fees($)\tDevice Type Group\n"
    "Electronics\tKindle, 16 GB\tB0CFPJYX7P\tAmazon.com\tgroup-a-20\t2026-11-04\t159.99\t1\t0\t159.99\t6.40\tDESKTOP\n"
    "Home\tKettle\tB07QJ1P2XH\tAmazon.com\tmytag-20\t2026-11-06\t34.50\t2\t0\t69.00\t2.07\tPHONE\n"
    "Total\t\t\t\t\t\t\t3\t0\t228.99\t8.47\t\n"
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def lines(ws):
    return [dict(r) for r in ws.db.execute("SELECT * FROM orders ORDER BY ordered_at, id")]


@pytest.fixture
def tagged(ws):
    set_value(ws.config, "channels.wechat_group_a.amazon_tag", "group-a-20")
    ws.reload_config()
    return ws


def test_orders_report_rows_are_pending_and_tags_map_to_channels(tagged, tmp_path):
    result = import_orders(tagged, write(tmp_path, "orders.csv", ORDERS_CSV), "amazon")
    assert (result.report, result.rows, result.inserted, result.skipped) == ("orders", 2, 2, [])
    stored = lines(tagged)
    assert [r["status"] for r in stored] == ["pending", "pending"]
    assert [r["channel"] for r in stored] == ["wechat_group_a", "mytag-20"]  # unmapped: the tracking id itself
    assert [r["amount_minor"] for r in stored] == [15999, 6900]
    assert {r["currency"] for r in stored} == {"USD"}
    assert stored[0]["product_id"] == "amazon:B0CFPJYX7P" and stored[0]["product_title"] == "Kindle, 16 GB"


def test_an_earnings_report_moves_the_ordered_lines_to_confirmed_without_duplicates(tagged, tmp_path):
    import_orders(tagged, write(tmp_path, "orders.csv", ORDERS_CSV), "amazon")
    result = import_orders(tagged, write(tmp_path, "earnings.tsv", EARNINGS_TSV), "amazon")
    assert (result.report, result.updated, result.inserted) == ("earnings", 2, 0)
    stored = lines(tagged)
    assert len(stored) == 2
    assert [(r["status"], r["commission_minor"]) for r in stored] == [("confirmed", 640), ("confirmed", 207)]
    history = [r[0] for r in tagged.db.execute(
        "SELECT status FROM order_status_history WHERE order_line = ? ORDER BY id", (stored[0]["id"],))]
    assert history == ["pending", "confirmed"]


def test_a_redownloaded_earnings_report_with_more_rows_does_not_count_twice(tagged, tmp_path):
    import_orders(tagged, write(tmp_path, "e1.tsv", EARNINGS_TSV), "amazon")
    extended = EARNINGS_TSV.replace(
        "Total\t", "Books\tAtomic Habits\tB07D23CFGR\tAmazon.com\tmytag-20\t2026-11-10\t13.79\t1\t1\t-13.79\t-0.62"
        "\tPHONE\nTotal\t")
    result = import_orders(tagged, write(tmp_path, "e2.tsv", extended), "amazon")
    assert (result.inserted, result.unchanged) == (1, 2)
    stored = lines(tagged)
    assert len(stored) == 3
    returned = [r for r in stored if r["product_id"] == "amazon:B07D23CFGR"][0]
    assert (returned["status"], returned["raw_status"], returned["commission_minor"]) == ("invalid", "returned", 62)


def test_columns_are_found_by_name_in_any_order_and_without_currency_suffix(ws, tmp_path):
    set_value(set_value(ws.config, "sources.amzuk.kind", "amazon"), "sources.amzuk.marketplace", "www.amazon.co.uk")
    ws.reload_config()
    text = ("Earnings Report\n"
            "Ad Fees,Tracking ID,Items Shipped,ASIN,Name,Date Shipped,Revenue,Returns,Direct\n"
            "1.20,uktag-21,1,B0CFPJYX7P,Kindle,04/11/2026,\"1,099.00\",0,Y\n"
            "Total,,,,,,,,\n")
    result = import_orders(ws, write(tmp_path, "uk.csv", text), "amazon", source="amzuk")
    assert result.inserted == 1 and result.sources == ["amzuk"]
    stored = lines(ws)[0]
    assert (stored["currency"], stored["amount_minor"], stored["commission_minor"]) == ("GBP", 109900, 120)
    assert stored["ordered_at"].startswith("2026-11-03T16:00")  # 04/11 is 4 November in the UK, Shanghai midnight


def test_bad_amazon_rows_are_skipped_with_their_file_line_numbers(ws, tmp_path):
    text = ORDERS_CSV.replace("B07QJ1P2XH,2026-11-05", "NOT-AN-ASIN,2026-11-05")
    result = import_orders(ws, write(tmp_path, "o.csv", text), "amazon")
    assert result.inserted == 1
    assert [p.line for p in result.skipped] == [4]
    with pytest.raises(InputError, match="line 4"):
        import_orders(ws, write(tmp_path, "o2.csv", text + "\n"), "amazon", strict=True)


def test_a_file_without_an_amazon_header_is_refused(ws, tmp_path):
    with pytest.raises(InputError, match="no Amazon report header"):
        import_orders(ws, write(tmp_path, "x.csv", "a,b\n1,2\n"), "amazon")


def test_utf16_tsv_downloads_are_read(ws, tmp_path):
    result = import_orders(ws, write(tmp_path, "e.tsv", EARNINGS_TSV, "utf-16"), "amazon")
    assert result.encoding == "utf-16" and result.inserted == 2


def test_the_bundled_samples_import_and_chain(tagged):
    first = import_orders(tagged, EXAMPLES / "amazon-orders-sample.csv", "amazon")
    second = import_orders(tagged, EXAMPLES / "amazon-earnings-sample.tsv", "amazon")
    assert (first.inserted, second.updated, second.inserted) == (3, 3, 0)
    assert sorted(r["status"] for r in lines(tagged)) == ["confirmed", "confirmed", "invalid"]


def test_a_total_line_in_any_column_is_not_a_bad_row(ws, tmp_path):
    text = ORDERS_CSV.replace("Total,,,,3,194.49,,,,\n", ",Total,,,3,194.49,,,,\n,,,,,,,,,\nTotals:,,,,3,194.49,,,,\n")
    result = import_orders(ws, write(tmp_path, "orders.csv", text), "amazon")
    assert (result.rows, result.imported, result.skipped) == (2, 2, [])


def test_without_a_currency_suffix_the_amount_symbols_name_the_currency(ws, tmp_path):
    # UK downloads omit "($)" in headers (suppliers.md 4.4); their amounts carry "£"
    text = ("Fee-Earnings reports from 01-11-2026 to 20-11-2026\n"
            "Category,Name,ASIN,Seller,Tracking ID,Date Shipped,Price,Items Shipped,Returns,Revenue,Ad Fees,"
            "Direct,Device Type Group\n"
            "Home,Kettle,B07QJ1P2XH,Amazon.co.uk,uktag-21,2026-11-06,£34.50,1,0,£34.50,£1.04,Y,PHONE\n")
    result = import_orders(ws, write(tmp_path, "uk.csv", text), "amazon")
    assert (result.report, result.imported) == ("earnings", 1)
    [row] = lines(ws)
    assert (row["currency"], row["amount_minor"], row["commission_minor"]) == ("GBP", 3450, 104)


def test_the_sources_own_partner_tag_means_no_channel(tagged, tmp_path):
    set_value(tagged.config, "sources.amz.kind", "amazon")
    tagged.reload_config()
    set_value(tagged.config, "sources.amz.partner_tag", "mytag-20")
    tagged.reload_config()
    result = import_orders(tagged, write(tmp_path, "orders.csv", ORDERS_CSV), "amazon")
    assert result.sources == ["amz"]
    assert [r["channel"] for r in lines(tagged)] == ["wechat_group_a", ""]


def test_report_dates_in_the_title_lines_month_day_year_dash_form_are_read(ws, tmp_path):
    text = ORDERS_CSV.replace("2026-11-03", "11-03-2026").replace("2026-11-05", "11/05/2026 10:11:12")
    result = import_orders(ws, write(tmp_path, "orders.csv", text), "amazon")
    assert result.skipped == []
    assert [r["ordered_at"][:16] for r in lines(ws)] == ["2026-11-02T16:00", "2026-11-05T02:11"]  # UTC


def test_a_report_without_a_tracking_id_column_is_read_with_no_channel(ws, tmp_path):
    text = ("Fee-Orders reports\nCategory,Name,ASIN,Date,Qty,Price($)\n"
            "Home,Kettle,B07QJ1P2XH,2026-11-05,1,34.50\n")
    result = import_orders(ws, write(tmp_path, "orders.csv", text), "amazon")
    assert (result.imported, result.skipped) == (1, [])
    assert [(r["channel"], r["amount_minor"]) for r in lines(ws)] == [("", 3450)]


def test_a_source_option_naming_no_amazon_source_is_refused(ws, tmp_path):
    from sharekit.errors import NotFoundError

    path = write(tmp_path, "orders.csv", ORDERS_CSV)
    with pytest.raises(NotFoundError, match="amzn"):
        import_orders(ws, path, "amazon", source="amzn")
    assert lines(ws) == []


def test_a_canadian_source_reads_the_dollar_suffix_as_cad(ws, tmp_path):
    # suppliers.md 4.4: "US/CA use ($) suffixes" -- the "$" is the marketplace's dollar
    set_value(ws.config, "sources.amzca.kind", "amazon")
    ws.reload_config()
    set_value(ws.config, "sources.amzca.marketplace", "www.amazon.ca")
    ws.reload_config()
    result = import_orders(ws, write(tmp_path, "orders.csv", ORDERS_CSV), "amazon", source="amzca")
    assert result.imported == 2
    assert {r["currency"] for r in lines(ws)} == {"CAD"}
