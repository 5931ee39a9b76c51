"""A fake JD Union ``routerjson`` gateway: the demo replays recorded orders through it, tests and
benchmarks serve it on 127.0.0.1.

It checks what the real one is documented to check: the app key, the MD5 signature over the
exact received parameters (query and form merged; the raw ``360buy_param_json`` text), the
timestamp (±10 min, plain or ``.000+0800`` form), the one-hour order window, page-size caps,
and it answers with the real envelopes: ``<method>_responce`` whose ``queryResult``/``getResult``
is a JSON *string*; ``error_response`` for gateway failures. It can throttle every N calls
(business code 429) and fail from a given order call on (HTTP 503) until ``heal()``.
Gateway error codes are illustrative ([U] in the reference); the descriptions carry the meaning.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
import time
import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from sharekit.core.timeutil import CHINA, china_wall_clock
from sharekit.sources.signing import verify

# Amounts that break binary floating point (2.43, 4.35 and 0.29 yuan among them).
AMOUNTS = ["2.43", "4.35", "0.29", "19.90", "0.07", "1.15", "8.10", "99.99", "1005.00", "0.01"]
VALID_CODES = [16, 16, 17, 15, 3, 24, 17, 14]
CHANNELS = ["g1", "moments", "friend-a", ""]
SUB_UNION_RE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def make_order_rows(count: int, start: datetime, span: timedelta, *, first_id: int = 1) -> list[dict[str, Any]]:
    """``count`` deterministic order rows with modifyTime spread over ``[start, start+span)``."""
    rows = []
    step = span.total_seconds() / max(count, 1)
    for i in range(count):
        n = first_id + i
        modified = start + timedelta(seconds=int(i * step))
        ordered = modified - timedelta(minutes=5 + n % 50)
        code = VALID_CODES[n % len(VALID_CODES)]
        cos = AMOUNTS[n % len(AMOUNTS)]
        fee = AMOUNTS[(n * 7 + 3) % len(AMOUNTS)]
        rows.append({
            "id": str(415900000000000000 + n), "orderId": 108600000000 + n // 2, "parentId": 0,
            "skuId": 10000000 + n % 97, "skuName": f"测试商品 {n % 97}", "skuNum": 1 + n % 3,
            "skuReturnNum": 0, "skuFrozenNum": 0, "price": float(AMOUNTS[(n + 1) % len(AMOUNTS)]),
            "orderTime": china_wall_clock(ordered), "finishTime": "", "modifyTime": china_wall_clock(modified),
            "validCode": code, "estimateCosPrice": float(cos), "estimateFee": float(fee),
            "actualCosPrice": float(cos) if code == 17 else 0.0, "actualFee": float(fee) if code == 17 else 0.0,
            "commissionRate": 5.0, "subSideRate": 90.0, "subsidyRate": 0.0, "finalRate": 90.0,
            "unionId": 1000618618, "siteId": 61866, "positionId": 0, "subUnionId": CHANNELS[n % len(CHANNELS)],
            "pid": "", "payMonth": "0", "plus": 0, "orderEmt": 2, "traceType": 2, "popId": 709982,
            "unionTag": "0" * 31 + "1", "ext1": "", "expressStatus": 10,
        })
    return rows


def make_goods(count: int = 5) -> list[dict[str, Any]]:
    """Deterministic goods in the real wire shape (plain arrays for nested lists)."""
    goods = []
    for i in range(count):
        price, coupon_price, discount = [("4.35", "2.43", "1.92"), ("19.90", "17.90", "2.00"),
                                         ("0.29", "0.29", None), ("99.99", "89.99", "10.00"),
                                         ("8.10", "7.10", "1.00")][i % 5]
        sku = 100012043978 + i
        coupons = [{"bindType": 3, "discount": float(discount), "quota": float(price), "isBest": 1,
                    "link": f"https://coupon.m.jd.com/coupons/show.action?key=k{i}",
                    "getStartTime": 1704000000000, "getEndTime": 1704600000000,
                    "useStartTime": 1704000000000, "useEndTime": 1704600000000}] if discount else []
        goods.append({
            "skuId": sku, "skuName": f"京东好物 {i} 保温杯" if i % 2 == 0 else f"京东好物 {i} 数据线",
            "owner": "g", "materialUrl": f"item.jd.com/{sku}.html", "brandName": "JDBrand",
            "priceInfo": {"price": float(price), "lowestPrice": float(price), "lowestCouponPrice": float(coupon_price)},
            "commissionInfo": {"commission": 0.29, "commissionShare": 12.5, "couponCommission": 0.07},
            "couponInfo": {"couponList": coupons},
            "imageInfo": {"imageList": [{"url": f"https://img14.360buyimg.com/ads/jfs/t1/{sku}.jpg"}]},
            "shopInfo": {"shopId": 1000 + i, "shopName": "京东自营"},
            "categoryInfo": {"cid1": 1, "cid1Name": "家居", "cid3": 3, "cid3Name": "杯子"},
            "inOrderCount30Days": 100 + i, "comments": 999, "goodCommentsShare": 99.0,
        })
    return goods


def _parse_ts(text: str) -> datetime | None:
    try:  # plain, or the newer SDK's ``.000+0800`` suffix
        return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        return None


class JdGateway:
    """State and protocol of the fake JD gateway; serve it in-process with
    :func:`sharekit.demo.gateways.transport` or over HTTP with ``tests.fakes.GatewayServer``."""

    def __init__(self, app_key: str = "testkey", app_secret: str = "testsecret", *, site_id: str = "61866",
                 rows: Iterable[dict[str, Any]] = (), goods: Iterable[dict[str, Any]] | None = None,
                 throttle_every: int | None = None, fail_after_order_calls: int | None = None,
                 goods_query_allowed: bool = True, bysubunionid_allowed: bool = True,
                 max_rows_per_window: int = 10_000) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.site_id = site_id
        self.goods = list(goods if goods is not None else make_goods())
        self.throttle_every = throttle_every
        self.fail_after_order_calls = fail_after_order_calls
        self.goods_query_allowed = goods_query_allowed
        self.bysubunionid_allowed = bysubunionid_allowed
        self.max_rows_per_window = max_rows_per_window
        self.send_has_more = True  # False: answers without hasMore (clients fall back to full pages)
        self.calls: list[dict[str, Any]] = []      # business JSON of every accepted call
        self.requests = 0
        self.order_calls = 0
        self.throttled = 0
        self.failed = 0
        self._lock = threading.Lock()
        self.set_rows(rows)

    # state ---------------------------------------------------------------------------------
    def set_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            self._by_id = {r["id"]: dict(r) for r in rows}
            self._reindex()

    def _reindex(self) -> None:
        self._rows = sorted(self._by_id.values(), key=lambda r: (r["modifyTime"], r["id"]))
        self._keys = [r["modifyTime"] for r in self._rows]

    def update_row(self, row_id: str, **changes: Any) -> None:
        """Change a row (e.g. ``validCode=17, modifyTime=...``) as JD would after an event."""
        with self._lock:
            self._by_id[row_id].update(changes)
            self._reindex()

    def heal(self) -> None:
        self.fail_after_order_calls = None

    # protocol ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, body: bytes,
               headers: dict[str, str]) -> tuple[int, str, bytes]:
        with self._lock:
            self.requests += 1
        params = dict(parse_qsl(query, keep_blank_values=True))
        ctype = headers.get("Content-Type", "") or headers.get("content-type", "")
        if body and "x-www-form-urlencoded" in ctype:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for required in ("method", "app_key", "timestamp", "sign", "v", "360buy_param_json"):
            if required not in params:
                return self._gateway_error("1", f"缺少参数 {required}", f"Missing required parameter {required}")
        if params["v"] != "1.0":  # jd.union.open.* request classes set v=1.0
            return self._gateway_error("1", f"不支持的版本 {params['v']}", f"Invalid version {params['v']}")
        if params.get("format", "json") != "json" or params.get("sign_method", "md5") != "md5":
            return self._gateway_error("1", "format/sign_method 不支持", "Unsupported format or sign_method")
        if params["app_key"] != self.app_key:
            return self._gateway_error("19", "无效的app_key", "Invalid app_key")
        if not verify(params, self.app_secret, params["sign"], params.get("sign_method", "md5")):
            return self._gateway_error("21", "签名无效", "Invalid signature")
        stamp = _parse_ts(params["timestamp"])
        if stamp is None or abs(stamp.timestamp() - time.time()) > 600:
            return self._gateway_error("11", "时间戳错误", "Invalid timestamp, check the clock")
        api = params["method"]
        try:
            business = json.loads(params["360buy_param_json"])
        except ValueError:
            return self._result(api, {"code": 401, "message": "360buy_param_json 不是 JSON"})
        with self._lock:
            self.calls.append({"method": api, **business})
            n = len(self.calls)
            if self.throttle_every and n % self.throttle_every == 0:
                self.throttled += 1
                return self._result(api, {"code": 429, "message": "接口调用超频"})
        handler = {
            "jd.union.open.order.row.query": self._orders,
            "jd.union.open.goods.jingfen.query": self._jingfen,
            "jd.union.open.goods.query": self._goods_query,
            "jd.union.open.promotion.common.get": self._link_common,
            "jd.union.open.promotion.bysubunionid.get": self._link_bysub,
        }.get(api)
        if handler is None:
            return self._gateway_error("22", "方法不存在", f"Invalid method {api}")
        return handler(api, business)

    def _gateway_error(self, code: str, zh: str, en: str) -> tuple[int, str, bytes]:
        doc = {"error_response": {"code": code, "zh_desc": zh, "en_desc": en}}
        return 200, "application/json;charset=utf-8", json.dumps(doc, ensure_ascii=False).encode()

    def _result(self, api: str, result: dict[str, Any]) -> tuple[int, str, bytes]:
        result.setdefault("requestId", f"o_{len(self.calls)}")
        field = "getResult" if api.endswith(".get") else "queryResult"
        key = api.replace(".", "_") + "_responce"
        doc = {key: {"code": "0", field: json.dumps(result, ensure_ascii=False)}}
        return 200, "application/json;charset=utf-8", json.dumps(doc, ensure_ascii=False).encode()

    def _orders(self, api: str, business: dict[str, Any]) -> tuple[int, str, bytes]:
        req = business.get("orderReq") or {}
        with self._lock:
            self.order_calls += 1
            if self.fail_after_order_calls is not None and self.order_calls > self.fail_after_order_calls:
                self.failed += 1
                return 503, "text/html", b"<html>503 Service Temporarily Unavailable</html>"
        try:
            page, size, kind = int(req["pageIndex"]), int(req["pageSize"]), int(req["type"])
            start, end = _parse_ts(str(req["startTime"])), _parse_ts(str(req["endTime"]))
        except (KeyError, TypeError, ValueError):
            return self._result(api, {"code": 2002400, "message": "参数错误"})
        if page < 1 or not 1 <= size <= 500 or kind not in (1, 2, 3) or start is None or end is None or end < start:
            return self._result(api, {"code": 2002400, "message": "参数错误"})
        if end - start > timedelta(hours=1):
            return self._result(api, {"code": 2002453, "message": "查询时间跨度不能超过1小时"})
        if start < datetime.now(CHINA) - timedelta(days=90):
            return self._result(api, {"code": 2002400, "message": "只能查询90天内的订单"})
        lo_key, hi_key = req["startTime"][:19], req["endTime"][:19]
        with self._lock:
            lo = bisect.bisect_left(self._keys, lo_key)
            hi = bisect.bisect_right(self._keys, hi_key)
            matched = self._rows[lo:hi]
            chunk = [dict(r) for r in matched[(page - 1) * size: page * size]]
        if len(matched) > self.max_rows_per_window:
            return self._result(api, {"code": 2002452, "message": "查询结果超过10000条，请缩小时间范围"})
        result = {"code": 200, "message": "success", "hasMore": page * size < len(matched), "data": chunk}
        if not self.send_has_more:
            del result["hasMore"]
        return self._result(api, result)

    def _jingfen(self, api: str, business: dict[str, Any]) -> tuple[int, str, bytes]:
        req = business.get("goodsReq") or {}
        if "eliteId" not in req:
            return self._result(api, {"code": 401, "message": "eliteId 必填"})
        return self._goods_page(api, self.goods, req, 50)

    def _goods_query(self, api: str, business: dict[str, Any]) -> tuple[int, str, bytes]:
        if not self.goods_query_allowed:
            return self._result(api, {"code": 403, "message": "无访问权限"})
        req = business.get("goodsReqDTO") or {}
        goods = self.goods
        if req.get("keyword"):
            goods = [g for g in goods if req["keyword"] in g["skuName"]]
        if req.get("skuIds"):
            if len(req["skuIds"]) > 20:
                return self._result(api, {"code": 401, "message": "skuIds 最多20个"})
            goods = [g for g in goods if g["skuId"] in set(req["skuIds"])]
        if not goods:
            return self._result(api, {"code": 201, "message": "无结果"})
        return self._goods_page(api, goods, req, 30)

    def _goods_page(self, api: str, goods: list[dict[str, Any]], req: dict[str, Any],
                    cap: int) -> tuple[int, str, bytes]:
        page, size = int(req.get("pageIndex", 1)), int(req.get("pageSize", 20))
        if page < 1 or not 1 <= size <= cap:
            return self._result(api, {"code": 401, "message": f"pageSize 不能超过{cap}"})
        chunk = goods[(page - 1) * size: page * size]
        return self._result(api, {"code": 200, "message": "success", "totalCount": len(goods), "data": chunk})

    def _link_req(self, api: str, business: dict[str, Any]) -> tuple[dict[str, Any] | None, tuple | None]:
        req = business.get("promotionCodeReq") or {}
        material = str(req.get("materialId") or "")
        if not material.startswith(("http://", "https://")):
            return None, self._result(api, {"code": 2001101, "message": "materialId 格式错误"})
        sub = req.get("subUnionId")
        if sub is not None and not SUB_UNION_RE.match(str(sub)):
            return None, self._result(api, {"code": 2001208, "message": "subUnionId 不合法"})
        return req, None

    def _link_common(self, api: str, business: dict[str, Any]) -> tuple[int, str, bytes]:
        req, error = self._link_req(api, business)
        if error:
            return error
        if str(req.get("siteId")) != self.site_id:
            return self._result(api, {"code": 2001501, "message": "siteId 不存在"})
        click = f"https://union-click.jd.com/jdc?e=&p=site{self.site_id}&sub={req.get('subUnionId', '')}" \
                f"&to={req['materialId']}"
        return self._result(api, {"code": 200, "message": "success", "data": {"clickURL": click}})

    def _link_bysub(self, api: str, business: dict[str, Any]) -> tuple[int, str, bytes]:
        if not self.bysubunionid_allowed:
            return self._result(api, {"code": 2001403, "message": "无权限"})
        req, error = self._link_req(api, business)
        if error:
            return error
        sub = req.get("subUnionId", "")
        data = {"clickURL": f"https://union-click.jd.com/jdc?e=&sub={sub}&to={req['materialId']}",
                "shortURL": f"https://u.jd.com/S{zlib.crc32((sub + req['materialId']).encode()) % 100000:05d}",
                "jCommand": "￥AbCdEf￥"}
        return self._result(api, {"code": 200, "message": "success", "data": data})
