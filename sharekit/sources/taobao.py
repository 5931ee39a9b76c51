"""Taobao / Alimama (淘宝联盟) through the TOP gateway.

Wire facts (Alimama TOP): one gateway URL, flat form parameters, a signature over
all of them sorted by key (``md5`` wraps the concatenation in the secret; ``hmac`` is HMAC-MD5
and ``hmac-sha256`` HMAC-SHA256 keyed with the secret; the ``sign_method`` value is itself one
of the signed parameters), wall-clock timestamps in GMT+8, ``<method>_response`` envelopes and
``error_response`` with a ``sub_code`` for business failures.

- products: ``taobao.tbk.dg.material.optional.upgrade`` (keyword search, ``adzone_id`` required);
- links: the item's ``coupon_share_url`` / ``click_url`` from the same search, asked for with the
  channel's ``relation_id`` (渠道ID) or the channel's own ``adzone_id`` (推广位), then a
  淘口令 from ``taobao.tbk.tpwd.create`` so the share text works inside WeChat;
- orders: ``taobao.tbk.order.details.get`` by update time, windows of at most 3 hours (20
  minutes with ``big_sale = true``), paged with ``position_index`` / ``jump_type``.

Channel tags are read from ``settings["channels"]`` (the config's ``[channels.NAME]`` tables,
keys ``taobao_relation_id`` / ``taobao_adzone_id``); without them links carry the source's
adzone and orders arrive without a channel.

This module is longer than the usual ~400 lines on purpose: it is one supplier's whole wire
protocol (signing, envelopes, error codes, products, links, orders), so a change on the
supplier's side is read and made in one file.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import httpx

from ..core.http import RetryableError
from ..core.money import Money
from ..core.settings import Setting
from ..core.timeutil import china_wall_clock, parse_china_wall_clock, utcnow
from ..errors import ConfigError, InputError, SourceAuthError, SourceError
from .base import OrderLine, OrderPage, Product, PromotionLink, Source, StoredProduct

DEFAULT_ENDPOINT = "https://eco.taobao.com/router/rest"
SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
SEARCH_METHOD = "taobao.tbk.dg.material.optional.upgrade"
ORDERS_METHOD = "taobao.tbk.order.details.get"
TPWD_METHOD = "taobao.tbk.tpwd.create"
MAX_PAGE_NO = 100  # order.details.get: page_no 1-100

# tk_status of an order line -> sharekit's normalised status
TK_STATUS = {"12": "pending", "14": "confirmed", "3": "settled", "13": "invalid"}
# Business sub-codes that mean "slow down" (3000/9100 account throttling, 3001 busy)
THROTTLE_SUB_CODES = {"3000", "3001", "9100"}
# Gateway codes: 7 app call limited, 520/530 remote service busy/timeout
THROTTLE_CODES = {"7", "520", "530"}
# Gateway codes for credentials and permissions: never worth a retry
AUTH_CODES = {"11", "12", "22", "25", "26", "27", "28", "29"}


def with_channels(config: Any, name: str) -> dict[str, Any]:
    """``config.source(name)`` plus the ``[channels.*]`` tables under ``channels``.

    Taobao (``taobao_relation_id`` / ``taobao_adzone_id``) and Amazon (``amazon_tag``) tag links
    and attribute orders per channel from those tables; build them with
    ``build_source(name, with_channels(ws.config, name))``.
    """
    settings = dict(config.source(name))
    tables = config.get("channels") or {}
    settings.setdefault("channels", {k: dict(v) for k, v in tables.items() if isinstance(v, Mapping)})
    return settings


def top_sign(params: Mapping[str, Any], secret: str, method: str = "md5") -> str:
    """The TOP signature of ``params`` (every key but ``sign``; empty values skipped), uppercase hex."""
    if method not in SIGN_METHODS:
        raise ValueError(f"unknown sign_method {method!r}")
    concat = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != "sign" and k and v not in (None, ""))
    data = concat.encode("utf-8")
    key = secret.encode("utf-8")
    if method == "md5":
        return hashlib.md5(key + data + key).hexdigest().upper()
    if method == "hmac":
        return hmac.new(key, data, hashlib.md5).hexdigest().upper()
    return hmac.new(key, data, hashlib.sha256).hexdigest().upper()


def response_key(method: str) -> str:
    """``taobao.tbk.order.details.get`` -> ``tbk_order_details_get_response``."""
    name = method[len("taobao."):] if method.startswith("taobao.") else method
    return name.replace(".", "_") + "_response"


def https(url: str | None) -> str | None:
    """Protocol-relative ``//host/x`` as ``https://host/x``."""
    if not url:
        return None
    url = str(url).strip()
    return "https:" + url if url.startswith("//") else url


