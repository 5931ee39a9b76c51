"""The migrations shipped up to sharekit 0.1 (m001-m092)."""

from __future__ import annotations

import sqlite3

from . import migration, run_script


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE products (
            id TEXT PRIMARY KEY,                 -- SOURCE:NATIVE_ID
            source TEXT NOT NULL,                -- the configured source name
            native_id TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT,
            brand TEXT,
            currency TEXT NOT NULL,
            price_minor INTEGER,                 -- what the buyer pays (after coupon)
            original_price_minor INTEGER,        -- list price before coupon / sale
            coupon_minor INTEGER,                -- best coupon's discount
            coupon_url TEXT,
            commission_rate TEXT,                -- decimal string, e.g. "0.05"
            url TEXT,
            image_urls TEXT NOT NULL DEFAULT '[]',   -- JSON list
            image_path TEXT,                     -- cached file under cache/, relative
            available INTEGER NOT NULL DEFAULT 1,
            extra TEXT NOT NULL DEFAULT '{}',    -- JSON: source-specific fields
            content_hash TEXT,                   -- detects unchanged rows on re-pull
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            UNIQUE (source, native_id)
        );
        CREATE INDEX products_by_source ON products(source, available);

        CREATE TABLE price_history (
            id INTEGER PRIMARY KEY,
            product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
            currency TEXT NOT NULL,
            price_minor INTEGER,
            original_price_minor INTEGER,
            coupon_minor INTEGER,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX price_history_by_product ON price_history(product_id, recorded_at);

        CREATE TABLE channels (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('group','moments','friend','other')),
            note TEXT,
            threshold_minor INTEGER,
            threshold_currency TEXT,
            share_rate TEXT,                     -- decimal string: a friend's share of commission
            created_at TEXT NOT NULL
        );

        CREATE TABLE links (
            code TEXT PRIMARY KEY,
            product_id TEXT NOT NULL REFERENCES products(id),
            channel TEXT NOT NULL DEFAULT '',    -- '' = no channel
            target_url TEXT NOT NULL,
            share_text TEXT,                     -- e.g. Taobao 淘口令 for in-WeChat pages
            extra TEXT NOT NULL DEFAULT '{}',
            custom INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0,
            expires_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX links_by_product_channel ON links(product_id, channel);
        CREATE INDEX links_by_channel ON links(channel);

        CREATE TABLE clicks (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL REFERENCES links(code),
            clicked_at TEXT NOT NULL,            -- UTC ISO 8601
            channel TEXT NOT NULL DEFAULT '',
            product_id TEXT,
            visitor TEXT,                        -- salted hash of IP + user agent
            user_agent TEXT,
            referer TEXT,
            is_bot INTEGER NOT NULL DEFAULT 0,
            in_wechat INTEGER NOT NULL DEFAULT 0,
            via_qr INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX clicks_by_code_time ON clicks(code, clicked_at);

        CREATE TABLE click_daily (                -- counters kept as clicks arrive
            code TEXT NOT NULL REFERENCES links(code),
            day TEXT NOT NULL,                   -- local date in the configured timezone
            clicks INTEGER NOT NULL DEFAULT 0,
            bots INTEGER NOT NULL DEFAULT 0,
            qr INTEGER NOT NULL DEFAULT 0,
            wechat INTEGER NOT NULL DEFAULT 0,
            visitors INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (code, day)
        );
        CREATE TABLE click_visitors (             -- one row per visitor, link and day
            code TEXT NOT NULL,
            day TEXT NOT NULL,
            visitor TEXT NOT NULL,
            PRIMARY KEY (code, day, visitor)
        ) WITHOUT ROWID;

        CREATE TABLE orders (
            id TEXT PRIMARY KEY,                 -- SOURCE:ROW_ID (one supplier order line)
            source TEXT NOT NULL,
            order_id TEXT NOT NULL,              -- the supplier's parent order number
            product_id TEXT,                     -- SOURCE:NATIVE_ID; may not be in products
            product_title TEXT,
            channel TEXT NOT NULL DEFAULT '',    -- sub-id the link carried; '' = (none)
            status TEXT NOT NULL CHECK (status IN ('pending','confirmed','settled','invalid','unknown')),
            raw_status TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount_minor INTEGER NOT NULL,       -- what the buyer paid for the line
            commission_minor INTEGER NOT NULL,   -- commission (estimated, or actual once known)
            list_amount_minor INTEGER,           -- before coupons, for "saved" figures
            quantity INTEGER,
            refund_tag TEXT,
            ordered_at TEXT NOT NULL,            -- UTC ISO 8601
            updated_at TEXT NOT NULL,            -- supplier's update time, UTC
            settled_at TEXT,
            extra TEXT NOT NULL DEFAULT '{}',
            fetched_at TEXT NOT NULL
        );
        CREATE INDEX orders_by_time ON orders(ordered_at);
        CREATE INDEX orders_by_source ON orders(source, updated_at);
        CREATE INDEX orders_by_channel ON orders(channel, ordered_at);
        CREATE INDEX orders_by_product ON orders(product_id);

        CREATE TABLE order_status_history (
            id INTEGER PRIMARY KEY,
            order_line TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
            status TEXT NOT NULL,
            raw_status TEXT NOT NULL,
            commission_minor INTEGER NOT NULL,
            changed_at TEXT NOT NULL,            -- supplier's update time, UTC
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX order_status_history_by_line ON order_status_history(order_line, id);

        CREATE TABLE sync_checkpoints (
            source TEXT PRIMARY KEY,
            high_water TEXT,                     -- UTC ISO: all updates before it are stored
            cursor TEXT NOT NULL DEFAULT '{}',   -- JSON: resume point inside a window
            last_run_at TEXT,
            last_ok_at TEXT,
            last_error TEXT
        );

        CREATE TABLE imports (                   -- order files imported, for idempotency
            sha256 TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            format TEXT NOT NULL,
            rows INTEGER NOT NULL,
            imported_at TEXT NOT NULL
        );
        """
    )



@migration
def m041_catalog_pulls(db: sqlite3.Connection) -> None:
    """One row per finished `pull`: when, what kind of listing, and what it changed.

    Unchanged products are not rewritten by a pull (no write per row), so "when did this source
    last list its products" lives here rather than in products.seen_at.
    """
    run_script(
        db,
        """
        CREATE TABLE catalog_pulls (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            started_at TEXT NOT NULL,            -- UTC ISO 8601
            finished_at TEXT NOT NULL,
            full_listing INTEGER NOT NULL,       -- 1 = no query/ids/limit: unlisted products were marked
            fetched INTEGER NOT NULL,
            added INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            unavailable INTEGER NOT NULL,
            skipped INTEGER NOT NULL,
            images_failed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX catalog_pulls_by_source ON catalog_pulls(source, finished_at);
        """,
    )



@migration
def m081_click_indexes(db: sqlite3.Connection) -> None:
    """Short codes are matched case-insensitively (a code may be typed or QR-encoded in upper
    case), so two codes may not differ only by case; statistics filter counters by day."""
    run_script(
        db,
        """
        CREATE UNIQUE INDEX links_code_upper ON links(upper(code));
        CREATE INDEX click_daily_by_day ON click_daily(day);
        """
    )



@migration
def m091_reports(db: sqlite3.Connection) -> None:
    """Reports: a share log for the too-often warning, and rollups kept by triggers.

    A report over 90 days of a million orders must not read each order: ``report_hourly``
    sums orders per currency, UTC hour and status (time reports map hours to local days);
    ``report_daily`` per currency, UTC day, channel, source and status (channel and source
    reports; the partial days at a range's edges are read from ``orders``). ``report_clicks``
    sums the click counters per local day, channel, source and product currency. Triggers
    keep all three exact on every insert, update and delete, whoever writes.
    """
    run_script(
        db,
        """
        CREATE TABLE share_log (
            id INTEGER PRIMARY KEY,
            product_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,                  -- 'poster' | 'link' | ...
            shared_at TEXT NOT NULL              -- UTC ISO 8601
        );
        CREATE INDEX share_log_by_product_channel ON share_log(product_id, channel, shared_at);

        -- invalid lines whose commission the supplier zeroed: lost is read from their history
        CREATE INDEX orders_zeroed_invalid ON orders(currency, ordered_at)
            WHERE status = 'invalid' AND commission_minor = 0;
        CREATE INDEX IF NOT EXISTS click_daily_by_day ON click_daily(day);

        CREATE TABLE report_hourly (
            currency TEXT NOT NULL,
            hour TEXT NOT NULL,                  -- UTC 'YYYY-MM-DDTHH'
            status TEXT NOT NULL,
            orders INTEGER NOT NULL,
            amount_minor INTEGER NOT NULL,
            commission_minor INTEGER NOT NULL,
            PRIMARY KEY (currency, hour, status)
        ) WITHOUT ROWID;
        CREATE TABLE report_daily (
            currency TEXT NOT NULL,
            day TEXT NOT NULL,                   -- UTC 'YYYY-MM-DD'
            channel TEXT NOT NULL,
            source TEXT NOT NULL,
            status TEXT NOT NULL,
            orders INTEGER NOT NULL,
            amount_minor INTEGER NOT NULL,
            commission_minor INTEGER NOT NULL,
            PRIMARY KEY (currency, day, channel, source, status)
        ) WITHOUT ROWID;
        CREATE TABLE report_clicks (
            day TEXT NOT NULL,                   -- local day, as in click_daily
            channel TEXT NOT NULL,
            source TEXT NOT NULL,
            currency TEXT NOT NULL,              -- the product's currency; '' when unknown
            clicks INTEGER NOT NULL,
            bots INTEGER NOT NULL,
            counters INTEGER NOT NULL,           -- click_daily rows summed here (drift check)
            PRIMARY KEY (day, channel, source, currency)
        ) WITHOUT ROWID;

        """
        + ROLLUP_FILL_SQL
        + _ROLLUP_TRIGGERS,
    )


ROLLUP_FILL_SQL = """
        INSERT INTO report_hourly
            SELECT currency, substr(ordered_at, 1, 13), status, count(*), sum(amount_minor), sum(commission_minor)
            FROM orders GROUP BY 1, 2, 3;
        INSERT INTO report_daily
            SELECT currency, substr(ordered_at, 1, 10), channel, source, status, count(*), sum(amount_minor),
                   sum(commission_minor)
            FROM orders GROUP BY 1, 2, 3, 4, 5;
        INSERT INTO report_clicks
            SELECT c.day, coalesce(l.channel, ''), coalesce(substr(l.product_id, 1, instr(l.product_id, ':') - 1), ''),
                   coalesce(p.currency, ''), sum(c.clicks), sum(c.bots), count(*)
            FROM click_daily c LEFT JOIN links l ON l.code = c.code LEFT JOIN products p ON p.id = l.product_id
            GROUP BY 1, 2, 3, 4;
"""


def _orders_rollup_sql(row: str, sign: str) -> str:
    """Statements adding (``sign`` '+') or removing ('-') order ``row`` (NEW/OLD) in the rollups."""
    return f"""
            INSERT INTO report_hourly (currency, hour, status, orders, amount_minor, commission_minor)
            VALUES ({row}.currency, substr({row}.ordered_at, 1, 13), {row}.status, {sign}1,
                    {sign}{row}.amount_minor, {sign}{row}.commission_minor)
            ON CONFLICT (currency, hour, status) DO UPDATE SET orders = orders + excluded.orders,
                amount_minor = amount_minor + excluded.amount_minor,
                commission_minor = commission_minor + excluded.commission_minor;
            INSERT INTO report_daily (currency, day, channel, source, status, orders, amount_minor, commission_minor)
            VALUES ({row}.currency, substr({row}.ordered_at, 1, 10), {row}.channel, {row}.source, {row}.status,
                    {sign}1, {sign}{row}.amount_minor, {sign}{row}.commission_minor)
            ON CONFLICT (currency, day, channel, source, status) DO UPDATE SET orders = orders + excluded.orders,
                amount_minor = amount_minor + excluded.amount_minor,
                commission_minor = commission_minor + excluded.commission_minor;"""


def _clicks_rollup_sql(row: str, clicks: str, bots: str, counters: str) -> str:
    return f"""
            INSERT INTO report_clicks (day, channel, source, currency, clicks, bots, counters)
            SELECT {row}.day, coalesce(l.channel, ''),
                   coalesce(substr(l.product_id, 1, instr(l.product_id, ':') - 1), ''), coalesce(p.currency, ''),
                   {clicks}, {bots}, {counters}
            FROM (SELECT 1) LEFT JOIN links l ON l.code = {row}.code LEFT JOIN products p ON p.id = l.product_id
            WHERE true
            ON CONFLICT (day, channel, source, currency) DO UPDATE SET clicks = clicks + excluded.clicks,
                bots = bots + excluded.bots, counters = counters + excluded.counters;"""


_ROLLUP_TRIGGERS = f"""
        CREATE TRIGGER report_orders_insert AFTER INSERT ON orders BEGIN{_orders_rollup_sql("NEW", "")}
        END;
        CREATE TRIGGER report_orders_delete AFTER DELETE ON orders BEGIN{_orders_rollup_sql("OLD", "-")}
        END;
        CREATE TRIGGER report_orders_update
        AFTER UPDATE OF currency, ordered_at, channel, source, status, amount_minor, commission_minor ON orders
        WHEN OLD.currency IS NOT NEW.currency OR OLD.ordered_at IS NOT NEW.ordered_at OR OLD.channel IS NOT NEW.channel
            OR OLD.source IS NOT NEW.source OR OLD.status IS NOT NEW.status OR OLD.amount_minor IS NOT NEW.amount_minor
            OR OLD.commission_minor IS NOT NEW.commission_minor
        BEGIN{_orders_rollup_sql("OLD", "-")}{_orders_rollup_sql("NEW", "")}
        END;
        CREATE TRIGGER report_clicks_insert AFTER INSERT ON click_daily BEGIN{
            _clicks_rollup_sql("NEW", "NEW.clicks", "NEW.bots", "1")}
        END;
        CREATE TRIGGER report_clicks_delete AFTER DELETE ON click_daily BEGIN{
            _clicks_rollup_sql("OLD", "-OLD.clicks", "-OLD.bots", "-1")}
        END;
        CREATE TRIGGER report_clicks_update AFTER UPDATE OF clicks, bots, code, day ON click_daily
        WHEN OLD.clicks IS NOT NEW.clicks OR OLD.bots IS NOT NEW.bots OR OLD.code IS NOT NEW.code
            OR OLD.day IS NOT NEW.day
        BEGIN{
            _clicks_rollup_sql("OLD", "-OLD.clicks", "-OLD.bots", "-1")}{
            _clicks_rollup_sql("NEW", "NEW.clicks", "NEW.bots", "1")}
        END;
"""


@migration
def m092_cheaper_click_writes(db: sqlite3.Connection) -> None:
    """Cheaper click writes (issue 8: recording may cost at most 30% of redirect throughput).

    ``clicks_by_code_time`` is dropped: statistics read the per-link-and-day counters, never the
    raw clicks, which are an append-only log in time order (``id``); the index only cost each
    click a write into a random leaf page. The rollup trigger for updated ``click_daily`` rows is
    split so that the usual case, the counters of the same link and day going up, is one upsert
    of the difference instead of a subtraction plus an addition.
    """
    run_script(
        db,
        f"""
        DROP INDEX IF EXISTS clicks_by_code_time;
        DROP TRIGGER IF EXISTS report_clicks_update;
        CREATE TRIGGER report_clicks_update_counts AFTER UPDATE OF clicks, bots ON click_daily
        WHEN OLD.code IS NEW.code AND OLD.day IS NEW.day AND (OLD.clicks IS NOT NEW.clicks OR OLD.bots IS NOT NEW.bots)
        BEGIN{_clicks_rollup_sql("NEW", "NEW.clicks - OLD.clicks", "NEW.bots - OLD.bots", "0")}
        END;
        CREATE TRIGGER report_clicks_update_key AFTER UPDATE OF code, day ON click_daily
        WHEN OLD.code IS NOT NEW.code OR OLD.day IS NOT NEW.day
        BEGIN{
            _clicks_rollup_sql("OLD", "-OLD.clicks", "-OLD.bots", "-1")}{
            _clicks_rollup_sql("NEW", "NEW.clicks", "NEW.bots", "1")}
        END;
        """,
    )
