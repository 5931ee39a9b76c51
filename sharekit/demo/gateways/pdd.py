"""A fake Pinduoduo ``/api/router`` gateway: the demo replays recorded orders through it, tests and
benchmarks serve it on 127.0.0.1.

Checks: form-encoded POST, ``client_id``, the MD5 signature over the exact received form
fields, the Unix-seconds timestamp (±10 min), the 24-hour update window, the 90-day lookback,
``page_size`` 10-100, ``custom_parameters`` as JSON of at most 64 bytes. Answers with the
real envelopes (``goods_search_response``, ``goods_promotion_url_generate_response``,
``order_list_get_response``; ``error_response`` with numeric ``error_code``). It can rate-limit
every N calls (52101) and fail from a given order call on (HTTP 503) until ``heal()``.
Error codes other than 52101 and 10000 are illustrative ([U]); the messages carry the meaning.
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

from sharekit.sources.signing import verify

FEN = [243, 435, 29, 1990, 7, 115, 810, 9999, 100500, 1]
STATUSES = [0, 1, 2, 3, 5, 4, 10, 0]
CUSTOM = ['{"sid":"g1"}', '{"uid":"u1","sid":"moments"}', '{"sid":"friend-a"}', ""]


def make_orders(count: int, start: datetime, span: timedelta, *, first_id: int = 1) -> list[dict[str, Any]]:
    """``count`` deterministic orders with order_modify_at spread over ``[start, start+span)``."""
    base = int(start.timestamp())
    step = span.total_seconds() / max(count, 1)
    rows = []
    for i in range(count):
        n = first_id + i
        modified = base + int(i * step)
        status = STATUSES[n % len(STATUSES)]
        price, amount, commission = FEN[n % len(FEN)], FEN[(n + 3) % len(FEN)], FEN[(n * 7 + 1) % len(FEN)]
        rows.append({
            "order_sn": f"240102-{100000000 + n}", "order_id": f"O{n}", "goods_id": 9000 + n % 53,
            "goods_sign": f"E9_2o{n % 53:04d}gKFFAc7", "goods_name": f"拼多多商品 {n % 53}",
            "goods_thumbnail_url": "https://img.pddpic.com/x.jpg", "goods_quantity": 1 + n % 2,
            "goods_price": price, "order_amount": amount, "promotion_rate": 200, "promotion_amount": commission,
            "order_status": status, "order_status_desc": str(status), "order_create_time": modified - 600,
            "order_pay_time": modified - 590, "order_modify_at": modified,
            "order_settle_time": modified if status == 5 else None,
            "p_id": "1_2", "custom_parameters": CUSTOM[n % len(CUSTOM)],
        })
    return rows


def make_goods(count: int = 5) -> list[dict[str, Any]]:
    goods = []
    for i in range(count):
        group, coupon = [(435, 192), (1990, 300), (29, 0), (9999, 1000), (810, 100)][i % 5]
        goods.append({
            "goods_sign": f"c9r2omogKFFAc7WBwvbZU{i:02d}", "goods_id": 700 + i, "goods_name": f"拼多多好物 {i} 手机壳",
            "goods_thumbnail_url": f"https://img.pddpic.com/t{i}.jpg", "goods_image_url": f"https://img.pddpic.com/{i}.jpg",
            "min_group_price": group, "min_normal_price": group + 500, "has_coupon": coupon > 0,
            "coupon_discount": coupon, "coupon_min_order_amount": min(group, 1500),
            "coupon_start_time": 1704000000, "coupon_end_time": 1704600000, "promotion_rate": 205,
            "mall_id": 1, "mall_name": "拼多多旗舰店", "merchant_type": 3, "sales_tip": "10万+", "search_id": "S1",
        })
    return goods


class PddGateway:
    """State and protocol of the fake PDD gateway; serve it in-process with
    :func:`sharekit.demo.gateways.transport` or over HTTP with ``tests.fakes.GatewayServer``."""

    def __init__(self, client_id: str = "testclient", client_secret: str = "testsecret", *, pid: str = "1_2",
                 orders: Iterable[dict[str, Any]] = (), goods: Iterable[dict[str, Any]] | None = None,
                 throttle_every: int | None = None, fail_after_order_calls: int | None = None,
                 send_total_count: bool = True) -> None:
        self.client_id = client_id
        self.send_total_count = send_total_count  # False: a server that never counts
        self.client_secret = client_secret
        self.pid = pid
        self.goods = list(goods if goods is not None else make_goods())
        self.throttle_every = throttle_every
        self.fail_after_order_calls = fail_after_order_calls
        self.calls: list[dict[str, str]] = []
        self.order_calls = 0
        self.throttled = 0
        self._lock = threading.Lock()
        self.set_orders(orders)

    def set_orders(self, orders: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            self._by_sn = {o["order_sn"]: dict(o) for o in orders}
            self._reindex()

    def _reindex(self) -> None:
        self._rows = sorted(self._by_sn.values(), key=lambda o: (o["order_modify_at"], o["order_sn"]))
        self._keys = [o["order_modify_at"] for o in self._rows]

    def update_order(self, order_sn: str, **changes: Any) -> None:
        with self._lock:
            self._by_sn[order_sn].update(changes)
            self._reindex()

    def heal(self) -> None:
        self.fail_after_order_calls = None

    # protocol ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, body: bytes,
               headers: dict[str, str]) -> tuple[int, str, bytes]:
        ctype = headers.get("Content-Type", "") or headers.get("content-type", "")
        if method != "POST" or "x-www-form-urlencoded" not in ctype:
            return self._error(10000, "参数错误: 请使用 POST application/x-www-form-urlencoded")
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for required in ("type", "client_id", "timestamp", "sign", "data_type"):
            if required not in params:
                return self._error(10000, f"参数错误: 缺少 {required}")
        if params["data_type"].upper() != "JSON":
            return self._error(10000, "参数错误: data_type")
        if params["client_id"] != self.client_id:
            return self._error(10016, "client_id 不存在 (client_id not found)")
        if not verify(params, self.client_secret, params["sign"]):
            return self._error(10017, "签名错误 (sign mismatch)")
        try:
            stamp = int(params["timestamp"])
        except ValueError:
            return self._error(10000, "参数错误: timestamp")
        if abs(stamp - time.time()) > 600:
            return self._error(10000, "参数错误: timestamp 过期")
        with self._lock:
            self.calls.append(params)
            if self.throttle_every and len(self.calls) % self.throttle_every == 0:
                self.throttled += 1
                return self._error(52101, "接口限流")
        handler = {
            "pdd.ddk.order.list.increment.get": self._orders,
            "pdd.ddk.goods.search": self._search,
            "pdd.ddk.goods.promotion.url.generate": self._generate,
        }.get(params["type"])
        if handler is None:
            return self._error(10000, f"参数错误: 未知接口 {params['type']}")
        return handler(params)

    def _json(self, doc: dict[str, Any], status: int = 200) -> tuple[int, str, bytes]:
        return status, "application/json;charset=UTF-8", json.dumps(doc, ensure_ascii=False).encode()

    def _error(self, code: int, msg: str) -> tuple[int, str, bytes]:
        return self._json({"error_response": {"error_code": code, "error_msg": msg, "sub_code": str(code),
                                              "sub_msg": "", "request_id": f"r{len(self.calls)}"}})

    def _orders(self, p: dict[str, str]) -> tuple[int, str, bytes]:
        with self._lock:
            self.order_calls += 1
            if self.fail_after_order_calls is not None and self.order_calls > self.fail_after_order_calls:
                return 503, "text/plain", b"service unavailable"
        try:
            start, end = int(p["start_update_time"]), int(p["end_update_time"])
            page, size = int(p.get("page", 1)), int(p.get("page_size", 100))
        except (KeyError, ValueError):
            return self._error(10000, "参数错误: start_update_time/end_update_time")
        if end < start or end - start > 86400:
            return self._error(10000, "参数错误: 时间间隔不能超过24小时")
        if start < time.time() - 90 * 86400:
            return self._error(10000, "参数错误: 只能查询90天内")
        if not 10 <= size <= 100 or not 1 <= page <= 10000:
            return self._error(10000, "参数错误: page_size 10-100")
        with self._lock:
            lo, hi = bisect.bisect_left(self._keys, start), bisect.bisect_right(self._keys, end)
            matched = self._rows[lo:hi]
            chunk = [dict(o) for o in matched[(page - 1) * size: page * size]]
        body: dict[str, Any] = {"order_list": chunk, "request_id": f"r{len(self.calls)}"}
        if p.get("return_count", "true") != "false" and self.send_total_count:
            body["total_count"] = len(matched)
        return self._json({"order_list_get_response": body})

    def _search(self, p: dict[str, str]) -> tuple[int, str, bytes]:
        page, size = int(p.get("page", 1)), int(p.get("page_size", 100))
        if not 1 <= size <= 100:
            return self._error(10000, "参数错误: page_size")
        goods = self.goods
        if p.get("keyword"):
            goods = [g for g in goods if p["keyword"] in g["goods_name"]]
        if p.get("goods_sign_list"):
            wanted = set(json.loads(p["goods_sign_list"]))
            goods = [g for g in goods if g["goods_sign"] in wanted]
        chunk = goods[(page - 1) * size: page * size]
        return self._json({"goods_search_response": {"goods_list": chunk, "total_count": len(goods),
                                                     "list_id": f"L{page}", "search_id": "S1", "request_id": "R1"}})

    def _generate(self, p: dict[str, str]) -> tuple[int, str, bytes]:
        if p.get("p_id") != self.pid:
            return self._error(60001, "推广位不存在 (p_id unknown)")
        try:
            signs = json.loads(p["goods_sign_list"])
        except (KeyError, ValueError):
            return self._error(10000, "参数错误: goods_sign_list")
        custom = p.get("custom_parameters", "")
        if custom:
            if len(custom.encode()) > 64:
                return self._error(10000, "参数错误: custom_parameters 超长")
            try:
                json.loads(custom)
            except ValueError:
                return self._error(10000, "参数错误: custom_parameters 不是 JSON")
        tag = quote(custom)
        items = [{"url": f"https://p.pinduoduo.com/long?goods_sign={s}&cp={tag}",
                  "short_url": f"https://p.pinduoduo.com/s{i}",
                  "mobile_url": f"https://mobile.yangkeduo.com/duo_coupon_landing.html?goods_sign={s}&cp={tag}",
                  "mobile_short_url": f"https://p.pinduoduo.com/m{i}"} for i, s in enumerate(signs)]
        if p.get("generate_we_app") == "true":  # the mini-program page of each goods
            for item, s in zip(items, signs, strict=True):
                item["we_app_info"] = {"app_id": "wx32540bd863b27570", "user_name": "gh_0e7477744313@app",
                                       "page_path": f"package_a/welfare_coupon/welfare_coupon?goods_sign={s}"
                                                    f"&cp={tag}", "title": "拼多多", "source_display_name": "拼多多"}
        return self._json({"goods_promotion_url_generate_response": {"goods_promotion_url_list": items,
                                                                      "request_id": "R2"}})

