"""Pinduoduo 多多进宝 (open.pinduoduo.com): goods search, tagged promotion links, order increments.

Transport (Pinduoduo open platform): POST ``application/x-www-form-urlencoded`` to the router
with every parameter (system and business) flat in the body; arrays and objects travel as
compact JSON strings and are signed as those strings. The signature is the MD5
"secret-wrapped sorted key+value". Success is ``{"<api>_response": {...}}``, failure
``{"error_response": {"error_code": N, "error_msg": ..., "sub_code": ..., "sub_msg": ...}}``.
Money is integer fen, rates per mille, times Unix seconds.

Settings (``[sources.NAME]``, secrets also from ``SHAREKIT_<NAME>_<KEY>``): ``client_id``,
``client_secret``, ``pid`` (required); ``endpoint``; ``order_page_size`` (10-100);
``rate_limit`` (req/s).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from ..core.http import RetryableError
from ..core.money import Money
from ..core.settings import Setting
from ..core.timeutil import utcnow
from ..errors import SourceAuthError, SourceError
from .base import OrderLine, OrderPage, Product, PromotionLink, Source, StoredProduct
from .signing import md5_wrap

DEFAULT_ENDPOINT = "https://gw-api.pinduoduo.com/api/router"
CURRENCY = "CNY"

GOODS_SEARCH = "pdd.ddk.goods.search"
LINK_GENERATE = "pdd.ddk.goods.promotion.url.generate"
ORDER_INCREMENT = "pdd.ddk.order.list.increment.get"
RESPONSE_KEYS = {
    GOODS_SEARCH: "goods_search_response",
    LINK_GENERATE: "goods_promotion_url_generate_response",
    ORDER_INCREMENT: "order_list_get_response",
}
RETRY_CODES = {52101, 52102, 52103, 70031}
MAX_ORDER_PAGE = 10_000  # order.list.increment.get: page 1-10000

# order_status → normalised status (section 2.6; -1 and 8 are from older docs).
STATUS_MAP = {0: "pending", 1: "pending", 2: "confirmed", 3: "confirmed", 5: "settled", 4: "invalid",
              10: "invalid", -1: "pending", 8: "invalid"}


def fen(value: Any) -> Money | None:
    """A PDD fen amount (an integer) as Money."""
    if value is None or value == "":
        return None
    return Money(int(value), CURRENCY)


def pdd_status(code: Any) -> str:
    try:
        return STATUS_MAP.get(int(code), "unknown")
    except (TypeError, ValueError):
        return "unknown"


def channel_from_custom(custom: Any) -> str:
    """The channel a link carried: ``sid`` of custom_parameters (JSON), else the raw value."""
    if custom in (None, ""):
        return ""
    if isinstance(custom, Mapping):
        return str(custom.get("sid") or "")
    try:
        parsed = json.loads(str(custom))
    except ValueError:
        return str(custom)
    if isinstance(parsed, Mapping):
        return str(parsed.get("sid") or "")
    return str(custom)


def wire_value(value: Any) -> str:
    """A business value as it is sent and signed: JSON for lists/objects, true/false, text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _utc(seconds: Any) -> datetime | None:
    if seconds in (None, "", 0, "0"):
        return None
    return datetime.fromtimestamp(int(seconds), UTC)


