"""The config schema: every key of config.toml, its type, default, range and help.

Adding a key is one line in :data:`KEYS` (or, for a source kind's own keys, in that kind's
``settings_keys``). Loading, ``config set``, ``config show`` and the README's key table all
read from here. ``*`` stands for a name the user picks (a source, a channel).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..core.settings import Setting as S
from ..core.settings import check, closest, type_word

KEYS: dict[str, S] = {
    "timezone": S("timezone", "Asia/Shanghai", "Time zone for days in reports and share history."),
    "currency": S("currency", "CNY", "Currency of reports and of sources that do not say."),
    "brand": S("table", help="Your shop's name, colour, slogan and logo on posters."),
    "brand.name": S("str", "My Shop", "Shop name printed on posters."),
    "brand.color": S("color", "#E4393C", "Accent colour of posters: a name (red, teal) or #hex."),
    "brand.slogan": S("str", "", "Slogan under the shop name."),
    "brand.logo": S("str", "", "Path of a logo image for posters."),
    "server": S("table", help="The click-tracking server."),
    "server.base_url": S("url", "", "Public address of `sharekit serve`; short links start with it."),
    "server.host": S("str", "127.0.0.1", "Address `sharekit serve` listens on."),
    "server.port": S("int", 8080, "Port `sharekit serve` listens on.", min=1, max=65535),
    "server.bot_patterns": S("list", help="Extra user-agent patterns counted as bots."),
    "poster": S("table", help="Poster rendering."),
    "poster.template": S("str", "moments", "Poster template name or .toml path."),
    "poster.quality": S("int", 88, "JPEG/WebP quality.", min=1, max=100),
    "poster.format": S("str", "jpg", "Poster file format.", choices=("jpg", "png", "webp")),
    "poster.font": S("str_or_list", help="Font file(s) for poster text (CJK capable)."),
    "poster.share_text": S("text", help="Share-text template: {title} {price} {original_price} {coupon_line} "
                                        "{share_text} {link}; type \\n for a new line."),
    "channels": S("table", help="Sharing limits, and per-channel supplier tags in [channels.NAME]."),
    "channels.min_days_between": S("int", 3, "Days before sharing a product to a channel again is a repeat.",
                                   min=0, max=365),
    "channels.max_shares_per_day": S("int", 20, "Shares per channel per day before a volume warning "
                                                "(groups and Moments; 0 = no limit).", min=0, max=10000),
    "channels.daily_count": S("int", 5, "Products `today` suggests per channel.", min=1, max=1000),
    "channels.*": S("table", help="Supplier tags of one channel (amazon_tag, taobao_relation_id, ...)."),
    "channels.*.*": S("scalar", help="A supplier tag for this channel."),
    "images": S("table", help="Product photo downloads."),
    "images.max_mb": S("number", 15, "Largest photo download, in MB.", above=0, max=1024),
    "images.timeout": S("number", 20, "Seconds allowed per photo download (the whole file).", above=0, max=3600),
    "images.workers": S("int", 8, "Parallel photo downloads.", min=1, max=64),
    "images.max_pixels": S("int", 40_000_000, "Largest photo size in pixels.", min=1),
    "feeds": S("table", help="Remote feed downloads."),
    "feeds.max_mb": S("number", 200, "Largest remote feed download, in MB.", above=0, max=10240),
    "feeds.timeout": S("number", 300, "Seconds allowed for one remote feed download (the whole file).",
                       above=0, max=86400),
    "catalog": S("table", help="Catalog rules."),
    "catalog.min_listing_share": S("number", 0.5, "A full listing smaller than this share of the known "
                                                  "catalog marks nothing unavailable.", min=0, max=1),
    "attribution": S("table", help="Crediting orders that came back without a channel."),
    "attribution.window": S("duration", "24h", "How long before an order a click may credit it."),
    "notify": S("table", help="Sending events to a webhook."),
    "notify.webhook": S("url", "", "Webhook URL for events (empty = off)."),
    "notify.secret": S("str", "", "HMAC secret signing webhook bodies; use ${VAR}.", secret=True),
    "notify.format": S("str", "json", "Webhook body format.", choices=("json", "wecom")),
    "today": S("table", help="The daily pick."),
    "today.weights": S("table", help="Weights of the parts of the daily-pick score."),
    "today.weights.*": S("number", help="Weight of one score part: drop, coupon, commission, channel, fresh."),
    "today.commission_ref": S("number", 20, "Commission per order (in the product's currency) that counts "
                                            "fully in the daily-pick score.", above=0, max=1_000_000),
    "reports": S("table", help="Reports."),
    "reports.max_invalid_rate": S("number", 0.2, "Refund/invalid rate above which a product is flagged.",
                                  min=0, max=1),
    "sources": S("table", help="One [sources.NAME] table per supplier."),
    "sources.*": S("table", help="A supplier: kind plus that kind's keys."),
}

# Keys every source may have, whatever its kind.
SOURCE_KEYS: dict[str, S] = {
    "kind": S("str", help="Source kind: feed, shopify, woocommerce, jd, pdd, taobao, amazon or a plugin's."),
    "timeout": S("number", 20, "Seconds per request.", above=0, max=3600),
    "retries": S("int", 4, "Retries of a failed request.", min=0, max=100),
    "rate_limit": S("number", help="Requests per second at most (0 = no limit).", min=0),
    "currency": S("currency", help="Currency of this source's prices."),
    "endpoint": S("url", help="API address (tests, proxies)."),
    "link_template": S("str", help="Link for kinds without an affiliate API: {url} {coupon_url} {channel} {id}."),
    "sync_lookback_hours": S("number", 24, "First sync reaches back this many hours.", above=0, max=24 * 365),
    "sync_overlap_minutes": S("number", 10, "Each sync re-reads this many minutes before the last.",
                              min=0, max=24 * 60),
    "image_dirs": S("list", help="Folders (besides the feed's own) a local feed may read images from."),
    "allow_private_hosts": S("bool", False, "Let this source reach private/loopback addresses."),
}

SCALAR = S("scalar")

# A function that answers a source kind's own keys (None: the kind is unknown or declares none).
KindKeys = Callable[[str], Mapping[str, S] | None]
_kind_keys: KindKeys | None = None


def set_kind_keys(resolver: KindKeys | None) -> None:
    """Tell the schema how to find a source kind's keys (the CLI wires the source registry in)."""
    global _kind_keys
    _kind_keys = resolver


