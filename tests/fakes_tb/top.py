"""A fake TOP gateway (``/router/rest``) speaking the wire format of suppliers.md section 3.

It verifies the signature (md5, hmac, hmac-sha256) over the exact parameters received (query
string and form body merged), the ±10 minute timestamp tolerance, the order window (3 h, or
20 min in big-sale mode), the 90-day lookback, ``position_index`` / ``jump_type`` paging, and
answers with the real envelopes and ``error_response`` with a ``sub_code``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ._server import FakeServer

CHINA = timezone(timedelta(hours=8))
WALL = "%Y-%m-%d %H:%M:%S"


def fake_sign(params: dict[str, str], secret: str, method: str) -> str:
    """The fake's own implementation of the TOP signature (kept apart from the client's)."""
    text = "".join(k + v for k, v in sorted(params.items()) if k != "sign" and v != "")
    key, data = secret.encode(), text.encode("utf-8")
    if method == "md5":
        return hashlib.md5(key + data + key).hexdigest().upper()
    if method == "hmac":
        return hmac.new(key, data, hashlib.md5).hexdigest().upper()
    if method == "hmac-sha256":
        return hmac.new(key, data, hashlib.sha256).hexdigest().upper()
    raise ValueError(method)


class TopError(Exception):
    def __init__(self, code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> None:
        super().__init__(msg)
        self.body = {"code": code, "msg": msg}
        if sub_code:
            self.body["sub_code"] = sub_code
        if sub_msg:
            self.body["sub_msg"] = sub_msg


class TopFake(FakeServer):
    """State: ``items`` (map_data dicts), ``orders`` (publisher_order_dto dicts), ``requests`` seen."""

    def __init__(self, app_key: str = "testkey", secret: str = "testsecret", *, big_sale: bool = False,
                 now: datetime | None = None) -> None:
        self.app_key = app_key
        self.secret = secret
        self.big_sale = big_sale
        self.now = now  # None = the real clock
        self.items: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self.requests: list[dict[str, str]] = []
        self.throttle_next = 0          # answer this many calls with sub_code 9100
        self.tpwd_permission = True
        self.send_has_next = True       # False: pages without has_next/has_pre
        self._positions: dict[str, tuple[str, str, int]] = {}
        self._tokens = itertools.count(1000)
        super().__init__()

    @property
    def endpoint(self) -> str:
        return self.base_url + "/router/rest"

    def clock(self) -> datetime:
        return self.now or datetime.now(CHINA)

    # transport -----------------------------------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        if parts.path != "/router/rest":
            self.send_json(handler, 404, {"error": "not found"})
            return
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = self.read_body(handler)
        if method == "POST" and body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        with self.lock:
            self.requests.append(dict(params))
        try:
            response = self.dispatch(params)
        except TopError as exc:
            response = {"error_response": {**exc.body, "request_id": secrets.token_hex(6)}}
        self.send_json(handler, 200, response)

    def dispatch(self, params: dict[str, str]) -> dict[str, Any]:
        for key in ("method", "app_key", "timestamp", "v", "sign_method", "sign"):
            if not params.get(key):
                raise TopError(40, "Missing required arguments", "isv.missing-parameter", f"missing {key}")
        if params["v"] != "2.0":
            raise TopError(40, "Missing required arguments", "isv.invalid-parameter", "v must be 2.0")
        if params["app_key"] != self.app_key:
            raise TopError(29, "Invalid app Key", "isv.appkey-not-exists")
        if params["sign_method"] not in ("md5", "hmac", "hmac-sha256"):
            raise TopError(25, "Invalid signature", "isv.invalid-signature", "unknown sign_method")
        if params.get("format") != "json":
            raise TopError(40, "Missing required arguments", "isv.missing-parameter", "this fake speaks json only")
        try:
            stamp = datetime.strptime(params["timestamp"], WALL).replace(tzinfo=CHINA)
        except ValueError:
            raise TopError(31, "Invalid timestamp", "isv.invalid-timestamp") from None
        if abs(stamp - self.clock()) > timedelta(minutes=10):
            raise TopError(31, "Invalid timestamp", "isv.invalid-timestamp", "timestamp off by more than 10 minutes")
        expected = fake_sign(params, self.secret, params["sign_method"])
        if not hmac.compare_digest(expected, params["sign"]):
            raise TopError(25, "Invalid signature", "isv.invalid-signature")
        if self.throttle_next > 0:
            with self.lock:
                self.throttle_next -= 1
            raise TopError(15, "Remote service error", "9100", "账号触发限流")
        name = params["method"]
        if name == "taobao.tbk.dg.material.optional.upgrade":
            return {"tbk_dg_material_optional_upgrade_response": self.search(params)}
        if name == "taobao.tbk.order.details.get":
            return {"tbk_order_details_get_response": self.order_details(params)}
        if name == "taobao.tbk.tpwd.create":
            return {"tbk_tpwd_create_response": self.tpwd(params)}
        raise TopError(22, "Invalid method", "isv.invalid-method")

    # APIs ----------------------------------------------------------------------------------
    def search(self, params: dict[str, str]) -> dict[str, Any]:
        if not params.get("adzone_id", "").isdigit():
            raise TopError(15, "Remote service error", "isv.invalid-parameter", "adzone_id is required")
        q = params.get("q", "")
        if not q:
            raise TopError(15, "Remote service error", "isv.invalid-parameter", "q or cat is required")
        page_no = int(params.get("page_no") or 1)
        page_size = int(params.get("page_size") or 20)
        if not 1 <= page_size <= 100:
            raise TopError(15, "Remote service error", "isv.invalid-parameter", "page_size 1-100")
        matches = [i for i in self.items if q in i["item_basic_info"]["title"] or q == "*"]
        page = matches[(page_no - 1) * page_size: page_no * page_size]
        pid = f"mm_1_2_{params['adzone_id']}"
        relation = params.get("relation_id", "")
        out = []
        for item in page:
            copy = {**item, "publish_info": dict(item.get("publish_info") or {})}
            tag = f"pid={pid}" + (f"&relationId={relation}" if relation else "")
            copy["publish_info"]["click_url"] = f"//s.click.taobao.com/t?e={item['item_id']}&{tag}"
            if item.get("has_coupon"):
                coupon = f"//uland.taobao.com/coupon/edetail?e={item['item_id']}&{tag}"
                copy["publish_info"]["coupon_share_url"] = coupon
            copy.pop("has_coupon", None)
            out.append(copy)
        return {"request_id": secrets.token_hex(6), "total_results": len(matches),
                "result_list": {"map_data": out}}

    def tpwd(self, params: dict[str, str]) -> dict[str, Any]:
        if not self.tpwd_permission:
            raise TopError(11, "Insufficient isv permissions", "isv.permission-api-package-limit")
        url, text = params.get("url", ""), params.get("text", "")
        if not url.startswith("https://"):
            raise TopError(15, "Remote service error", "isv.invalid-parameter", "url must start with https")
        if len(text) <= 5:
            raise TopError(15, "Remote service error", "isv.invalid-parameter", "text must be longer than 5")
        token = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789") for _ in range(11))
        return {"request_id": secrets.token_hex(6),
                "data": {"model": f"8￥{token}￥/ https://m.tb.cn/h.{token[:6]} {text}",
                         "password_simple": f"￥{token}￥"}}

    def order_details(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            start = datetime.strptime(params.get("start_time", ""), WALL).replace(tzinfo=CHINA)
            end = datetime.strptime(params.get("end_time", ""), WALL).replace(tzinfo=CHINA)
        except ValueError:
            raise TopError(15, "Remote service error", "2000", "开始时间或结束时间参数非法") from None
        if start >= end:
            raise TopError(15, "Remote service error", "2001", "开始时间应该小于结束时间")
        if start > self.clock():
            raise TopError(15, "Remote service error", "2002", "开始时间应该小于当前时间")
        if start < self.clock() - timedelta(days=90):
            raise TopError(15, "Remote service error", "2004", "开始时间应该大于最近90天")
        limit = timedelta(minutes=20) if self.big_sale else timedelta(hours=3)
        if end - start > limit:
            raise TopError(15, "Remote service error", "2007", "订单查询时间段超过限制")
        page_size = int(params.get("page_size") or 20)
        page_no = int(params.get("page_no") or 1)
        if not 1 <= page_size <= 100 or not 1 <= page_no <= 100:
            raise TopError(15, "Remote service error", "isv.invalid-parameter", "page_size/page_no out of range")
        window = (params["start_time"], params["end_time"])
        if page_no > 1:
            if params.get("jump_type") not in ("1", "-1"):
                raise TopError(15, "Remote service error", "1005", "jumpType非法")
            known = self._positions.get(params.get("position_index", ""))
            if known is None or known[:2] != window or known[2] != page_no - (1 if params["jump_type"] == "1" else -1):
                raise TopError(15, "Remote service error", "1008", "positionIndex非法")
        query_type = params.get("query_type", "1")
        field = {"1": "tk_create_time", "2": "tk_paid_time", "3": "tk_earning_time", "4": "modified_time"}[query_type]
        matched = sorted(
            (o for o in self.orders if o.get(field) and start <= _wall(o[field]) < end),
            key=lambda o: (o[field], o["trade_id"]),
        )
        page = matched[(page_no - 1) * page_size: page_no * page_size]
        position = f"{next(self._tokens)}_{secrets.token_hex(3)}"
        with self.lock:
            self._positions[position] = (*window, page_no)
        data = {"has_next": page_no * page_size < len(matched), "has_pre": page_no > 1,
                "page_no": page_no, "page_size": page_size, "position_index": position,
                "results": {"publisher_order_dto": page}}
        if not self.send_has_next:
            del data["has_next"], data["has_pre"]
        return {"request_id": secrets.token_hex(6), "data": data}

    # builders for tests --------------------------------------------------------------------
    def add_item(self, item_id: str, title: str, *, reserve: str = "99.00", zk: str = "79.00",
                 final: str = "69.00", rate: str = "10.00", coupon: bool = True) -> dict[str, Any]:
        item = {
            "item_id": item_id,
            "item_basic_info": {"title": title, "pict_url": f"//img.alicdn.com/{item_id}.jpg", "shop_title": "好店",
                                "user_type": 1, "volume": 1000,
                                "small_images": {"string": [f"https://img.alicdn.com/{item_id}-2.jpg"]}},
            "price_promotion_info": {"reserve_price": reserve, "zk_final_price": zk, "final_promotion_price": final},
            "publish_info": {"income_rate": rate, "income_info": {"commission_rate": rate}},
            "has_coupon": coupon,
        }
        self.items.append(item)
        return item

    def add_order(self, trade_id: str, modified: datetime, *, tk_status: int = 12, item_id: str = "590141576510",
                  paid: str = "11.22", pre_fee: str = "1.12", fee: str = "0", relation_id: int = 0,
                  adzone_id: int = 111112234455, refund_tag: int = 0, earning: str = "") -> dict[str, Any]:
        created = (modified - timedelta(minutes=5)).astimezone(CHINA).strftime(WALL)
        order = {
            "trade_id": trade_id, "trade_parent_id": trade_id[:-2] + "00", "item_id": item_id,
            "item_title": "测试商品", "item_img": "//img.alicdn.com/x.jpg", "item_num": 2, "item_price": "2.1",
            "alipay_total_price": paid, "pay_price": "9.11", "tk_status": tk_status,
            "tk_create_time": created, "tk_paid_time": created, "tk_earning_time": earning,
            "modified_time": modified.astimezone(CHINA).strftime(WALL),
            "pub_share_pre_fee": pre_fee, "pub_share_fee": fee, "total_commission_rate": "9.99",
            "income_rate": "9.99", "refund_tag": refund_tag, "adzone_id": adzone_id, "site_id": 45598009,
            "relation_id": relation_id, "order_type": "天猫",
        }
        self.orders.append(order)
        return order


def _wall(text: str) -> datetime:
    return datetime.strptime(text, WALL).replace(tzinfo=CHINA)
