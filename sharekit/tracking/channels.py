"""Channels: where a link is shared (a WeChat group, Moments, a friend who re-shares).

Channel names travel to the suppliers as sub-ids (JD subUnionId, PDD custom_parameters,
Taobao external id, Amazon tracking id), so their alphabet is what all of them accept.
A channel has a kind (``group``, ``moments``, ``friend``, ``other``, or ``self`` for one's own
purchases), an optional note, an
optional spending threshold (a group that spent ¥100 unlocks a supplier's group deals) and,
for a friend who re-shares, her agreed share of the commission her channel brings.

Two-level sharing: a friend may have a parent friend (the one who brought her in), who earns an
override on her channel's commission. Two levels at most, by design: WeChat's platform rules and
China's 《禁止传销条例》 (Regulations on the Prohibition of Pyramid Selling) treat deeper commission
chains as 传销, so a third level is refused.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..core.money import Money
from ..core.sanitize import clean_text
from ..core.timeutil import to_utc_iso, utcnow
from ..errors import InputError, NotFoundError
from ..store.db import transaction

CHANNEL_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
KINDS = ("group", "moments", "friend", "other", "self")
NONE_KEY = "(none)"  # where orders, links and clicks without a known channel are reported


def validate_channel_name(name: str) -> str:
    """Return ``name`` if it is a valid channel name, else raise InputError saying why."""
    if not CHANNEL_RE.match(name or ""):
        raise InputError(
            f"Channel name {name!r} is not allowed: use 1-32 letters, digits, '_' or '-' "
            "(the suppliers' sub-ids accept nothing else)."
        )
    return name


@dataclass(frozen=True)
class Channel:
    """A stored channel."""

    name: str
    kind: str
    note: str | None
    threshold: Money | None
    share: Decimal | None
    created_at: str  # UTC ISO
    parent: str | None = None        # the friend who brought this friend in (two levels at most)
    override: Decimal | None = None  # the parent's cut of this channel's commission

    def to_json(self, tz: str | None = None) -> dict[str, object]:
        from ..core.timeutil import local_iso

        return {
            "name": self.name,
            "kind": self.kind,
            "note": self.note,
            "threshold": self.threshold.to_json() if self.threshold else None,
            "share": str(self.share) if self.share is not None else None,
            "parent": self.parent,
            "override": str(self.override) if self.override is not None else None,
            "created_at": local_iso(self.created_at, tz) if tz else self.created_at,
        }


@dataclass(frozen=True)
class ChannelSaved:
    """What ``add_channel`` did: the channel as stored and whether it was new."""

    channel: Channel
    created: bool


def parse_share(text: str | Decimal | int) -> Decimal:
    """A commission share: ``0.3``, ``30%`` or ``1``; must lie in (0, 1]."""
    raw = str(text).strip()
    try:
        value = Decimal(raw[:-1].strip()) / 100 if raw.endswith("%") else Decimal(raw)
    except InvalidOperation:
        raise InputError(f"Share {raw!r} is not a rate: give e.g. 0.3 or 30%.") from None
    if not value.is_finite() or value <= 0 or value > 1:
        raise InputError(f"Share {raw!r} must be more than 0 and at most 1 (e.g. 0.3 or 30%).")
    return value.normalize()


LEVELS_REASON = (
    "sharekit stops at two levels (a friend and the friend who brought her in): WeChat's rules and "
    "China's 《禁止传销条例》 treat deeper commission chains as pyramid selling (传销)."
)


def parse_override(text: str | Decimal | int) -> Decimal:
    """A parent's override rate: ``0.05``, ``5%``; must lie in (0, 1]."""
    try:
        return parse_share(text)
    except InputError:
        raise InputError(f"Override {str(text).strip()!r} must be a rate more than 0 and at most 1 "
                         "(e.g. 0.05 or 5%).") from None


def parse_threshold(text: str | Money, default_currency: str) -> Money:
    """A spending threshold: ``100``, ``¥100``, ``100 CNY``; must be positive."""
    money = text if isinstance(text, Money) else Money.parse(str(text), default_currency)
    if money.minor <= 0:
        raise InputError(f"Threshold {text!r} must be more than zero.")
    return money


def _row_to_channel(row: sqlite3.Row) -> Channel:
    threshold = (Money(row["threshold_minor"], row["threshold_currency"])
                 if row["threshold_minor"] is not None and row["threshold_currency"] else None)
    share = Decimal(row["share_rate"]) if row["share_rate"] else None
    override = Decimal(row["override_rate"]) if row["override_rate"] else None
    return Channel(row["name"], row["kind"], row["note"], threshold, share, row["created_at"],
                   row["parent"] or None, override)