def kind_keys(kind: str) -> Mapping[str, S] | None:
    if _kind_keys is None or not kind:
        return None
    try:
        return _kind_keys(kind)
    except Exception:  # an unknown or broken kind is reported when the source is used
        return None


def setting_for(dotted: str, data: Mapping[str, Any] | None = None) -> S | None:
    """The Setting of ``dotted`` (exact names before ``*`` patterns); None when unknown."""
    parts = dotted.split(".")
    if parts[0] == "sources" and len(parts) >= 3:
        name, key = parts[1], ".".join(parts[2:])
        if key in SOURCE_KEYS:
            return SOURCE_KEYS[key]
        kind = str(((data or {}).get("sources") or {}).get(name, {}).get("kind") or "") if data else ""
        own = kind_keys(kind) if kind else None
        return own.get(key) if own else None
    if dotted in KEYS:
        return KEYS[dotted]
    best: S | None = None
    for pattern, setting in KEYS.items():
        pp = pattern.split(".")
        if len(pp) == len(parts) and all(a == "*" or a == b for a, b in zip(pp, parts, strict=True)):
            if best is None:
                best = setting
    return best


def known_names(prefix: str = "", data: Mapping[str, Any] | None = None) -> list[str]:
    """Every concrete key name (patterns filled with the names in ``data``) for suggestions."""
    names = [k for k in KEYS if "*" not in k]
    data = data or {}
    for name, table in (data.get("sources") or {}).items():
        if not isinstance(table, Mapping):
            continue
        names += [f"sources.{name}.{k}" for k in SOURCE_KEYS]
        own = kind_keys(str(table.get("kind") or ""))
        names += [f"sources.{name}.{k}" for k in (own or {})]
    return [n for n in names if n.startswith(prefix)]


