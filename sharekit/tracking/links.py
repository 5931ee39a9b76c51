"""Short links: one per product and channel, with a short code and the supplier's tracked URL.

Codes are matched case-insensitively (a short URL may be typed, or QR-encoded, in upper case);
random codes come from an uppercase alphabet without look-alikes so ``BASE/CODE`` written in
upper case fits QR alphanumeric mode. A custom slug keeps the case it was typed in but may not
differ from another code only by case (unique index ``links_code_upper``).
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..core.sanitize import clean_text
from ..core.timeutil import check_year, local_iso, relative, to_utc_iso, utcnow
from ..errors import InputError, NotFoundError
from ..store.db import transaction
from .channels import validate_channel_name

if TYPE_CHECKING:
    from ..store.workspace import Workspace

# Uppercase without look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B): a short URL written in upper
# case fits QR alphanumeric mode.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 6
# A custom slug: letters, digits and '-' (all in QR alphanumeric mode once upper-cased),
# 3-32 characters, not starting or ending with '-'.
SLUG_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{1,30})[A-Za-z0-9]$")
# Paths the redirect server answers itself; a slug may not shadow them.
RESERVED_SLUGS = frozenset({"HEALTHZ", "ROBOTS", "FAVICON", "STATIC", "API", "ADMIN"})
_MAX_ATTEMPTS = 50
VARIANT_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


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
    created: bool = False  # True when this call stored it (False: an existing link reused)
    state: str = "ok"  # ok | sold_out | coupon_expired (set by `sharekit link check`)
    variant: str = ""  # the poster template it was made for (`poster --variants`); "" = the ordinary link

    @property
    def share_url(self) -> str:
        """What a poster or share text carries: the short URL when a server is configured."""
        return self.short_url or self.target_url

    def is_active(self, now: datetime | None = None) -> bool:
        """Not disabled and not past its expiry."""
        if self.disabled:
            return False
        if self.expires_at is None:
            return True
        return datetime.fromisoformat(self.expires_at) > (now or utcnow())

    def to_json(self, tz: str) -> dict[str, Any]:
        """The ``link list --json`` shape, plus state fields scripts may want."""
        return {
            "code": self.code,
            "short_url": self.short_url,
            "target_url": self.target_url,
            "product": self.product_id,
            "channel": self.channel,
            "created_at": local_iso(self.created_at, tz),
            "expires_at": local_iso(self.expires_at, tz),
            "disabled": self.disabled,
            "state": self.state,
            "variant": self.variant or None,
        }


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def short_url_for(base_url: str | None, code: str) -> str | None:
    return f"{base_url.rstrip('/')}/{code}" if base_url else None


def row_to_link(row: sqlite3.Row, base_url: str | None) -> Link:
    return Link(code=row["code"], product_id=row["product_id"], channel=row["channel"],
                target_url=row["target_url"], short_url=short_url_for(base_url, row["code"]),
                share_text=row["share_text"], created_at=row["created_at"], disabled=bool(row["disabled"]),
                expires_at=row["expires_at"], state=row["state"],
                variant=row["variant"] if "variant" in row.keys() else "")


def _base_url(ws: Workspace) -> str | None:
    return ws.config.get("server.base_url") or None


def validate_slug(slug: str) -> str:
    """Return ``slug`` if it can be a short code, else raise InputError saying why."""
    if not SLUG_RE.match(slug or ""):
        raise InputError(
            f"Slug {slug!r} is not allowed: use 3-32 letters, digits or '-' (not first or last), "
            "so the short URL fits a QR code's alphanumeric mode."
        )
    if slug.upper() in RESERVED_SLUGS:
        raise InputError(f"Slug {slug!r} is reserved by the redirect server; pick another.")
    return slug


def get_link(conn: sqlite3.Connection, code: str, base_url: str | None = None) -> Link | None:
    """The link whose code matches ``code`` ignoring case, or None."""
    row = conn.execute("SELECT * FROM links WHERE upper(code) = upper(?)", (code,)).fetchone()
    return row_to_link(row, base_url) if row else None


def link_extra(conn: sqlite3.Connection, code: str) -> dict[str, Any]:
    """What the supplier answered beside the link's URL (e.g. PDD's ``we_app_info``); ``{}`` if none."""
    row = conn.execute("SELECT extra FROM links WHERE code = ?", (code,)).fetchone()
    try:
        value = json.loads(row["extra"] or "{}") if row else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def find_link(conn: sqlite3.Connection, product_id: str, channel: str, base_url: str | None,
              variant: str = "") -> Link | None:
    """The newest active (not disabled, not expired) link of ``product_id`` and ``channel`` (and
    poster ``variant``: ``""`` is the ordinary link, never a variant's)."""
    now = to_utc_iso(utcnow())
    row = conn.execute(
        "SELECT * FROM links WHERE product_id = ? AND channel = ? AND variant = ? AND disabled = 0"
        " AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (product_id, channel, variant, now),
    ).fetchone()
    return row_to_link(row, base_url) if row else None


def target_for(ws: Workspace, product: sqlite3.Row, channel: str) -> tuple[str, str | None, dict[str, Any]]:
    """The supplier's tracked URL for ``product`` and ``channel`` (plus share text and extras).

    Sources with an affiliate API answer ``promotion_link`` (their links carry the coupon:
    JD ``couponUrl``, Taobao ``coupon_share_url``, PDD's promotion URL). Others fall back to the
    source's ``link_template``: by default the product's coupon link when it has a usable coupon
    with one, else the product URL, each with ``?ref={channel}``. A template may use ``{url}``,
    ``{coupon_url}`` (the coupon link, or the product URL when there is none), ``{channel}``, ``{id}``.
    """
    from ..sources import StoredProduct, build_source

    source_name = product["source"]
    settings = ws.source_settings(source_name) if source_name in ws.config.source_names() else {}
    if settings.get("kind"):
        with build_source(source_name, settings) as source:
            if source.supports_links:
                stored = StoredProduct(product["native_id"], product["title"] or "", product["url"],
                                       product["coupon_url"], json.loads(product["extra"] or "{}"), product["id"])
                link = source.promotion_link(stored, channel)
                return link.url, link.share_text, dict(link.extra)
    url = product["url"] or ""
    coupon_url = coupon_link_of(product)
    base = "{coupon_url}" if coupon_url else "{url}"
    default = (base + ("&ref={channel}" if "?" in (coupon_url or url) else "?ref={channel}")) if channel else base
    template = str(settings.get("link_template") or default)
    if not url and not coupon_url:
        raise NotFoundError(f"Product {product['id']} has no URL to link to.")
    try:
        target = template.format(url=url, coupon_url=coupon_url or url, channel=channel, id=product["native_id"])
    except (KeyError, IndexError, ValueError, AttributeError):
        raise InputError(
            f"sources.{source_name}.link_template {template!r} is not valid: use {{url}}, {{coupon_url}}, "
            "{channel} and {id}."
        ) from None
    return target, None, {"coupon": True} if coupon_url and "{coupon_url}" in template else {}


def coupon_link_of(product: Any) -> str | None:
    """The product's coupon link when its coupon is usable (or its usability is not known), else None."""
    keys = product.keys()
    url = product["coupon_url"] if "coupon_url" in keys else None
    if not url or not re.match(r"^https?://", str(url)):
        return None
    if "coupon_usable" in keys and product["coupon_usable"] == 0:
        return None  # the poster does not advertise it; the buyer goes to the product
    return str(url)


def parse_expires(text: str, tz: str, *, now: datetime | None = None) -> datetime:
    """When a link stops working: ``90m``, ``12h``, ``7d``, ``2w`` from now; an ISO date (the
    link works through that whole day in ``tz``); or an ISO time (no offset = ``tz``). UTC."""
    s = text.strip()
    now = now or utcnow()
    m = re.match(r"^(\d+)\s*([mhdw])$", s)
    if m:
        delta = relative(s, "expires")
        assert delta is not None
        when = now + delta
    else:
        try:
            if re.match(r"^\d{4}-\d{2}-\d{2}$", s):
                d = date.fromisoformat(s) + timedelta(days=1)
                check_year(d, text, "expires")
                when = datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz))
            else:
                when = datetime.fromisoformat(s.replace("Z", "+00:00"))
                check_year(when, text, "expires")
                if when.tzinfo is None:
                    when = when.replace(tzinfo=ZoneInfo(tz))
        except ValueError:
            raise InputError(
                f"`expires` {text!r} is not a time: use 90m, 12h, 7d, 2w, an ISO date or an ISO time.",
                params=("expires",)) from None
    when = when.astimezone(UTC)
    if when <= now:
        raise InputError(f"`expires` {text!r} is in the past.", params=("expires",))
    return when