def _check_levels(conn: sqlite3.Connection, name: str, kind: str, parent: str | None, share: Decimal | None,
                  override: Decimal | None) -> None:
    """Refuse what two-level sharing does not allow (see the module's doc)."""
    children = [r[0] for r in conn.execute("SELECT name FROM channels WHERE parent = ? ORDER BY name", (name,))]
    if children and kind != "friend":
        raise InputError(f"Channel {name} is the parent of {', '.join(children)}: it must stay a friend channel.",
                         params=("kind",))
    if parent is None:
        if override is not None:
            raise InputError(f"Channel {name} has no parent: an override is the parent's cut, give --parent too.",
                             params=("override", "parent"))
        return
    if kind != "friend":
        raise InputError(f"Channel {name} is of kind {kind}: only a friend channel has a parent.",
                         hint="Set `kind` to friend.", params=("parent", "kind"))
    if parent == name:
        raise InputError(f"Channel {name} cannot be its own parent.", params=("parent",))
    row = conn.execute("SELECT kind, parent FROM channels WHERE name = ?", (parent,)).fetchone()
    if row is None:
        raise InputError(f"No channel named {parent} to be the parent of {name}.",
                         hint=f"Add her first: `sharekit channel add {parent} --kind friend`.", params=("parent",))
    if row["kind"] != "friend":
        raise InputError(f"Parent {parent} is of kind {row['kind']}: a parent must be a friend channel.",
                         params=("parent",))
    if row["parent"]:
        raise InputError(f"{parent} already has a parent ({row['parent']}): {name} would be a third level. "
                         + LEVELS_REASON, params=("parent",))
    if children:
        raise InputError(f"{name} is already the parent of {', '.join(children)}: giving her a parent would "
                         "make a third level. " + LEVELS_REASON, params=("parent",))
    if share is not None and override is not None and share + override > 1:
        raise InputError(f"Share {share} plus override {override} is more than the whole commission.",
                         params=("share", "override"))


def add_channel(
    conn: sqlite3.Connection,
    name: str,
    *,
    kind: str | None = None,
    note: str | None = None,
    threshold: Money | None = None,
    share: Decimal | None = None,
    parent: str | None = None,
    override: Decimal | None = None,
) -> ChannelSaved:
    """Add channel ``name``, or update the fields given when it exists (one transaction).

    A new channel without ``kind`` is ``other``. A share is only for ``friend`` channels; so are
    ``parent`` (a friend without a parent of her own: two levels at most) and ``override`` (the
    parent's cut of this channel's commission; share plus override at most 1). ``parent=""``
    removes the parent (and the override).
    """
    validate_channel_name(name)
    note = clean_text(note, multiline=True)
    if kind is not None and kind not in KINDS:
        raise InputError(f"Channel kind {kind!r} is not one of {', '.join(KINDS)}.")
    if share is not None and not (Decimal(0) < share <= Decimal(1)):
        raise InputError(f"Share {share} must be more than 0 and at most 1.")
    if threshold is not None and threshold.minor <= 0:
        raise InputError(f"Threshold {threshold} must be more than zero.")
    if override is not None and not (Decimal(0) < override <= Decimal(1)):
        raise InputError(f"Override {override} must be more than 0 and at most 1.")
    if parent:
        validate_channel_name(parent)
    with transaction(conn):
        row = conn.execute("SELECT * FROM channels WHERE name = ?", (name,)).fetchone()
        final_kind = kind or (row["kind"] if row else "other")
        stored_share = Decimal(row["share_rate"]) if row and row["share_rate"] else None
        final_share = share if share is not None else stored_share
        if final_share is not None and final_kind != "friend":
            raise InputError(
                f"Channel {name} is of kind {final_kind}: only a friend channel takes a `share`.",
                hint="Set `kind` to friend.", params=("share", "kind"),
            )
        if parent == "":
            final_parent, final_override = None, None
        else:
            final_parent = parent or (row["parent"] if row else None) or None
            stored_override = Decimal(row["override_rate"]) if row and row["override_rate"] else None
            final_override = override if override is not None else stored_override
        _check_levels(conn, name, final_kind, final_parent, final_share, final_override)
        if row is None:
            conn.execute(
                "INSERT INTO channels (name, kind, note, threshold_minor, threshold_currency, share_rate, created_at,"
                " parent, override_rate) VALUES (?,?,?,?,?,?,?,?,?)",
                (name, final_kind, note, threshold.minor if threshold else None,
                 threshold.currency if threshold else None, str(share) if share is not None else None,
                 to_utc_iso(utcnow()), final_parent,
                 str(final_override) if final_override is not None else None),
            )
        else:
            conn.execute(
                "UPDATE channels SET kind = ?, note = coalesce(?, note),"
                " threshold_minor = coalesce(?, threshold_minor), threshold_currency = coalesce(?, threshold_currency),"
                " share_rate = coalesce(?, share_rate) WHERE name = ?",
                (final_kind, note, threshold.minor if threshold else None, threshold.currency if threshold else None,
                 str(share) if share is not None else None, name),
            )
            conn.execute("UPDATE channels SET parent = ?, override_rate = ? WHERE name = ?",
                         (final_parent, str(final_override) if final_override is not None else None, name))
        stored = conn.execute("SELECT * FROM channels WHERE name = ?", (name,)).fetchone()
    return ChannelSaved(_row_to_channel(stored), created=row is None)


