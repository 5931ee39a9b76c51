"""Short links: one per product and channel, with a short code and the supplier's tracked URL."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from .channels import validate_channel_name
from .db import transaction
from .errors import NotFoundError
from .timeutil import to_utc_iso, utcnow

# Uppercase without look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B): a short URL written in upper
# case fits QR alphanumeric mode.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 6


@dataclass(frozen=True)
class Link:
    """A stored short link."""

    code: str
    product_id: str
    channel: str
    target_url: str
    short_url: str | None
    share_text: str | None
    created_at: str
    disabled: bool = False
    expires_at: str | None = None

    @property
    def share_url(self) -> str:
        """What a poster or share text carries: the short URL when a server is configured."""
        return self.short_url or self.target_url


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def short_url_for(base_url: str | None, code: str) -> str | None:
    return f"{base_url.rstrip('/')}/{code}" if base_url else None


def row_to_link(row: sqlite3.Row, base_url: str | None) -> Link:
    return Link(code=row["code"], product_id=row["product_id"], channel=row["channel"],
                target_url=row["target_url"], short_url=short_url_for(base_url, row["code"]),
                share_text=row["share_text"], created_at=row["created_at"], disabled=bool(row["disabled"]),
                expires_at=row["expires_at"])


def find_link(conn: sqlite3.Connection, product_id: str, channel: str, base_url: str | None) -> Link | None:
    row = conn.execute(
        "SELECT * FROM links WHERE product_id = ? AND channel = ? AND disabled = 0 ORDER BY created_at DESC LIMIT 1",
        (product_id, channel),
    ).fetchone()
    return row_to_link(row, base_url) if row else None


def target_for(ws: Any, product: sqlite3.Row, channel: str) -> tuple[str, str | None, dict[str, Any]]:
    """The supplier's tracked URL for ``product`` and ``channel`` (plus share text and extras).

    Sources with an affiliate API answer ``promotion_link``; others fall back to the product
    URL through the source's ``link_template`` (default ``{url}``).
    """
    from .sources import build_source

    source_name = product["source"]
    settings = ws.config.source(source_name) if source_name in ws.config.source_names() else {}
    if settings.get("kind"):
        source = build_source(source_name, settings)
        try:
            link = source.promotion_link(product["native_id"], channel, dict(product))
            return link.url, link.share_text, dict(link.extra)
        except NotImplementedError:
            pass
        finally:
            source.close()
    template = str(settings.get("link_template") or ("{url}?ref={channel}" if channel else "{url}"))
    url = product["url"] or ""
    if not url:
        raise NotFoundError(f"Product {product['id']} has no URL to link to.")
    return template.format(url=url, channel=channel, id=product["native_id"]), None, {}


def ensure_link(ws: Any, product_id: str, channel: str = "", *, slug: str | None = None) -> Link:
    """The link for ``product_id`` and ``channel``, created (one transaction) if there is none."""
    if channel:
        validate_channel_name(channel)
    conn = ws.db
    base_url = ws.config.get("server.base_url") or None
    existing = find_link(conn, product_id, channel, base_url)
    if existing and not slug:
        return existing
    product = conn.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
    if product is None:
        raise NotFoundError(f"No product {product_id} in the store.", hint="Run `sharekit pull SOURCE` first.")
    target, share_text, extra = target_for(ws, product, channel)
    now = to_utc_iso(utcnow())
    with transaction(conn):
        code = slug or new_code()
        while conn.execute("SELECT 1 FROM links WHERE code = ?", (code,)).fetchone():
            code = new_code()
        conn.execute(
            "INSERT INTO links (code, product_id, channel, target_url, share_text, extra, custom, created_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (code, product_id, channel, target, share_text, json.dumps(extra, ensure_ascii=False), int(bool(slug)),
             now),
        )
    return Link(code, product_id, channel, target, short_url_for(base_url, code), share_text, now)