def validate_variant(variant: str) -> str:
    """Return ``variant`` (a poster template's name) if it can name a link variant, else InputError."""
    if variant and not VARIANT_RE.match(variant):
        raise InputError(f"Variant {variant!r} is not allowed: use 1-64 letters, digits, '_', '.' or '-' "
                         "(a template's name).", params=("variant",))
    return variant


def ensure_link(ws: Workspace, product_id: str, channel: str = "", *, slug: str | None = None,
                expires: datetime | None = None, variant: str = "") -> Link:
    """The link for ``product_id`` and ``channel``, created (one transaction) if there is none.

    The same product and channel reuse their active link (``expires`` then updates its
    expiry). A ``slug`` asks for that exact code: refused when malformed or taken by another
    link; a random code is regenerated on collision. A ``variant`` (a poster template's name,
    ``poster --variants``) has a link of its own beside the ordinary one, so its scans are told apart.
    """
    if channel:
        validate_channel_name(channel)
    validate_variant(variant)
    if slug is not None:
        validate_slug(slug)
    conn = ws.db
    base_url = _base_url(ws)
    if slug is not None:
        taken = get_link(conn, slug, base_url)
        if taken is not None:
            if taken.product_id == product_id and taken.channel == channel and taken.variant == variant \
                    and taken.is_active():
                return _with_expiry(conn, taken, expires)
            raise InputError(f"Slug {slug!r} is already taken by link {taken.code} ({taken.product_id}).",
                             hint="Pick another `slug`.", params=("slug",))
    else:
        existing = find_link(conn, product_id, channel, base_url, variant)
        if existing is not None:
            return _with_expiry(conn, existing, expires)
    product = conn.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
    if product is None:
        raise NotFoundError(f"No product {product_id} in the store.", hint="Run `sharekit pull SOURCE` first.")
    target, share_text, extra = target_for(ws, product, channel)
    if not re.match(r"^https?://", target, re.IGNORECASE):   # never javascript:, data:, file: ...
        raise InputError(f"Product {product_id} links to {target[:60]!r}, not an http(s) address; "
                         "a short link only sends buyers to web pages.")
    share_text = clean_text(share_text, multiline=True)
    now = to_utc_iso(utcnow())
    expires_at = to_utc_iso(expires) if expires else None
    for _ in range(_MAX_ATTEMPTS):
        code = slug or new_code()
        try:
            with transaction(conn):
                if conn.execute("SELECT 1 FROM links WHERE upper(code) = upper(?)", (code,)).fetchone():
                    raise _Collision
                conn.execute(
                    "INSERT INTO links (code, product_id, channel, target_url, share_text, extra, custom,"
                    " expires_at, created_at, variant) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (code, product_id, channel, target, share_text, json.dumps(extra, ensure_ascii=False),
                     int(slug is not None), expires_at, now, variant),
                )
        except (_Collision, sqlite3.IntegrityError):
            # Taken (perhaps by another process between our check and insert): a random
            # code is drawn again; a slug is refused.
            if slug is not None:
                raise InputError(f"Slug {slug!r} is already taken.", hint="Pick another `slug`.",
                                 params=("slug",)) from None
            continue
        return Link(code, product_id, channel, target, short_url_for(base_url, code), share_text, now,
                    expires_at=expires_at, created=True, variant=variant)
    raise InputError(f"Could not find a free short code after {_MAX_ATTEMPTS} tries.")  # pragma: no cover