def list_channels(conn: sqlite3.Connection, *, kind: str | None = None) -> list[Channel]:
    """Every channel (or those of ``kind``), by name."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"Channel kind {kind!r} is not one of {', '.join(KINDS)}.")
    sql = "SELECT * FROM channels" + (" WHERE kind = ?" if kind else "") + " ORDER BY name"
    return [_row_to_channel(r) for r in conn.execute(sql, (kind,) if kind else ())]


def get_channel(conn: sqlite3.Connection, name: str) -> Channel:
    """The channel ``name``; NotFoundError when there is none."""
    row = conn.execute("SELECT * FROM channels WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFoundError(f"No channel named {name}.", hint=f"Add it with `sharekit channel add {name}`.")
    return _row_to_channel(row)


def self_channels(conn: sqlite3.Connection) -> list[str]:
    """Names of the ``self`` channels (one's own purchases: savings, not income), sorted."""
    return [r[0] for r in conn.execute("SELECT name FROM channels WHERE kind = 'self' ORDER BY name")]


def self_channel_for_link(conn: sqlite3.Connection) -> tuple[str, bool]:
    """The channel ``link create --self`` uses: the one ``self`` channel, else ``me`` (made as kind
    self when missing). Returns (name, created)."""
    names = self_channels(conn)
    if len(names) == 1 or (names and "me" in names):
        return (names[0] if len(names) == 1 else "me"), False
    if names:
        raise InputError(f"There are several self channels ({', '.join(names)}): pick one with --channel.")
    row = conn.execute("SELECT kind FROM channels WHERE name = 'me'").fetchone()
    if row is not None:
        raise InputError(f"Channel me is of kind {row[0]}, not self.",
                         hint="Make a self channel: `sharekit channel add mine --kind self`.")
    add_channel(conn, "me", kind="self", note="own purchases")
    return "me", True


def channel_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM channels")}


def _channel_columns(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every (table, column) that holds a channel name: ``channel`` columns and channel parents."""
    found = []
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for col in conn.execute(f'PRAGMA table_info("{table}")'):
            name = col[1]
            if name == "channel" or (table == "channels" and name in ("name", "parent")):
                found.append((table, name))
    return found


def channel_usage(conn: sqlite3.Connection, name: str) -> dict[str, int]:
    """How many rows of each table name channel ``name`` (links, orders, shares...)."""
    usage = {}
    for table, col in _channel_columns(conn):
        if (table, col) == ("channels", "name"):
            continue
        count = conn.execute(f'SELECT count(*) FROM "{table}" WHERE "{col}" = ?', (name,)).fetchone()[0]
        if count:
            usage[table] = usage.get(table, 0) + count
    return usage


def remove_channel(conn: sqlite3.Connection, name: str, *, force: bool = False) -> dict[str, int]:
    """Delete channel ``name``. Refused while links or orders use it unless ``force``; with it the
    links, orders and shares keep the name (history stays readable, reported as unmatched)."""
    get_channel(conn, name)
    usage = channel_usage(conn, name)
    used = {t: n for t, n in usage.items() if t in ("links", "orders")}
    if used and not force:
        listed = ", ".join(f"{n} {t}" for t, n in sorted(used.items()))
        raise InputError(f"Channel {name} is used by {listed}.",
                         hint="Use --force to remove it anyway (they keep the name), or `sharekit channel rename`.")
    with transaction(conn):
        conn.execute("DELETE FROM channels WHERE name = ?", (name,))
        if any(col == "parent" for t, col in _channel_columns(conn) if t == "channels"):
            conn.execute("UPDATE channels SET parent = NULL, override_rate = NULL WHERE parent = ?", (name,))
    return usage


def rename_channel(conn: sqlite3.Connection, old: str, new: str) -> dict[str, int]:
    """Rename channel ``old`` to ``new`` everywhere it is named (links, orders, shares, counters),
    in one transaction. Returns the rows changed per table."""
    validate_channel_name(new)
    get_channel(conn, old)
    if conn.execute("SELECT 1 FROM channels WHERE name = ?", (new,)).fetchone():
        raise InputError(f"Channel {new} already exists.", hint=f"Pick another name, or remove {new} first.")
    changed: dict[str, int] = {}
    try:
        with transaction(conn):
            # orders first: their triggers move the report_daily counters themselves
            columns = sorted(_channel_columns(conn), key=lambda tc: tc[0] != "orders")
            for table, col in columns:
                if table == "report_daily":
                    conn.execute("DELETE FROM report_daily WHERE channel = ? AND orders = 0 AND amount_minor = 0"
                                 " AND commission_minor = 0", (old,))
                cur = conn.execute(f'UPDATE "{table}" SET "{col}" = ? WHERE "{col}" = ?', (new, old))
                if cur.rowcount:
                    changed[table] = changed.get(table, 0) + cur.rowcount
    except sqlite3.IntegrityError:
        raise InputError(f"Cannot rename {old} to {new}: rows named {new} already exist (orders or counters).",
                         hint="Pick another name.") from None
    return changed
