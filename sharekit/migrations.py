"""Forward-only schema migrations, applied in name order on every open.

Each migration is a named function registered with ``@migration``; it and the record of it
run in one transaction. ``PRAGMA user_version`` holds the number applied, so a database made
by a newer sharekit (more migrations than this code knows) is refused, not damaged.
Never edit a migration that has shipped: add a new one. Name slots: m00x foundation,
m04x catalog, m05x orders/sync, m06x imports, m07x posters, m08x clicks, m09x reports.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: dict[str, Migration] = {}


def migration(fn: Migration) -> Migration:
    """Register ``fn`` under its name; duplicates are a programming error."""
    if fn.__name__ in MIGRATIONS:
        raise ValueError(f"migration {fn.__name__} registered twice")
    MIGRATIONS[fn.__name__] = fn
    return fn


def ordered() -> list[tuple[str, Migration]]:
    return sorted(MIGRATIONS.items())


def run_script(db: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the caller's transaction (executescript would commit)."""
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]}")


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
def m091_reports(db: sqlite3.Connection) -> None:
    """Reports: a log of shares (posters rendered, links handed out) for the too-often warning,
    and covering indexes so a report over a time range reads indexes only, never the tables."""
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
        CREATE INDEX orders_report ON orders(currency, ordered_at, status, amount_minor, commission_minor,
                                             channel, source, product_id);
        CREATE INDEX orders_zeroed_invalid ON orders(currency, ordered_at)
            WHERE status = 'invalid' AND commission_minor = 0;
        CREATE INDEX click_daily_report ON click_daily(day, code, clicks, bots);
        """
    )
