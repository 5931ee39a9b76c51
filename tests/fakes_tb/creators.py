"""A fake Amazon Creators API (suppliers.md section 4.3) with its OAuth2 token endpoint.

Token endpoint ``POST /auth/o2/token`` accepts form or JSON client-credentials requests and
issues expiring bearer tokens. ``POST /catalog/v1/searchItems|getItems`` check the bearer token
(401 when unknown or revoked), the ``x-marketplace`` header, lowerCamelCase bodies (PA-API
PascalCase keys and the dropped ``marketplace``/``partnerType`` fields are refused), 1-10
``itemIds``, and answer 429 ``ThrottleException`` while ``throttle_next`` is positive.
"""

from __future__ import annotations

import json
import secrets
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ._server import FakeServer

ALLOWED_RESOURCES = {
    "itemInfo.title", "itemInfo.byLineInfo", "itemInfo.features", "images.primary.large",
    "images.primary.medium", "images.variants.large", "offersV2.listings.price",
    "offersV2.listings.availability", "offersV2.listings.condition", "customerReviews.count",
}
SEARCH_KEYS = {"partnerTag", "keywords", "searchIndex", "itemCount", "itemPage", "resources", "sortBy",
               "minPrice", "maxPrice", "brand", "browseNodeId", "condition", "currencyOfPreference",
               "languagesOfPreference", "deliveryFlags", "title", "author", "actor", "artist"}
GET_KEYS = {"partnerTag", "itemIds", "resources", "condition", "currencyOfPreference", "languagesOfPreference",
            "properties"}