def _yuan(value: Any, default: str = "0") -> Decimal:
    text = str(value).strip() if value not in (None, "") else default
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal(default)


def _rate(value: Any) -> Decimal | None:
    """A Taobao rate as a fraction: ``"10.00"`` (percent) or ``1550`` (x100, the older unit)."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return (number / 10000 if number > 100 else number / 100).normalize()


def _unwrap_list(node: Any, key: str) -> list[Any]:
    """Lists arrive wrapped (``{"map_data": [...]}``) unless ``simplify=true``; accept both."""
    if node is None:
        return []
    if isinstance(node, list):
        return node
    if isinstance(node, Mapping):
        inner = node.get(key)
        if isinstance(inner, list):
            return inner
        if isinstance(inner, Mapping):
            return [inner]
    return []


def _cny(value: Any) -> Money | None:
    return Money.from_decimal(_yuan(value), "CNY") if value not in (None, "") else None


_RULE = re.compile(r"满\s*([0-9.]+)\s*元?\s*减\s*([0-9.]+)")


def taobao_coupon(item: Mapping[str, Any], price: Money | None) -> tuple[Money | None, Money | None]:
    """``(coupon, threshold)`` of a material item, from the first of:

    ``coupon_amount`` / ``coupon_start_fee`` (yuan; the classic material API, top level or in
    ``coupon_info``-style blocks); a ``…券`` step of ``final_promotion_path_list`` (its
    ``promotion_fee``, the threshold from a ``满X减Y`` ``promotion_desc``); else what
    ``final_promotion_price`` takes off ``zk_final_price`` (threshold unknown, so none)."""
    price_info = item.get("price_promotion_info") or {}
    for block in (item, price_info, item.get("publish_info") or {}, item.get("coupon_info") or {}):
        if isinstance(block, Mapping) and block.get("coupon_amount") not in (None, "", "0", 0):
            coupon = _cny(block.get("coupon_amount"))
            start = _cny(block.get("coupon_start_fee"))
            return (coupon if coupon and coupon.minor > 0 else None,
                    start if start and start.minor > 0 else None)
    steps = _unwrap_list(price_info.get("final_promotion_path_list"), "final_promotion_path_map_data")
    for step in steps:
        if isinstance(step, Mapping) and "券" in str(step.get("promotion_title") or ""):
            coupon = _cny(step.get("promotion_fee"))
            rule = _RULE.search(str(step.get("promotion_desc") or ""))
            threshold = _cny(rule.group(1)) if rule else None
            if coupon and coupon.minor > 0:
                return coupon, threshold
    final = _cny(price_info.get("final_promotion_price"))
    if price is not None and final is not None and 0 < final.minor < price.minor:
        return price - final, None
    return None, None


class TaobaoSource(Source):
    """Alimama's TOP API: material search, click / coupon links with 淘口令, order details."""

    kind: ClassVar[str] = "taobao"
    supports_links: ClassVar[bool] = True
    supports_orders: ClassVar[bool] = True
    description: ClassVar[str] = "Taobao / Tmall through Alimama (淘宝联盟) TOP API"
    example_settings = {"app_key": "key", "app_secret": "secret", "adzone_id": "1"}
    required_keys: ClassVar[tuple[str, ...]] = ("app_key", "app_secret", "adzone_id")
    settings_keys: ClassVar[Mapping[str, Setting] | None] = {
        "app_key": Setting("scalar", help="Taobao open platform app key."),
        "app_secret": Setting("str", help="App secret; use ${VAR}.", secret=True),
        "adzone_id": Setting("scalar", help="Default promotion position (adzone) id."),
        "sign_method": Setting("str", "md5", "Request signing.", choices=tuple(SIGN_METHODS)),
        "big_sale": Setting("bool", False, "Use the big-sale (大促) material."),
        "page_size": Setting("int", 100, "Products per request.", min=1, max=100),
        "material_id": Setting("scalar", help="Material id pulled without a query."),
        "sort": Setting("str", help="Sort order of searches."),
        "check_query": Setting("str", "手机", "Search `source check` runs."),
        "tpwd": Setting("bool", True, "Create 淘口令 share texts."),
        "order_scene": Setting("scalar", help="Order scene of order queries."),
        "member_type": Setting("scalar", help="Member type of order queries."),
    }
    order_window = timedelta(hours=3)
    BIG_SALE_WINDOW: ClassVar[timedelta] = timedelta(minutes=20)
    default_rate_limit: ClassVar[float | None] = 10.0  # well below the ~40/s account-wide API share

    def __init__(self, name: str, settings: Mapping[str, Any], *, client: httpx.Client | None = None,
                 sleep: Any = None, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(name, settings, client=client, sleep=sleep)
        self.endpoint = str(self.settings.get("endpoint") or DEFAULT_ENDPOINT)
        self.sign_method = str(self.settings.get("sign_method") or "md5").lower()
        if self.sign_method not in SIGN_METHODS:
            raise ConfigError(f"Source `{name}`: sign_method must be one of {', '.join(SIGN_METHODS)}, "
                              f"not {self.sign_method!r}.")
        if _truthy(self.settings.get("big_sale")):
            self.order_window = self.BIG_SALE_WINDOW  # instance override: 大促 windows are 20 min
        self.page_size = max(1, min(100, int(self.settings.get("page_size", 100))))
        self.clock = clock or utcnow
        self.channels: dict[str, dict[str, Any]] = {
            str(k): dict(v) for k, v in (self.settings.get("channels") or {}).items() if isinstance(v, Mapping)
        }

    # transport -----------------------------------------------------------------------------
    def signed_params(self, method: str, business: Mapping[str, Any]) -> dict[str, str]:
        """System + business parameters, stringified, with ``sign`` added."""
        params: dict[str, str] = {
            "method": method,
            "app_key": str(self.settings["app_key"]),
            "timestamp": china_wall_clock(self.clock()),
            "v": "2.0",
            "format": "json",
            "sign_method": self.sign_method,
        }
        for key, value in business.items():
            if value is None or value == "":
                continue
            params[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        params["sign"] = top_sign(params, str(self.settings["app_secret"]), self.sign_method)
        return params

    def call(self, method: str, business: Mapping[str, Any]) -> dict[str, Any]:
        """One signed TOP call; returns the ``<method>_response`` object."""
        params = self.signed_params(method, business)
        key = response_key(method)

        def check(response: httpx.Response) -> dict[str, Any]:
            if response.status_code >= 400:
                raise SourceError(self.name, f"{method} answered HTTP {response.status_code}.")
            try:
                body = response.json()
            except ValueError:
                raise SourceError(self.name, f"{method} answered something that is not JSON.") from None
            if not isinstance(body, dict):
                raise SourceError(self.name, f"{method} answered an unexpected JSON shape.")
            if "error_response" in body:
                self._raise_error(method, body["error_response"] or {})
            payload = body.get(key)
            if not isinstance(payload, dict):
                raise SourceError(self.name, f"{method} answered without `{key}`.")
            return payload

        return self.http.request("POST", self.endpoint, data=params, check=check, what=method)

    def _raise_error(self, method: str, error: Mapping[str, Any]) -> None:
        code = str(error.get("code", ""))
        sub_code = str(error.get("sub_code", "") or "")
        sub_msg = str(error.get("sub_msg") or error.get("msg") or "").strip()
        detail = f"code {code}" + (f", {sub_code}" if sub_code else "") + (f": {sub_msg}" if sub_msg else "")
        lowered = sub_code.lower()
        if (sub_code in THROTTLE_SUB_CODES or code in THROTTLE_CODES or "limited" in lowered
                or "service-unavailable" in lowered or lowered.startswith("isp.top-remote")):
            raise RetryableError(f"{method} throttled ({detail})", throttled=True)
        if code in AUTH_CODES or "permission" in lowered or "invalid-signature" in lowered:
            raise SourceAuthError(self.name, f"{method} was refused ({detail}).",
                                  hint="Check app_key, app_secret, sign_method and the app's API permissions.")
        raise SourceError(self.name, f"{method} failed ({detail}).")

    # catalog -------------------------------------------------------------------------------
    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        if ids:
            raise InputError("Taobao products are found by keyword: give a `query` (the search API has no id lookup).",
                             params=("query",))
        if not query:
            raise InputError("Taobao's material search needs a keyword: give a `query`.", params=("query",))
        fetched = 0
        page_no = 1
        while True:
            # one page size for the whole walk: page_no * page_size is the server's offset
            size = self.page_size if limit is None else max(1, min(self.page_size, limit))
            payload = self.call(SEARCH_METHOD, self._search_params(query, page_no, size))
            items = _unwrap_list(payload.get("result_list"), "map_data")
            products = [self.to_product(item) for item in items if item.get("item_id")]
            if limit is not None:
                products = products[: limit - fetched]
            if products:
                yield products
            fetched += len(products)
            total = int(payload.get("total_results") or 0)
            if not items or (limit is not None and fetched >= limit) or page_no * size >= total:
                return
            page_no += 1

    def _search_params(self, query: str, page_no: int, size: int, *, adzone_id: str | None = None,
                       relation_id: str | None = None) -> dict[str, Any]:
        return {
            "adzone_id": adzone_id or self.settings["adzone_id"],
            "q": query,
            "material_id": self.settings.get("material_id"),
            "page_no": page_no,
            "page_size": size,
            "sort": self.settings.get("sort"),
            "relation_id": relation_id,
        }

    def to_product(self, item: Mapping[str, Any]) -> Product:
        basic = item.get("item_basic_info") or {}
        price_info = item.get("price_promotion_info") or {}
        publish = item.get("publish_info") or {}
        reserve = price_info.get("reserve_price")
        zk = price_info.get("zk_final_price")
        price = _cny(zk or reserve)           # zk_final_price: what it sells for now
        original = _cny(reserve or zk)        # reserve_price: the list price
        discount, threshold = taobao_coupon(item, price)
        images = [https(basic.get("pict_url"))] + [https(u) for u in _unwrap_list(basic.get("small_images"), "string")]
        seen: list[str] = []
        for image in images:
            if image and image not in seen:
                seen.append(image)
        income = publish.get("income_info") or {}
        rate = _rate(publish.get("income_rate") or income.get("commission_rate"))
        click_url = https(publish.get("click_url"))
        coupon_url = https(publish.get("coupon_share_url"))
        return Product(
            native_id=str(item["item_id"]),
            title=str(basic.get("title") or basic.get("short_title") or item["item_id"]),
            currency="CNY",
            price=price,
            original_price=original,
            coupon=discount,
            coupon_threshold=threshold,
            coupon_url=coupon_url,
            commission_rate=rate,
            url=coupon_url or click_url,
            image_urls=seen,
            available=True,
            brand=basic.get("brand_name") or None,
            extra={
                "click_url": click_url,
                "coupon_share_url": coupon_url,
                "shop_title": basic.get("shop_title"),
                "user_type": basic.get("user_type"),
                "volume": basic.get("volume"),
                "coupon_end": _coupon_end(item, price_info),
            },
        )

    def check(self) -> str:
        query = str(self.settings.get("check_query") or "手机")
        payload = self.call(SEARCH_METHOD, self._search_params(query, 1, 1))
        return f"ok: material search answered ({payload.get('total_results', 0)} results for {query!r})"

    # links ---------------------------------------------------------------------------------
    def channel_tag(self, channel: str) -> dict[str, str]:
        """The channel's Taobao tag: ``relation_id`` and/or ``adzone_id`` from ``[channels.NAME]``."""
        table = self.channels.get(channel) or {}
        tag: dict[str, str] = {}
        if table.get("taobao_relation_id"):
            tag["relation_id"] = str(table["taobao_relation_id"])
        if table.get("taobao_adzone_id"):
            tag["adzone_id"] = str(table["taobao_adzone_id"])
        return tag

    def promotion_link(self, product: StoredProduct, channel: str) -> PromotionLink:
        """The item's coupon/click link tagged with the channel, plus its 淘口令 as share text."""
        native_id, title = product.native_id, product.title
        tag = self.channel_tag(channel) if channel else {}
        extra_stored = product.extra
        url: str | None = None
        if not tag:
            # untagged: the link the search already gave under the source's own adzone
            url = extra_stored.get("coupon_share_url") or extra_stored.get("click_url")
        if not url:
            url = self._search_link(native_id, title or native_id, tag)
        extra: dict[str, Any] = {"channel_tag": tag or None, "attributed": bool(tag)}
        share_text = None
        if _truthy(self.settings.get("tpwd", True)):
            share_text = self._tpwd(url, title or "好物推荐", extra)
        return PromotionLink(url=url, share_text=share_text, extra=extra)

    def _search_link(self, native_id: str, title: str, tag: Mapping[str, str]) -> str:
        payload = self.call(SEARCH_METHOD, self._search_params(
            title, 1, 20, adzone_id=tag.get("adzone_id"), relation_id=tag.get("relation_id")))
        for item in _unwrap_list(payload.get("result_list"), "map_data"):
            if str(item.get("item_id")) == native_id:
                publish = item.get("publish_info") or {}
                url = https(publish.get("coupon_share_url")) or https(publish.get("click_url"))
                if url:
                    return url
        raise SourceError(self.name, f"item {native_id} is no longer returned by the material search, "
                          "so no promotion link can be made.", hint="Pull the product again or pick another.")

    def _tpwd(self, url: str, title: str, extra: dict[str, Any]) -> str | None:
        text = title if len(title) > 5 else f"{title} 好物推荐"
        try:
            payload = self.call(TPWD_METHOD, {"text": text[:60], "url": url, "logo": None})
        except SourceAuthError as exc:  # no tpwd permission: the link itself still works
            extra["tpwd_error"] = exc.message
            return None
        data = payload.get("data") or {}
        return data.get("model") or data.get("password_simple") or None

    # orders --------------------------------------------------------------------------------
    def channel_for(self, order: Mapping[str, Any]) -> str:
        """Map an order's relation_id / adzone_id back to the channel that carries it."""
        relation = str(order.get("relation_id") or "")
        adzone = str(order.get("adzone_id") or "")
        for name, table in self.channels.items():
            if relation and relation != "0" and str(table.get("taobao_relation_id") or "") == relation:
                return name
        for name, table in self.channels.items():
            if adzone and str(table.get("taobao_adzone_id") or "") == adzone:
                return name
        return ""

    def iter_orders(self, start: datetime, end: datetime,
                    cursor: dict[str, Any] | None = None) -> Iterator[OrderPage]:
        """Order lines updated in ``[start, end)``; longer spans are cut into allowed windows.

        ``page_no`` may not pass 100 (the TOP order API's limit): a window that still has a next page at
        page 100 is halved and both halves are read from page 1 (rows read twice are harmless:
        the store upserts). The cursor carries the parts still to read.
        """
        window = self.order_window or timedelta(hours=3)
        parts, page_no, position = self._resume_plan(start, end, window, dict(cursor or {}))
        while parts:
            lo, hi = parts[0]
            business: dict[str, Any] = {
                "query_type": 4,
                "start_time": china_wall_clock(lo),
                "end_time": china_wall_clock(hi),
                "page_size": self.page_size,
                "page_no": page_no,
                "order_scene": self.settings.get("order_scene"),
                "member_type": self.settings.get("member_type"),
            }
            if page_no > 1:
                business["position_index"] = position
                business["jump_type"] = 1
            payload = self.call(ORDERS_METHOD, business)
            data = payload.get("data") or {}
            rows = _unwrap_list(data.get("results"), "publisher_order_dto")
            lines = [self.to_order_line(row) for row in rows]
            if "has_next" in data:
                has_next = _truthy(data.get("has_next")) and bool(rows)
            else:  # no has_next at all: a full page may have a successor
                has_next = len(rows) >= self.page_size
            position = data.get("position_index") or position
            if has_next and page_no >= MAX_PAGE_NO:
                if hi - lo <= timedelta(seconds=2):
                    raise SourceError(self.name, f"more than {MAX_PAGE_NO * self.page_size} orders were updated "
                                      f"between {china_wall_clock(lo)} and {china_wall_clock(hi)}; "
                                      "Taobao pages stop at 100.")
                middle = lo + timedelta(seconds=int((hi - lo).total_seconds()) // 2)
                parts[:1] = [(lo, middle), (middle, hi)]
                page_no, position = 1, None
            elif has_next:
                page_no += 1
            else:
                parts.pop(0)
                page_no, position = 1, None
            next_cursor: dict[str, Any] | None = None
            if parts:
                next_cursor = {"window_start": parts[0][0].astimezone(UTC).isoformat(), "page_no": page_no,
                               "parts": [[a.astimezone(UTC).isoformat(), b.astimezone(UTC).isoformat()]
                                         for a, b in parts]}
                if page_no > 1:
                    next_cursor["position_index"] = position
            yield OrderPage(lines=lines, next_cursor=next_cursor)

    def _resume_plan(self, start: datetime, end: datetime, window: timedelta,
                     cursor: dict[str, Any]) -> tuple[list[tuple[datetime, datetime]], int, Any]:
        """The windows still to read and the page to start the first at, from a cursor."""
        def grid(lo: datetime) -> list[tuple[datetime, datetime]]:
            out = []
            while lo < end:
                out.append((lo, min(end, lo + window)))
                lo = out[-1][1]
            return out

        page_no, position = int(cursor.get("page_no") or 1), cursor.get("position_index")
        if cursor.get("parts"):
            try:
                parts = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in cursor["parts"]]
            except (TypeError, ValueError):
                parts = []
            if parts and all(start <= a < b <= end and b - a <= window for a, b in parts):
                return parts + grid(parts[-1][1]), page_no, position
            return grid(start), 1, None  # a cursor from another span: start this one afresh
        resume_at = datetime.fromisoformat(cursor["window_start"]) if cursor.get("window_start") else None
        if resume_at is None and cursor.get("page_no"):
            resume_at = start  # a bare {page_no, position_index}: a page of this window
        if resume_at is None or not start <= resume_at < end:
            return grid(start), 1, None
        parts = [(lo, hi) for lo, hi in grid(start) if hi > resume_at]
        return parts, page_no, position

    def to_order_line(self, row: Mapping[str, Any]) -> OrderLine:
        raw = str(row.get("tk_status", "")).strip()
        status = TK_STATUS.get(raw, "unknown")
        created = _wall(row.get("tk_create_time")) or _wall(row.get("tk_paid_time"))
        if created is None:
            raise SourceError(self.name, f"order line {row.get('trade_id')} has no tk_create_time.")
        updated = _wall(row.get("modified_time")) or _wall(row.get("tk_earning_time")) or created
        settled = _wall(row.get("tk_earning_time"))
        pre_fee = _yuan(row.get("pub_share_pre_fee"))
        fee = _yuan(row.get("pub_share_fee"))
        commission = fee if status == "settled" and fee > 0 else pre_fee
        quantity = int(row["item_num"]) if str(row.get("item_num", "")).isdigit() else None
        unit = row.get("item_price")
        refund = str(row.get("refund_tag", "0") or "0")
        return OrderLine(
            row_id=str(row["trade_id"]),
            order_id=str(row.get("trade_parent_id") or row["trade_id"]),
            status=status,
            raw_status=raw,
            amount=Money.from_decimal(_yuan(row.get("alipay_total_price")), "CNY"),
            commission=Money.from_decimal(commission, "CNY"),
            ordered_at=created,
            updated_at=updated,
            product_native_id=str(row["item_id"]) if row.get("item_id") else None,
            product_title=row.get("item_title"),
            channel=self.channel_for(row),
            list_amount=(Money.from_decimal(_yuan(unit) * (quantity or 1), "CNY") if unit not in (None, "") else None),
            quantity=quantity,
            refund_tag=refund if refund not in ("", "0") else None,
            settled_at=settled if status == "settled" else None,
            extra={k: row.get(k) for k in ("adzone_id", "adzone_name", "relation_id", "special_id", "site_id",
                                          "order_type", "pay_price", "pub_share_fee", "pub_share_pre_fee",
                                          "tk_paid_time", "item_img") if row.get(k) not in (None, "")},
        )


def _wall(value: Any) -> datetime | None:
    if not value or not str(value).strip():
        return None
    try:
        return parse_china_wall_clock(str(value))
    except ValueError:
        return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _coupon_end(item: dict[str, Any], price_info: dict[str, Any]) -> Any:
    """When the item's coupon ends: the older API's ``coupon_end_time`` (a date), else the earliest
    ``promotion_end_time`` (ms) of a coupon (券) step in ``final_promotion_path_list``."""
    for holder in (item, item.get("coupon_info") or {}, price_info):
        if isinstance(holder, dict) and holder.get("coupon_end_time"):
            return holder["coupon_end_time"]
    steps = _unwrap_list(price_info.get("final_promotion_path_list"), "final_promotion_path_map_data")
    ends = [s.get("promotion_end_time") for s in steps
            if isinstance(s, dict) and "券" in str(s.get("promotion_title") or "") and s.get("promotion_end_time")]
    numbers = [int(v) for v in ends if str(v).isdigit()]
    return min(numbers) if numbers else None