def is_open(dotted: str, data: Mapping[str, Any] | None) -> bool:
    """True where any key name is allowed: a source without a kind, or whose kind declares no keys,
    a channel's tag table, today.weights."""
    parts = dotted.split(".")
    if parts[0] == "sources" and len(parts) >= 3:
        kind = str(((data or {}).get("sources") or {}).get(parts[1], {}).get("kind") or "") if data else ""
        return not kind or kind_keys(kind) is None
    if parts[0] == "channels" and len(parts) == 3:
        return True
    return dotted.startswith("today.weights.")


def defaults() -> dict[str, Any]:
    """The default of every key that has one, as nested tables."""
    out: dict[str, Any] = {"sources": {}}
    for dotted, setting in KEYS.items():
        if "*" in dotted or setting.kind == "table" or setting.default is None:
            continue
        node = out
        *tables, leaf = dotted.split(".")
        for table in tables:
            node = node.setdefault(table, {})
        node[leaf] = setting.default
    return out


def markdown_table() -> str:
    """The README's table of keys: key, type, default, help."""
    rows = ["| key | type | default | what it does |", "| --- | --- | --- | --- |"]

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    def default_text(s: S) -> str:
        if s.default is None or s.default == "":
            return ""
        if isinstance(s.default, bool):
            return "true" if s.default else "false"
        return f"`{s.default}`" if isinstance(s.default, str) else str(s.default)

    for dotted, s in KEYS.items():
        if s.kind == "table" and dotted.count(".") == 0 and dotted != "sources":
            continue
        dotted = dotted.replace("*", "NAME", 1).replace("*", "KEY")
        rows.append(f"| `{dotted}` | {cell(s.describe())} | {cell(default_text(s))} | {cell(s.help)} |")
    for key, s in SOURCE_KEYS.items():
        rows.append(f"| `sources.NAME.{key}` | {cell(s.describe())} | {cell(default_text(s))} | {cell(s.help)} |")
    return "\n".join(rows)


def problems(data: Mapping[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """Every (dotted key, what is wrong, hint) in the file's ``data``, in file order."""
    yield from _check_table(data, [], data)


def _check_table(node: Mapping[str, Any], path: list[str], root: Mapping[str, Any]
                 ) -> Iterator[tuple[str, str, str | None]]:
    for key, value in node.items():
        parts = [*path, str(key)]
        dotted = ".".join(parts)
        setting = setting_for(dotted, root)
        near = None
        if setting is None or (_pattern_of(dotted) == "channels.*" and not isinstance(value, dict)):
            near = nearest(dotted, root)
        if setting is None:
            if is_open(dotted, root):
                continue
            where = _source_kind_words(parts, root)
            yield dotted, f"is not a known key{where}", f"Did you mean `{near}`?" if near else None
            continue
        if setting.kind == "table":
            if not isinstance(value, dict):
                if near:
                    yield dotted, "is not a known key", f"Did you mean `{near}`?"
                else:
                    yield dotted, f"must be a table ([{dotted}] with its keys below it), not {_word(value)}", None
                continue
            yield from _check_table(value, parts, root)
            continue
        why = check(setting, value)
        if why:
            yield dotted, why, None


def nearest(dotted: str, root: Mapping[str, Any]) -> str | None:
    """The closest known key, preferring the same table (``brand.colour`` -> ``brand.color``)."""
    parent = dotted.rsplit(".", 1)[0] + "." if "." in dotted else ""
    names = [n for n in known_names(data=root) if n != dotted]
    siblings = [n for n in names if n.startswith(parent) and n.count(".") == dotted.count(".")]
    return closest(dotted, siblings) or (None if parent else closest(dotted, names))


def _pattern_of(dotted: str) -> str:
    if dotted in KEYS:
        return dotted
    parts = dotted.split(".")
    for pattern in KEYS:
        pp = pattern.split(".")
        if len(pp) == len(parts) and all(a == "*" or a == b for a, b in zip(pp, parts, strict=True)):
            return pattern
    return dotted


def _source_kind_words(parts: list[str], root: Mapping[str, Any]) -> str:
    if parts[0] != "sources" or len(parts) < 3:
        return ""
    kind = ((root.get("sources") or {}).get(parts[1]) or {}).get("kind")
    return f" for a {kind} source" if kind else ""


def _word(value: Any) -> str:
    return type_word(value)