class CreatorsFake(FakeServer):
    def __init__(self, client_id: str = "cid", client_secret: str = "csecret", *,
                 marketplace: str = "www.amazon.com", currency: str = "USD", expires_in: int = 3600) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.marketplace = marketplace
        self.currency = currency
        self.expires_in = expires_in
        self.tokens: set[str] = set()
        self.token_requests: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.items: dict[str, dict[str, Any]] = {}
        self.throttle_next = 0
        self.throttled = 0
        super().__init__()

    @property
    def token_url(self) -> str:
        return self.base_url + "/auth/o2/token"

    def revoke_tokens(self) -> None:
        """Make every issued token invalid (as if it expired server-side)."""
        with self.lock:
            self.tokens.clear()

    def add_item(self, asin: str, title: str, amount: float | None = 19.99, *, availability: str = "IN_STOCK") -> None:
        listing: list[dict[str, Any]] = []
        if amount is not None:
            listing = [{"price": {"money": {"amount": amount, "currency": self.currency,
                                            "displayAmount": f"${amount}"}},
                        "availability": {"type": availability, "message": "In stock"}, "isBuyBoxWinner": True}]
        self.items[asin] = {"asin": asin, "title": title, "listings": listing}

    # transport -----------------------------------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = urlsplit(handler.path).path
        raw = self.read_body(handler)
        if method != "POST":
            self.send_json(handler, 405, {"message": "POST only"})
            return
        if path == "/auth/o2/token":
            self.token_endpoint(handler, raw)
            return
        if path not in ("/catalog/v1/searchItems", "/catalog/v1/getItems"):
            self.send_json(handler, 404, {"type": "ResourceNotFoundException", "message": "no such operation"})
            return
        auth = handler.headers.get("Authorization", "")
        token = auth[len("Bearer "):].split(",")[0].strip() if auth.startswith("Bearer ") else ""
        with self.lock:
            self.calls.append({"path": path, "authorization": auth, "marketplace": handler.headers.get("x-marketplace"),
                               "body": raw.decode("utf-8", "replace")})
            known = token in self.tokens
        if not known:
            self.send_json(handler, 401, {"type": "UnauthorizedException", "message": "Invalid or expired token",
                                          "reason": "InvalidToken"})
            return
        if handler.headers.get("x-marketplace") != self.marketplace:
            self.send_json(handler, 400, {"type": "ValidationException", "reason": "InvalidMarketplace",
                                          "message": "x-marketplace header missing or not this marketplace"})
            return
        if self.throttle_next > 0:
            with self.lock:
                self.throttle_next -= 1
                self.throttled += 1
            self.send_json(handler, 429, {"type": "ThrottleException", "message": "Rate exceeded",
                                          "reason": "TooManyRequests"})
            return
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            self.send_json(handler, 400, {"type": "ValidationException", "message": "body is not JSON"})
            return
        status, answer = (self.search if path.endswith("searchItems") else self.get_items)(body)
        self.send_json(handler, status, answer)

    def token_endpoint(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        ctype = handler.headers.get("Content-Type", "")
        text = raw.decode("utf-8", "replace")
        fields: dict[str, Any] = json.loads(text) if "json" in ctype else dict(parse_qsl(text))
        with self.lock:
            self.token_requests.append({"content_type": ctype, **{k: v for k, v in fields.items()
                                                                  if k != "client_secret"}})
        if fields.get("grant_type") != "client_credentials" or fields.get("scope") not in (
                "creatorsapi::default", "creatorsapi/default"):
            self.send_json(handler, 400, {"error": "invalid_request"})
            return
        if (fields.get("client_id"), fields.get("client_secret")) != (self.client_id, self.client_secret):
            self.send_json(handler, 401, {"error": "invalid_client"})
            return
        token = "Atza|" + secrets.token_urlsafe(16)
        with self.lock:
            self.tokens.add(token)
        self.send_json(handler, 200, {"access_token": token, "token_type": "bearer", "expires_in": self.expires_in})

    # operations ----------------------------------------------------------------------------
    def _validate(self, body: dict[str, Any], allowed: set[str]) -> str | None:
        for key in body:
            if key[:1].isupper():
                return f"{key}: PA-API PascalCase is not accepted; use lowerCamelCase"
            if key not in allowed:
                return f"{key} is not accepted by this operation"
        if not body.get("partnerTag") or len(str(body["partnerTag"])) > 64:
            return "partnerTag is required (at most 64 characters)"
        for resource in body.get("resources") or []:
            if resource not in ALLOWED_RESOURCES:
                return f"unknown resource {resource}"
        return None

    def _item(self, asin: str, tag: str, resources: list[str]) -> dict[str, Any]:
        item = self.items[asin]
        out: dict[str, Any] = {
            "asin": asin,
            "detailPageURL": f"https://{self.marketplace}/dp/{asin}?tag={tag}&linkCode=ogi&th=1&psc=1",
        }
        if "itemInfo.title" in resources:
            out["itemInfo"] = {"title": {"displayValue": item["title"], "label": "Title", "locale": "en_US"}}
        if "images.primary.large" in resources:
            out["images"] = {"primary": {"large": {"url": f"https://m.media-amazon.com/images/I/{asin}.jpg",
                                                   "height": 500, "width": 500}}}
        if "offersV2.listings.price" in resources and item["listings"]:
            out["offersV2"] = {"listings": item["listings"]}
        return out

    def search(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = self._validate(body, SEARCH_KEYS)
        count, page = int(body.get("itemCount") or 10), int(body.get("itemPage") or 1)
        if problem is None and not body.get("keywords"):
            problem = "keywords (or another search parameter) is required"
        if problem is None and not (1 <= count <= 10 and 1 <= page <= 10):
            problem = "itemCount and itemPage must be 1-10"
        if problem:
            return 400, {"type": "ValidationException", "message": problem, "reason": "InvalidParameterValue"}
        words = str(body["keywords"]).lower()
        matched = [asin for asin, item in self.items.items() if words in item["title"].lower()]
        page_items = matched[(page - 1) * count: page * count]
        if not page_items:
            return 404, {"type": "ResourceNotFoundException", "message": "No results"}
        resources = body.get("resources") or []
        return 200, {"searchResult": {
            "totalResultCount": len(matched),
            "searchURL": f"https://{self.marketplace}/s?k={words}&tag={body['partnerTag']}",
            "items": [self._item(asin, body["partnerTag"], resources) for asin in page_items]}}

    def get_items(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = self._validate(body, GET_KEYS)
        ids = body.get("itemIds")
        if problem is None and (not isinstance(ids, list) or not 1 <= len(ids) <= 10):
            problem = "itemIds must list 1-10 ASINs"
        if problem:
            return 400, {"type": "ValidationException", "message": problem, "reason": "InvalidParameterValue"}
        found = [asin for asin in ids if asin in self.items]
        missing = [asin for asin in ids if asin not in self.items]
        if not found:
            return 404, {"type": "ResourceNotFoundException", "message": "No items"}
        answer: dict[str, Any] = {"itemsResult": {"items": [
            self._item(asin, body["partnerTag"], body.get("resources") or []) for asin in found]}}
        if missing:
            answer["errors"] = [{"code": "InvalidParameterValue",
                                 "message": f"The ItemId {asin} is not accessible through the Creators API."}
                                for asin in missing]
        return 200, answer
