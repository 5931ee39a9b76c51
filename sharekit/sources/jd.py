"""JD Union (京东联盟) open platform: products, tagged promotion links and order rows.

Transport (the official JOS SDK style): POST to ``routerjson`` with the
system parameters in the URL query and only ``360buy_param_json`` (the business JSON, compact)
in the form body; the signature is the MD5 "secret-wrapped sorted key+value" over all of them.
Responses come as ``{"<method_with_underscores>_responce": {"code": "0", "queryResult":
"<JSON text>"}}``; the inner text is parsed with ``parse_float=Decimal`` so yuan amounts are
exact. Gateway failures are ``{"error_response": {...}}``; business failures carry a code other
than 200 inside the decoded result.

Settings (``[sources.NAME]``, secrets also from ``SHAREKIT_<NAME>_<KEY>``):
``app_key``, ``app_secret``, ``site_id`` (required); ``position_id``; ``endpoint``;
``elite_id`` (goods.jingfen.query channel, default 1); ``goods_query`` (false when the account
has no goods.query permission: keywords then filter jingfen results); ``link_api``
(``common`` or ``bysubunionid``); ``order_page_size`` (≤ 500); ``rate_limit`` (req/s).

This module is longer than the usual ~400 lines on purpose: it is one supplier's whole wire
protocol (signing, envelopes, error codes, products, links, orders), so a change on the
supplier's side is read and made in one file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

import httpx

from ..core.http import RetryableError
from ..core.money import Money
from ..core.settings import Setting
from ..core.timeutil import CHINA, china_wall_clock, parse_china_wall_clock, utcnow
from ..errors import ConfigError, InputError, SourceAuthError, SourceError
from .base import ConfirmedLine, OrderLine, OrderPage, Product, PromotionLink, Source, StatusChange, StoredProduct
from .signing import md5_wrap

DEFAULT_ENDPOINT = "https://api.jd.com/routerjson"
CURRENCY = "CNY"

JINGFEN = "jd.union.open.goods.jingfen.query"
GOODS_QUERY = "jd.union.open.goods.query"
LINK_COMMON = "jd.union.open.promotion.common.get"
LINK_BYSUB = "jd.union.open.promotion.bysubunionid.get"
ORDER_ROWS = "jd.union.open.order.row.query"

WRAPPERS = {JINGFEN: "goodsReq", GOODS_QUERY: "goodsReqDTO", LINK_COMMON: "promotionCodeReq",
            LINK_BYSUB: "promotionCodeReq", ORDER_ROWS: "orderReq"}
PAGE_LIMITS = {JINGFEN: 50, GOODS_QUERY: 30, ORDER_ROWS: 500}

# Business codes inside the decoded result (section 1.6-1.8).
OK_CODES = {200}
EMPTY_CODES = {201, 202}                        # nothing matched / page limit reached
RETRY_CODES = {429, 500, 2001504, 2001609, 2002408, 2002500}
AUTH_CODES = {
    403: "the app has no access to this API",
    408: "the union account is restricted",
    2001403: "no permission for this link API (apply for it in the union backend)",
    2001501: "the siteId is not one of your registered sites",
    2002401: "the key/token was refused",
    2002403: "no access to order queries",
    2002410: "the union user was not found",
}

# validCode → normalised status (section 1.8). 17 becomes settled once payMonth has passed.
PENDING_CODES = frozenset({15, 16, 24})
CONFIRMED_CODES = frozenset({17})
INVALID_CODES = frozenset({2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 19, 20, 21, 22, 23, 25, 26, 27, 28, 29, 30})


_CENT = Decimal(1)
GMT8 = timezone(timedelta(hours=8))  # China has no DST; a fixed offset is exact and fast


class WindowTooBusy(SourceError):
    """JD answered 2002452: more than 10,000 rows in one window; the window must shrink."""


def yuan(value: Any) -> Money | None:
    """A JD yuan amount (Decimal/int from the JSON text, or a string) as exact Money."""
    if value is None or value == "":
        return None
    if isinstance(value, float):  # never produced by our parser; refuse to guess
        raise TypeError("JD amounts must be parsed as Decimal, not float")
    if isinstance(value, int):
        return Money(value * 100, CURRENCY)
    amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    if not amount.is_finite():
        raise SourceError("jd", f"amount {value!r} is not a number")
    return Money(int((amount * 100).quantize(_CENT, rounding=ROUND_HALF_UP)), CURRENCY)


def wall_clock(text: str) -> datetime:
    """A JD ``yyyy-MM-dd HH:mm:ss`` (GMT+8) as an aware UTC datetime (fast path of timeutil's)."""
    try:
        return datetime.fromisoformat(text.strip()[:19]).replace(tzinfo=GMT8).astimezone(UTC)
    except ValueError:
        return parse_china_wall_clock(text)


def pay_month_date(value: Any) -> date | None:
    """JD ``payMonth`` (``yyyyMMdd``; ``0`` until finished) as a date."""
    text = str(value or "").strip()
    if len(text) != 8 or not text.isdigit() or text == "00000000":
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def jd_status(valid_code: Any, pay_month: Any, today: date) -> str:
    """Normalised status of a JD order row: pending, confirmed, settled, invalid or unknown."""
    try:
        code = int(valid_code)
    except (TypeError, ValueError):
        return "unknown"
    if code in PENDING_CODES:
        return "pending"
    if code in CONFIRMED_CODES:
        paid_on = pay_month_date(pay_month)
        return "settled" if paid_on is not None and paid_on < today else "confirmed"
    if code in INVALID_CODES:
        return "invalid"
    return "unknown"


def _dec_str(value: Any) -> str | None:
    return None if value is None or value == "" else format(Decimal(str(value)), "f")


def _listing(block: Any, key: str) -> list[Any]:
    """A nested list, as a plain array (real wire) or doc-style wrapped (``{"urlInfo": [...]}``)."""
    if isinstance(block, Mapping):
        block = block.get(key)
    if isinstance(block, Mapping):  # doc renderer artefact: one more level
        inner = next((v for v in block.values() if isinstance(v, list)), None)
        return inner or [block]
    return list(block or [])


def data_rows(data: Any) -> list[Any]:
    """A result's ``data`` as a list of objects.

    Real traffic sends a plain list; the doc-page examples show one object nested under a
    ``...Resp`` key (``{"jfGoodsResp": {...}}``, ``{"orderRowResp": [...]}``). Both are read.
    """
    if data is None or data == "":
        return []
    if isinstance(data, Mapping):
        if len(data) == 1:
            (key, inner), = data.items()
            if key.endswith("Resp") and isinstance(inner, (Mapping, list)):
                return data_rows(inner)
        return [data]
    rows = []
    for item in data:
        if isinstance(item, Mapping) and len(item) == 1:
            (key, inner), = item.items()
            if key.endswith("Resp") and isinstance(inner, Mapping):
                item = inner
        rows.append(item)
    return rows


class JdSource(Source):
    """JD Union: goods.jingfen.query / goods.query, promotion links, order.row.query."""

    kind: ClassVar[str] = "jd"
    supports_links = True
    supports_orders = True
    settles_orders = True  # payMonth passing settles a line; JD sends no update for it
    description: ClassVar[str] = "JD Union (京东联盟) open platform"
    example_settings = {"app_key": "key", "app_secret": "secret", "site_id": "61866"}
    required_keys: ClassVar[tuple[str, ...]] = ("app_key", "app_secret", "site_id")
    settings_keys: ClassVar[Mapping[str, Setting] | None] = {
        "app_key": Setting("scalar", help="JD Union app key."),
        "app_secret": Setting("str", help="JD Union app secret; use ${VAR}.", secret=True),
        "site_id": Setting("scalar", help="Your site (推广位) id."),
        "position_id": Setting("scalar", help="Default promotion position id."),
        "elite_id": Setting("int", 1, "Curated list (eliteId) pulled without a query.", min=1),
        "goods_query": Setting("bool", True, "Search with jd.union.open.goods.query."),
        "link_api": Setting("str", "common", "Link API.", choices=("common", "bysubunionid")),
        "order_page_size": Setting("int", 500, "Order rows per request.", min=1, max=500),
    }
    order_window = timedelta(hours=1)
    order_lookback: ClassVar[timedelta] = timedelta(days=90)
    default_rate_limit: ClassVar[float | None] = 5.0

    def __init__(self, name: str, settings: Mapping[str, Any], *, client: httpx.Client | None = None,
                 sleep: Any = None, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(name, settings, client=client, sleep=sleep)
        s = self.settings
        self.endpoint = str(s.get("endpoint") or DEFAULT_ENDPOINT)
        self.app_key = str(s["app_key"])
        self._secret = str(s["app_secret"])
        self.site_id = str(s["site_id"])
        self.position_id = str(s.get("position_id") or "")
        self.elite_id = int(s.get("elite_id", 1))
        self.use_goods_query = bool(s.get("goods_query", True))
        self.link_api = str(s.get("link_api", "common")).lower()
        if self.link_api not in ("common", "bysubunionid"):
            raise ConfigError(f"sources.{name}.link_api must be `common` or `bysubunionid`, not {self.link_api!r}.")
        self.order_page_size = min(int(s.get("order_page_size", 500)), PAGE_LIMITS[ORDER_ROWS])
        self.clock = clock

    # transport -----------------------------------------------------------------------------
    def call(self, method: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``method`` with ``body`` under its wrapper key; the decoded result object."""
        param_json = json.dumps({WRAPPERS[method]: body}, ensure_ascii=False, separators=(",", ":"))
        params = {"method": method, "app_key": self.app_key, "timestamp": china_wall_clock(self.clock()),
                  "v": "1.0", "sign_method": "md5", "format": "json"}
        params["sign"] = md5_wrap({**params, "360buy_param_json": param_json}, self._secret)
        return self.http.request("POST", self.endpoint, params=params, data={"360buy_param_json": param_json},
                                 check=self._checker(method), what=method)

    def _checker(self, method: str) -> Callable[[httpx.Response], dict[str, Any]]:
        def check(response: httpx.Response) -> dict[str, Any]:
            if response.status_code >= 400:
                raise SourceError(self.name, f"{method} answered HTTP {response.status_code}.")
            try:
                doc = json.loads(response.text, parse_float=Decimal)
            except ValueError:
                raise SourceError(self.name, f"{method} answered something that is not JSON.") from None
            if not isinstance(doc, dict):
                raise SourceError(self.name, f"{method} answered an unexpected JSON shape.")
            if "error_response" in doc:
                self._gateway_error(method, doc["error_response"] or {})
            key = method.replace(".", "_")
            envelope = doc.get(key + "_responce") or doc.get(key + "_response")
            if not isinstance(envelope, dict):
                raise SourceError(self.name, f"{method} answered without its `{key}_responce` envelope.")
            if str(envelope.get("code", "0")) != "0":
                self._gateway_error(method, envelope)
            field = next((k for k in envelope if k.endswith("Result")), None)
            if field is None:
                raise SourceError(self.name, f"{method} answered an envelope without a result field.")
            raw = envelope[field]
            try:
                result = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else raw
            except ValueError:
                raise SourceError(self.name, f"{method}: `{field}` is not JSON text.") from None
            if not isinstance(result, dict):
                raise SourceError(self.name, f"{method}: `{field}` is not an object.")
            return self._business(method, result)

        return check

    def _business(self, method: str, result: dict[str, Any]) -> dict[str, Any]:
        try:
            code = int(result.get("code", 200))
        except (TypeError, ValueError):
            code = -1
        if code in OK_CODES:
            return result
        if code in EMPTY_CODES:
            return {**result, "data": [], "hasMore": False}
        message = str(result.get("message") or result.get("errorMessage") or "").strip()
        if code in RETRY_CODES:
            kind = "rate limited" if code == 429 else "degraded or busy"
            raise RetryableError(f"{method} business code {code}: {kind} ({message})", throttled=code == 429)
        if code in AUTH_CODES:
            raise SourceAuthError(self.name, f"{method} refused: {AUTH_CODES[code]} (code {code}: {message}).",
                                  hint=self._auth_hint(code))
        if code == 2002452:
            raise WindowTooBusy(self.name, f"{method}: more than 10,000 rows in the window (code {code}).")
        if code == 2002453:
            raise SourceError(self.name, f"{method}: the time window was refused (code {code}: {message}).")
        raise SourceError(self.name, f"{method} failed with business code {code}: {message or 'no message'}.")

    def _auth_hint(self, code: int) -> str:
        if code == 2001501:
            return f"Check sources.{self.name}.site_id against your union backend."
        if code == 2001403:
            return f"Apply for the API or set sources.{self.name}.link_api = \"common\"."
        return f"Check the app's API permissions for sources.{self.name} in the JD union backend."

    def _gateway_error(self, method: str, err: Mapping[str, Any]) -> None:
        code = str(err.get("code", "?"))
        desc = str(err.get("en_desc") or err.get("zh_desc") or err.get("msg") or "").strip()
        text = (desc + " " + str(err.get("zh_desc") or "")).lower()
        what = f"{method} refused by the JD gateway (code {code}: {desc})"
        if "sign" in text or "签名" in text:
            raise SourceAuthError(self.name, f"{what}: the signature did not match.",
                                  hint=f"Check sources.{self.name}.app_secret (or {self.env_name('app_secret')}).")
        if "app_key" in text or "appkey" in text or "app key" in text:
            raise SourceAuthError(self.name, f"{what}: the app key is not valid.",
                                  hint=f"Check sources.{self.name}.app_key.")
        if "permission" in text or "权限" in text or "access" in text or "授权" in text:
            raise SourceAuthError(self.name, f"{what}: no permission.",
                                  hint="Apply for this API for your app in the JD union backend.")
        if "timestamp" in text or "时间" in text:
            raise SourceError(self.name, f"{what}.", hint="Check this machine's clock.")
        if "limit" in text or "频" in text or "busy" in text or "繁忙" in text or "unavailable" in text:
            raise RetryableError(f"{method} gateway code {code}: rate limited or busy ({desc})", throttled=True)
        raise SourceError(self.name, f"{what}.")

    # products ------------------------------------------------------------------------------
    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        """Pages of products: goods.query for ids/keywords (when allowed), else goods.jingfen.query."""
        if ids:
            bad = [i for i in ids if not str(i).strip().isdigit()]
            if bad:
                raise InputError(f"JD product ids are numeric skuIds; {', '.join(map(str, bad[:3]))} is not.")
            for start in range(0, len(ids), 20):
                batch = [int(i) for i in ids[start:start + 20]]
                result = self.call(GOODS_QUERY, {"skuIds": batch, "pageIndex": 1, "pageSize": len(batch)})
                page = [self.product(g) for g in data_rows(result.get("data"))]
                if page:
                    yield page
            return
        if query and self.use_goods_query:
            yield from self._paged(GOODS_QUERY, {"keyword": query}, limit)
            return
        keyword = (query or "").strip().lower()
        yield from self._paged(JINGFEN, {"eliteId": self.elite_id}, limit,
                               keep=(lambda p: keyword in p.title.lower()) if keyword else None)

    def _paged(self, method: str, body: dict[str, Any], limit: int | None,
               keep: Callable[[Product], bool] | None = None) -> Iterator[list[Product]]:
        max_size = PAGE_LIMITS[method]
        seen = 0
        page_index = 1
        while limit is None or seen < limit:
            size = max_size if limit is None else max(1, min(max_size, limit - seen))
            result = self.call(method, {**body, "pageIndex": page_index, "pageSize": size})
            data = data_rows(result.get("data"))
            page = [self.product(g) for g in data]
            if keep is not None:
                page = [p for p in page if keep(p)]
            if limit is not None:
                page = page[: limit - seen]
            if page:
                seen += len(page)
                yield page
            total = int(result.get("totalCount") or 0)
            if len(data) < size or (total and page_index * size >= total) or page_index >= 200:
                return
            page_index += 1

    def product(self, g: Mapping[str, Any]) -> Product:
        """A JD goods item as a Product (yuan → exact minor units, percent → rate)."""
        price_info = g.get("priceInfo") or {}
        commission = g.get("commissionInfo") or {}
        coupons = _listing(g.get("couponInfo"), "couponList")
        best = next((c for c in coupons if str(c.get("isBest")) == "1"), None)
        if best is None and coupons:
            best = max(coupons, key=lambda c: Decimal(str(c.get("discount") or 0)))
        # priceInfo: price = list price, lowestPrice = what it sells for now (seckill, pingou...),
        # lowestCouponPrice = JD's own after-coupon figure. The coupon and its quota (threshold)
        # come from the best coupon; final price and usability are derived downstream.
        list_price = yuan(price_info.get("price"))
        lowest = yuan(price_info.get("lowestPrice"))
        price = lowest if lowest is not None and lowest.minor > 0 else list_price
        coupon = yuan(best.get("discount")) if best else None
        threshold = yuan(best.get("quota")) if best else None
        after = yuan(price_info.get("lowestCouponPrice"))
        if best is None and price is not None and after is not None and 0 < after.minor < price.minor:
            coupon = price - after  # no coupon list asked for: JD's after-coupon price says what it takes off
        share = commission.get("commissionShare")
        images = [i.get("url") for i in _listing(g.get("imageInfo"), "imageList") if i.get("url")]
        material = str(g.get("materialUrl") or f"item.jd.com/{g.get('skuId')}.html")
        url = material if material.startswith(("http://", "https://")) else "https://" + material
        shop = g.get("shopInfo") or {}
        category = g.get("categoryInfo") or {}
        extra = {
            "owner": g.get("owner"),
            "commission": _dec_str(commission.get("commission")),
            "coupon_commission": _dec_str(commission.get("couponCommission")),
            "coupon_quota": _dec_str(best.get("quota")) if best else None,
            "lowest_coupon_price": _dec_str(price_info.get("lowestCouponPrice")),
            "coupon_end_ms": best.get("useEndTime") if best else None,
            "lowest_price_type": price_info.get("lowestPriceType"),
            "shop_id": shop.get("shopId"),
            "shop_name": shop.get("shopName"),
            "category": category.get("cid3Name") or category.get("cid1Name"),
            "orders_30d": g.get("inOrderCount30Days"),
            "good_comments_share": _dec_str(g.get("goodCommentsShare")),
        }
        return Product(
            native_id=str(g.get("skuId")),
            title=str(g.get("skuName") or ""),
            currency=CURRENCY,
            price=price,
            original_price=list_price,
            coupon=coupon,
            coupon_threshold=threshold,
            coupon_url=(best.get("link") or None) if best else None,
            commission_rate=(Decimal(str(share)) / 100) if share not in (None, "") else None,
            url=url,
            image_urls=images,
            brand=g.get("brandName") or None,
            extra={k: v for k, v in extra.items() if v not in (None, "")},
        )

    def check(self) -> str:
        result = self.call(JINGFEN, {"eliteId": self.elite_id, "pageIndex": 1, "pageSize": 1})
        return f"{JINGFEN} answered ({result.get('totalCount', 0)} products in elite {self.elite_id})"

    # links ---------------------------------------------------------------------------------
    def promotion_link(self, product: StoredProduct, channel: str) -> PromotionLink:
        """A click URL tagged with ``channel`` as subUnionId (common.get, or bysubunionid.get)."""
        native_id = product.native_id
        material = str(product.url or f"https://item.jd.com/{native_id}.html")
        if not material.startswith(("http://", "https://")):
            material = "https://" + material
        req: dict[str, Any] = {"materialId": material}
        if product.coupon_url:
            req["couponUrl"] = product.coupon_url
        if channel:
            req["subUnionId"] = channel
        if self.position_id:
            req["positionId"] = int(self.position_id) if self.position_id.isdigit() else self.position_id
        if self.link_api == "bysubunionid":
            method = LINK_BYSUB
            req["chainType"] = 3
        else:
            method = LINK_COMMON
            req["siteId"] = self.site_id
        found = data_rows(self.call(method, req).get("data"))
        data = found[0] if found and isinstance(found[0], Mapping) else {}
        click = data.get("clickURL") or data.get("shortURL")
        if not click:
            raise SourceError(self.name, f"{method} answered no clickURL for {native_id}.")
        extra = {k: data[k] for k in ("jCommand", "jShortCommand", "weChatShortLink") if data.get(k)}
        extra["api"] = method
        return PromotionLink(url=click, short_url=data.get("shortURL") or None,
                             share_text=data.get("jCommand") or None, extra=extra)

    # orders --------------------------------------------------------------------------------
    def iter_orders(self, start: datetime, end: datetime,
                    cursor: dict[str, Any] | None = None) -> Iterator[OrderPage]:
        """Order rows updated in ``[start, end]`` (≤ 1 h, GMT+8 wall clock), pages while hasMore.

        When JD answers 2002452 (more than 10,000 rows in the window) the window is halved and
        the halves read in turn; the cursor then carries the sub-windows still to read.
        """
        if end - start > timedelta(hours=1):
            raise ValueError("JD order windows are at most one hour")
        cursor = cursor or {}
        parts = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in cursor.get("parts", [])]
        parts = parts or [(start, end)]
        page = int(cursor.get("page", 1))
        today = self.clock().astimezone(CHINA).date()
        while parts:
            part_start, part_end = parts[0]
            req = {"pageIndex": page, "pageSize": self.order_page_size, "type": 3,
                   "startTime": china_wall_clock(part_start), "endTime": china_wall_clock(part_end)}
            try:
                result = self.call(ORDER_ROWS, req)
            except WindowTooBusy:
                if page != 1 or part_end - part_start <= timedelta(seconds=2):
                    raise
                middle = part_start + timedelta(seconds=int((part_end - part_start).total_seconds()) // 2)
                parts[:1] = [(part_start, middle), (middle, part_end)]
                continue
            rows = data_rows(result.get("data"))
            lines = [self.order_line(r, today) for r in rows]
            if "hasMore" in result:
                more = bool(result.get("hasMore")) and bool(rows)
            else:  # no hasMore at all: a full page may have a successor
                more = len(rows) >= self.order_page_size
            if not more:
                parts.pop(0)
                page = 1
            else:
                page += 1
            if not parts:
                yield OrderPage(lines, None)
                return
            nxt: dict[str, Any] = {"page": page}
            if len(parts) > 1 or parts[0] != (start, end):
                nxt["parts"] = [[a.isoformat(), b.isoformat()] for a, b in parts]
            yield OrderPage(lines, nxt)

    def order_line(self, r: Mapping[str, Any], today: date) -> OrderLine:
        """A JD order row as an OrderLine (exact yuan, GMT+8 times, subUnionId as channel)."""
        raw = r.get("validCode")
        status = jd_status(raw, r.get("payMonth"), today)
        finished = str(raw) == "17"
        amount = yuan(r.get("actualCosPrice") if finished else r.get("estimateCosPrice")) or Money(0, CURRENCY)
        commission = yuan(r.get("actualFee") if finished else r.get("estimateFee")) or Money(0, CURRENCY)
        quantity = int(r.get("skuNum") or 1)
        unit = yuan(r.get("price"))
        ordered_at = wall_clock(str(r["orderTime"]))
        modified = str(r.get("modifyTime") or "").strip()
        paid_on = pay_month_date(r.get("payMonth"))
        returned, frozen = int(r.get("skuReturnNum") or 0), int(r.get("skuFrozenNum") or 0)
        refund = f"returned {returned}" if returned else ("after-sale" if frozen else None)
        extra = {
            "valid_code": raw, "pay_month": str(r.get("payMonth") or "0"), "parent_id": r.get("parentId"),
            "estimate_fee": _dec_str(r.get("estimateFee")), "actual_fee": _dec_str(r.get("actualFee")),
            "commission_rate": _dec_str(r.get("commissionRate")), "final_rate": _dec_str(r.get("finalRate")),
            "site_id": r.get("siteId"), "position_id": r.get("positionId"), "plus": r.get("plus"),
        }
        return OrderLine(
            row_id=str(r["id"]),
            order_id=str(r.get("orderId")),
            status=status,
            raw_status=str(raw),
            amount=amount,
            commission=commission,
            ordered_at=ordered_at,
            updated_at=wall_clock(modified) if modified else ordered_at,
            product_native_id=str(r["skuId"]) if r.get("skuId") is not None else None,
            product_title=r.get("skuName") or None,
            channel=str(r.get("subUnionId") or ""),
            list_amount=unit.times(quantity) if unit is not None else None,
            quantity=quantity,
            refund_tag=refund,
            settled_at=(datetime(paid_on.year, paid_on.month, paid_on.day, tzinfo=CHINA)
                        if status == "settled" and paid_on else None),
            extra={k: v for k, v in extra.items() if v not in (None, "")},
        )

    def settle_due(self, lines: Iterable[ConfirmedLine]) -> list[StatusChange]:
        """Confirmed lines whose payMonth has passed are settled then (JD sends no update for it)."""
        today = self.clock().astimezone(CHINA).date()
        changes: list[StatusChange] = []
        for line in lines:
            paid_on = pay_month_date(line.extra.get("pay_month"))
            if paid_on is not None and paid_on < today:
                changes.append(StatusChange(line.id, "settled",
                                            datetime(paid_on.year, paid_on.month, paid_on.day, tzinfo=CHINA)))
        return changes