class PddSource(Source):
    """Pinduoduo: pdd.ddk.goods.search, promotion.url.generate, order.list.increment.get."""

    kind: ClassVar[str] = "pdd"
    supports_links = True
    supports_orders = True
    description: ClassVar[str] = "Pinduoduo 多多进宝 open platform"
    example_settings = {"client_id": "id", "client_secret": "secret", "pid": "1_2"}
    required_keys: ClassVar[tuple[str, ...]] = ("client_id", "client_secret", "pid")
    settings_keys: ClassVar[Mapping[str, Setting] | None] = {
        "client_id": Setting("scalar", help="多多进宝 client id."),
        "client_secret": Setting("str", help="多多进宝 client secret; use ${VAR}.", secret=True),
        "pid": Setting("scalar", help="Your promotion position (pid)."),
        "order_page_size": Setting("int", 100, "Order rows per request.", min=10, max=100),
    }
    order_window = timedelta(hours=24)
    order_lookback: ClassVar[timedelta] = timedelta(days=90)
    default_rate_limit: ClassVar[float | None] = 5.0

    def __init__(self, name: str, settings: Mapping[str, Any], *, client: httpx.Client | None = None,
                 sleep: Any = None, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(name, settings, client=client, sleep=sleep)
        s = self.settings
        self.endpoint = str(s.get("endpoint") or DEFAULT_ENDPOINT)
        self.client_id = str(s["client_id"])
        self._secret = str(s["client_secret"])
        self.pid = str(s["pid"])
        self.order_page_size = max(10, min(100, int(s.get("order_page_size", 100))))
        self.clock = clock

    # transport -----------------------------------------------------------------------------
    def call(self, api: str, business: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``api`` with flat business params; the inner object of its ``*_response``."""
        params = {k: wire_value(v) for k, v in business.items() if v is not None and v != ""}
        params.update({"type": api, "client_id": self.client_id, "data_type": "JSON",
                       "timestamp": str(int(self.clock().timestamp()))})
        params["sign"] = md5_wrap(params, self._secret)
        return self.http.request("POST", self.endpoint, data=params, check=self._checker(api), what=api)

    def _checker(self, api: str) -> Callable[[httpx.Response], dict[str, Any]]:
        def check(response: httpx.Response) -> dict[str, Any]:
            if response.status_code >= 400:
                raise SourceError(self.name, f"{api} answered HTTP {response.status_code}.")
            try:
                doc = json.loads(response.text)
            except ValueError:
                raise SourceError(self.name, f"{api} answered something that is not JSON.") from None
            if not isinstance(doc, dict):
                raise SourceError(self.name, f"{api} answered an unexpected JSON shape.")
            if "error_response" in doc:
                self._error(api, doc["error_response"] or {})
            body = doc.get(RESPONSE_KEYS.get(api, ""))
            if body is None:
                body = next((v for k, v in doc.items() if k.endswith("_response")), None)
            if not isinstance(body, dict):
                raise SourceError(self.name, f"{api} answered without its `{RESPONSE_KEYS.get(api)}` object.")
            return body

        return check

    def _error(self, api: str, err: Mapping[str, Any]) -> None:
        try:
            code = int(err.get("error_code"))
        except (TypeError, ValueError):
            code = -1
        msg = " ".join(str(err.get(k) or "") for k in ("error_msg", "sub_msg")).strip()
        if code in RETRY_CODES:
            raise RetryableError(f"{api} error {code}: rate limited or unavailable ({msg})", throttled=True)
        text = msg.lower()
        what = f"{api} refused (error {code}: {msg or 'no message'})"
        if "sign" in text or "签名" in text:
            raise SourceAuthError(self.name, f"{what}: the signature did not match.",
                                  hint=f"Check sources.{self.name}.client_secret "
                                       f"(or {self.env_name('client_secret')}).")
        if "client_id" in text or "client id" in text:
            raise SourceAuthError(self.name, f"{what}: the client id is not valid.",
                                  hint=f"Check sources.{self.name}.client_id.")
        if code == 10019 or "access_token" in text:
            raise SourceAuthError(self.name, f"{what}: the access token expired.", hint="Authorise the app again.")
        if "权限" in text or "permission" in text or "备案" in text or "授权" in text:
            raise SourceAuthError(self.name, f"{what}: no permission.",
                                  hint=f"Bind (备案) pid {self.pid} and check the app's API permissions.")
        raise SourceError(self.name, f"{what}.")

    # products ------------------------------------------------------------------------------
    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        """Pages of pdd.ddk.goods.search results (keyword, or goods_sign ids)."""
        business: dict[str, Any] = {"pid": self.pid}
        if ids:
            business["goods_sign_list"] = list(ids)
        if query:
            business["keyword"] = query
        seen, page, list_id = 0, 1, None
        while limit is None or seen < limit:
            size = 100 if limit is None else max(10, min(100, limit - seen))
            result = self.call(GOODS_SEARCH, {**business, "page": page, "page_size": size, "list_id": list_id})
            goods = result.get("goods_list") or []
            products = [self.product(g) for g in goods]
            if limit is not None:
                products = products[: limit - seen]
            if products:
                seen += len(products)
                yield products
            total = int(result.get("total_count") or 0)
            if len(goods) < size or (total and page * size >= total) or page >= 100:
                return
            list_id = result.get("list_id") or list_id
            page += 1

    def product(self, g: Mapping[str, Any]) -> Product:
        """A PDD goods item as a Product (fen stay integers, per-mille → rate)."""
        # min_group_price (拼单价) is what it sells for; min_normal_price (单买价) the list price;
        # the coupon (coupon_discount, 满 coupon_min_order_amount) comes off the group price.
        group_price = fen(g.get("min_group_price"))
        normal_price = fen(g.get("min_normal_price"))
        coupon = fen(g.get("coupon_discount")) if g.get("has_coupon") else None
        threshold = fen(g.get("coupon_min_order_amount")) if coupon is not None else None
        rate = g.get("promotion_rate")
        goods_id = g.get("goods_id")
        images = [u for u in [g.get("goods_image_url"), g.get("goods_thumbnail_url"),
                              *(g.get("goods_gallery_urls") or [])] if u]
        extra = {
            "goods_id": goods_id, "search_id": g.get("search_id"), "normal_price": g.get("min_normal_price"),
            "coupon_min_order_amount": g.get("coupon_min_order_amount"), "coupon_end": g.get("coupon_end_time"),
            "mall_id": g.get("mall_id"), "mall_name": g.get("mall_name"), "merchant_type": g.get("merchant_type"),
            "sales_tip": g.get("sales_tip"), "category": g.get("category_name") or g.get("opt_name"),
        }
        return Product(
            native_id=str(g.get("goods_sign") or goods_id),
            title=str(g.get("goods_name") or ""),
            currency=CURRENCY,
            price=group_price,
            original_price=normal_price if normal_price is not None else group_price,
            coupon=coupon,
            coupon_threshold=threshold,
            commission_rate=(Decimal(int(rate)) / 1000) if rate not in (None, "") else None,
            url=f"https://mobile.yangkeduo.com/goods.html?goods_id={goods_id}" if goods_id else None,
            image_urls=list(dict.fromkeys(images)),
            description=g.get("goods_desc") or None,
            brand=g.get("brand_name") or None,
            extra={k: v for k, v in extra.items() if v not in (None, "")},
        )

    def check(self) -> str:
        result = self.call(GOODS_SEARCH, {"pid": self.pid, "page": 1, "page_size": 10})
        return f"{GOODS_SEARCH} answered ({result.get('total_count', 0)} goods)"

    # links ---------------------------------------------------------------------------------
    def promotion_link(self, product: StoredProduct, channel: str) -> PromotionLink:
        """A promotion URL with ``custom_parameters = {"sid": channel}``; the link keeps PDD's
        ``we_app_info`` (the mini-program's ``app_id`` and ``page_path``) for share texts."""
        native_id = product.native_id
        business: dict[str, Any] = {"p_id": self.pid, "goods_sign_list": [native_id], "generate_short_url": True,
                                    "generate_we_app": True,
                                    "search_id": product.extra.get("search_id")}
        if channel:
            business["custom_parameters"] = {"sid": channel}
        result = self.call(LINK_GENERATE, business)
        items = result.get("goods_promotion_url_list") or []
        if not items:
            raise SourceError(self.name, f"{LINK_GENERATE} answered no URL for {native_id}.")
        item = items[0]
        url = item.get("mobile_url") or item.get("url")
        if not url:
            raise SourceError(self.name, f"{LINK_GENERATE} answered an item without a URL for {native_id}.")
        extra = {k: item[k] for k in ("url", "short_url", "schema_url", "we_app_web_view_url", "we_app_info")
                 if item.get(k)}
        return PromotionLink(url=url, short_url=item.get("mobile_short_url") or item.get("short_url") or None,
                             extra=extra)

    # orders --------------------------------------------------------------------------------
    def iter_orders(self, start: datetime, end: datetime,
                    cursor: dict[str, Any] | None = None) -> Iterator[OrderPage]:
        """Orders updated in ``[start, end]`` (≤ 24 h), read from the last page backwards.

        PDD advises paging backwards so a row whose update time moves during the scan cannot
        shift an unread row onto a page already read. The first call only counts the rows.
        An answer without ``total_count`` (the response has no ``has_next``) is read forwards
        until a page holds fewer than ``page_size`` rows, as the reference allows.
        """
        if end - start > timedelta(hours=24):
            raise ValueError("PDD order windows are at most 24 hours")
        s, e = int(start.timestamp()), int(end.timestamp())
        size = self.order_page_size
        if cursor and "forward_page" in cursor:
            yield from self._forward(s, e, int(cursor["forward_page"]), None)
            return
        if cursor and "page" in cursor:
            page = int(cursor["page"])
        else:
            first = self._orders(s, e, 1, count=True)
            rows = first.get("order_list") or []
            if first.get("total_count") in (None, ""):
                # No count to page backwards from: the documented fallback is to read forwards
                # until a page comes back shorter than page_size.
                yield from self._forward(s, e, 1, rows)
                return
            total = int(first["total_count"])
            pages = max(1, math.ceil(total / size))
            if pages == 1:
                yield OrderPage([self.order_line(r) for r in rows], None)
                return
            page = pages
        while page >= 1:
            rows = self._orders(s, e, page, count=False).get("order_list") or []
            yield OrderPage([self.order_line(r) for r in rows], {"page": page - 1} if page > 1 else None)
            page -= 1

    def _forward(self, start: int, end: int, page: int, rows: list[Any] | None) -> Iterator[OrderPage]:
        """Pages ``page``, ``page + 1``, ... until one holds fewer than ``page_size`` rows."""
        size = self.order_page_size
        while True:
            if rows is None:
                rows = self._orders(start, end, page, count=False).get("order_list") or []
            full = len(rows) >= size and page < MAX_ORDER_PAGE
            yield OrderPage([self.order_line(r) for r in rows], {"forward_page": page + 1} if full else None)
            if not full:
                return
            page, rows = page + 1, None

    def _orders(self, start: int, end: int, page: int, *, count: bool) -> dict[str, Any]:
        return self.call(ORDER_INCREMENT, {"start_update_time": start, "end_update_time": end, "page": page,
                                           "page_size": self.order_page_size, "return_count": count})

    def order_line(self, r: Mapping[str, Any]) -> OrderLine:
        """A PDD order as an OrderLine (fen, Unix seconds, custom_parameters sid as channel)."""
        raw = r.get("order_status")
        status = pdd_status(raw)
        quantity = int(r.get("goods_quantity") or 1)
        unit = fen(r.get("goods_price"))
        ordered_at = _utc(r.get("order_create_time")) or _utc(r.get("order_pay_time")) or self.clock()
        updated_at = _utc(r.get("order_modify_at")) or ordered_at
        extra = {
            "status_desc": r.get("order_status_desc"), "p_id": r.get("p_id"),
            "promotion_rate": r.get("promotion_rate"), "custom_parameters": r.get("custom_parameters"),
            "fail_reason": r.get("fail_reason"), "order_id": r.get("order_id"),
        }
        return OrderLine(
            row_id=str(r["order_sn"]),
            order_id=str(r["order_sn"]),
            status=status,
            raw_status=str(raw),
            amount=fen(r.get("order_amount")) or Money(0, CURRENCY),
            commission=fen(r.get("promotion_amount")) or Money(0, CURRENCY),
            ordered_at=ordered_at,
            updated_at=updated_at,
            product_native_id=str(r.get("goods_sign") or r.get("goods_id") or "") or None,
            product_title=r.get("goods_name") or None,
            channel=channel_from_custom(r.get("custom_parameters")),
            list_amount=unit.times(quantity) if unit is not None else None,
            quantity=quantity,
            refund_tag=(r.get("fail_reason") or "after-sale") if status == "invalid" else None,
            settled_at=_utc(r.get("order_settle_time")) if status == "settled" else None,
            extra={k: v for k, v in extra.items() if v not in (None, "")},
        )