class _Collision(Exception):
    pass


def _with_expiry(conn: sqlite3.Connection, link: Link, expires: datetime | None) -> Link:
    if expires is None:
        return link
    expires_at = to_utc_iso(expires)
    with transaction(conn):
        conn.execute("UPDATE links SET expires_at = ? WHERE code = ?", (expires_at, link.code))
    return replace(link, expires_at=expires_at)


def create_link(ws: Workspace, product_id: str, channel: str = "", *, slug: str | None = None,
                expires: str | None = None) -> Link:
    """`sharekit link create`: parse ``expires`` in the configured timezone, then ensure_link."""
    when = parse_expires(expires, ws.config.timezone) if expires else None
    return ensure_link(ws, product_id, channel, slug=slug, expires=when)


def list_links(ws: Workspace, *, channel: str | None = None, product: str | None = None,
               active_only: bool = False) -> list[Link]:
    """Stored links, newest first, optionally of one channel and/or product."""
    sql = "SELECT * FROM links WHERE 1=1"
    args: list[Any] = []
    if channel is not None:
        sql += " AND channel = ?"
        args.append(channel)
    if product is not None:
        sql += " AND product_id = ?"
        args.append(product)
    if active_only:
        sql += " AND disabled = 0 AND (expires_at IS NULL OR expires_at > ?)"
        args.append(to_utc_iso(utcnow()))
    sql += " ORDER BY created_at DESC, rowid DESC"
    base_url = _base_url(ws)
    return [row_to_link(row, base_url) for row in ws.db.execute(sql, args)]


def disable_link(ws: Workspace, code: str) -> Link:
    """Disable the link ``code`` (matched ignoring case): the server answers 404 for it from now on."""
    conn = ws.db
    link = get_link(conn, code, _base_url(ws))
    if link is None:
        raise NotFoundError(f"No link with code {code!r}.", hint="See `sharekit link list`.")
    with transaction(conn):
        conn.execute("UPDATE links SET disabled = 1 WHERE code = ?", (link.code,))
    return replace(link, disabled=True)
