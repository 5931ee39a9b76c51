"""Fakes for the catalog tests: real HTTP servers on 127.0.0.1 that speak the storefront
protocols (Shopify /products.json, the WooCommerce Store API) and serve Pillow-made images."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.server import LocalServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0            # seconds to wait before answering (timeouts)
    declared_length: int | None = None   # a Content-Length larger than the body: a cut-short download
    # A body sent chunked, piece by piece (slow or endless bodies); the server stops at the first
    # write the client no longer reads, and after ``stream_limit`` seconds in any case.
    stream: Callable[[], Iterator[bytes]] | None = None
    stream_limit: float = 60.0

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None, delay: float = 0.0) -> Reply:
        return cls(status, json.dumps(data, ensure_ascii=False).encode(),
                   {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}, delay)

    @classmethod
    def html(cls, title: str, status: int = 200) -> Reply:
        page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return cls(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]


App = Callable[[Request], Reply]


class FakeServer(LocalServer):
    """The shared harness answering GET with ``app``; records every request."""

    def __init__(self, app: App, host: str = "127.0.0.1") -> None:
        super().__init__(host=host)
        self.app = app
        self.requests: list[Request] = []

    @property
    def url(self) -> str:
        return self.base_url

    def start(self) -> FakeServer:
        super().start()
        return self

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def respond(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = Request(method, parts.path, query)
        self.requests.append(request)
        reply = self.app(request)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            if reply.stream is not None:
                _send_stream(handler, reply)
                return
            handler.send_response(reply.status)
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            length = reply.declared_length if reply.declared_length is not None else len(reply.body)
            handler.send_header("Content-Length", str(length))
            if reply.declared_length is not None:
                handler.send_header("Connection", "close")
                handler.close_connection = True
            handler.end_headers()
            handler.wfile.write(reply.body)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            handler.close_connection = True


def _send_stream(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    assert reply.stream is not None
    handler.send_response(reply.status)
    for key, value in reply.headers.items():
        handler.send_header(key, value)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Connection", "close")
    handler.close_connection = True
    handler.end_headers()
    stop = time.monotonic() + reply.stream_limit
    for piece in reply.stream():
        if time.monotonic() > stop:
            break
        if piece:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.flush()
    handler.wfile.write(b"0\r\n\r\n")


# images -------------------------------------------------------------------------------------
def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48),
                color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).ellipse((4, 4, size[0] - 4, size[1] - 4), fill=(250, 250, 250))
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


# Shopify ------------------------------------------------------------------------------------
def shopify_product(pid: int, title: str, price: str, *, compare: str | None = None, available: bool = True,
                    image: str | None = None, extra_variant: tuple[str, bool] | None = None) -> dict[str, Any]:
    variants = [{"id": pid * 10 + 1, "title": "Default Title", "option1": "Default Title", "option2": None,
                 "option3": None, "sku": f"SKU-{pid}", "price": price, "compare_at_price": compare,
                 "available": available, "grams": 500, "product_id": pid}]
    if extra_variant:
        variants.append({"id": pid * 10 + 2, "title": "Big", "sku": f"SKU-{pid}-B", "price": extra_variant[0],
                         "compare_at_price": None, "available": extra_variant[1], "product_id": pid})
    return {"id": pid, "title": title, "handle": title.lower().replace(" ", "-"),
            "body_html": f"<p>{title} &amp; more</p>",
            "vendor": "Acme", "product_type": "Office", "tags": ["desk", "oak"],
            "published_at": "2024-01-02T10:00:00-05:00", "created_at": "2024-01-01T10:00:00-05:00",
            "updated_at": "2024-01-03T10:00:00-05:00", "variants": variants,
            "images": [{"id": pid * 100, "src": image, "width": 64, "height": 48, "position": 1,
                        "product_id": pid, "variant_ids": []}] if image else [],
            "options": [{"name": "Title", "position": 1, "values": ["Default Title"]}]}


def shopify_app(products: list[dict[str, Any]], *, repeat_pages: bool = False,
                override: Callable[[Request, int], Reply | None] | None = None) -> App:
    """``/products.json?limit=N&page=P`` (limit ≤ 250). ``repeat_pages``: a store that serves its
    last page again for any page past the end (the dedupe case). ``override(request, call_number)``
    can answer instead (errors, throttling)."""
    calls = {"n": 0}

    def app(request: Request) -> Reply:
        calls["n"] += 1
        if override is not None:
            reply = override(request, calls["n"])
            if reply is not None:
                return reply
        if request.path != "/products.json":
            return Reply.html("404 Not Found", 404)
        limit = int(request.query.get("limit", "30"))
        page = int(request.query.get("page", "1"))
        if limit > 250 or limit < 1 or page < 1:
            return Reply.json({"errors": {"limit": "must be between 1 and 250"}}, 400)
        chunk = products[(page - 1) * limit: page * limit]
        if not chunk and repeat_pages and products:
            last = (len(products) - 1) // limit
            chunk = products[last * limit: (last + 1) * limit]
        return Reply.json({"products": chunk})

    return app


# WooCommerce --------------------------------------------------------------------------------
def woo_product(pid: int, name: str, price: str, *, regular: str | None = None, currency: str = "GBP",
                minor_unit: int = 2, in_stock: bool = True, image: str | None = None) -> dict[str, Any]:
    return {"id": pid, "name": name, "slug": name.lower().replace(" ", "-"),
            "permalink": f"https://shop.test/product/{pid}/", "sku": f"wc-{pid}", "on_sale": regular is not None,
            "short_description": f"<p>{name} short</p>", "description": f"<p>{name}</p>",
            "prices": {"currency_code": currency, "currency_symbol": "£", "currency_minor_unit": minor_unit,
                       "currency_decimal_separator": ".", "currency_thousand_separator": ",",
                       "currency_prefix": "£", "currency_suffix": "", "price": price,
                       "regular_price": regular or price, "sale_price": price, "price_range": None},
            "images": [{"id": pid, "src": image, "thumbnail": image, "alt": ""}] if image else [],
            "is_in_stock": in_stock, "is_purchasable": True, "average_rating": "0", "review_count": 0}


def woo_app(products: list[dict[str, Any]], *, send_total_pages: bool = True,
            override: Callable[[Request, int], Reply | None] | None = None) -> App:
    """The Store API products route: per_page ≤ 100, search, include, X-WP-Total(Pages), Link."""
    calls = {"n": 0}
    route = "/wp-json/wc/store/v1/products"

    def app(request: Request) -> Reply:
        calls["n"] += 1
        if override is not None:
            reply = override(request, calls["n"])
            if reply is not None:
                return reply
        if request.path != route:
            return Reply.json({"code": "rest_no_route", "message": "No route was found matching the URL and "
                               "request method.", "data": {"status": 404}}, 404)
        per_page = int(request.query.get("per_page", "10"))
        page = int(request.query.get("page", "1"))
        if not 1 <= per_page <= 100:
            return Reply.json({"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
                               "data": {"status": 400}}, 400)
        items = products
        if request.query.get("search"):
            needle = request.query["search"].lower()
            items = [p for p in items if needle in p["name"].lower()]
        if request.query.get("include"):
            wanted = {int(x) for x in request.query["include"].split(",")}
            items = [p for p in items if p["id"] in wanted]
        total_pages = max(1, -(-len(items) // per_page))
        if page > total_pages:
            return Reply.json({"code": "rest_post_invalid_page_number", "message": "The page number requested "
                               "is larger than the number of pages available.", "data": {"status": 400}}, 400)
        headers = {"X-WP-Total": str(len(items))}
        if send_total_pages:
            headers["X-WP-TotalPages"] = str(total_pages)
        if page < total_pages:
            headers["Link"] = f'<{route}?page={page + 1}&per_page={per_page}>; rel="next"'
        return Reply.json(items[(page - 1) * per_page: page * per_page], headers=headers)

    return app


# hostile bodies (Reply(stream=...)) -----------------------------------------------------------
def trickle(data: bytes, interval: float = 1.0) -> Callable[[], Iterator[bytes]]:
    """A body sent one byte every ``interval`` seconds (then repeated: it never ends by itself)."""
    def stream() -> Iterator[bytes]:
        while True:
            for i in range(len(data)):
                yield data[i:i + 1]
                time.sleep(interval)
    return stream


def endless(piece: bytes = b"x" * 65536) -> Callable[[], Iterator[bytes]]:
    """A body that never ends, sent as fast as the client reads."""
    def stream() -> Iterator[bytes]:
        while True:
            yield piece
    return stream
