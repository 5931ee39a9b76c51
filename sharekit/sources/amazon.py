"""Amazon through the Creators API (PA-API 5.0 was retired in 2026).

- Auth: OAuth2 client credentials against the token endpoint of the credential version
  (2.x Cognito with form bodies, 3.x Login with Amazon with JSON bodies). The token is cached
  until 30 s before it expires and refreshed once when the API answers 401.
- Catalog: ``POST /catalog/v1/searchItems`` (keywords, up to 10 items a page, pages 1-10) and
  ``POST /catalog/v1/getItems`` (1-10 ASINs a call); lowerCamelCase bodies and resources,
  prices from ``offersV2``; the ``x-marketplace`` header names the store.
- Throughput: 1 request per second by default (Amazon's starting quota); 429 backs off through
  the shared RetryingClient.
- Links: ``detailPageURL`` already carries the partner tag; a channel with
  ``[channels.NAME] amazon_tag = "..."`` gets that tracking id in place of it.
- Orders: Amazon has no order API (``supports_orders`` is False); earnings reports are imported
  with ``sharekit orders import FILE --format amazon``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from ..core.money import Money
from ..core.settings import Setting
from ..errors import ConfigError, InputError, SourceAuthError, SourceError
from .base import Product, PromotionLink, Skipped, Source, StoredProduct

DEFAULT_ENDPOINT = "https://creatorsapi.amazon"
TOKEN_ENDPOINTS = {
    "2.1": "https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token",
    "2.2": "https://creatorsapi.auth.eu-south-2.amazoncognito.com/oauth2/token",
    "2.3": "https://creatorsapi.auth.us-west-2.amazoncognito.com/oauth2/token",
    "3.1": "https://api.amazon.com/auth/o2/token",
    "3.2": "https://api.amazon.co.uk/auth/o2/token",
    "3.3": "https://api.amazon.co.jp/auth/o2/token",
}
RESOURCES = [
    "itemInfo.title",
    "itemInfo.byLineInfo",
    "images.primary.large",
    "images.variants.large",
    "offersV2.listings.price",
    "offersV2.listings.availability",
]
MAX_ITEM_IDS = 10
MAX_SEARCH_PAGES = 10
TOKEN_MARGIN_S = 30.0
# marketplace host -> currency, for prices without one and for report imports
MARKETPLACE_CURRENCY = {
    "www.amazon.com": "USD", "www.amazon.ca": "CAD", "www.amazon.com.mx": "MXN", "www.amazon.com.br": "BRL",
    "www.amazon.co.uk": "GBP", "www.amazon.de": "EUR", "www.amazon.fr": "EUR", "www.amazon.it": "EUR",
    "www.amazon.es": "EUR", "www.amazon.nl": "EUR", "www.amazon.com.be": "EUR", "www.amazon.pl": "PLN",
    "www.amazon.se": "SEK", "www.amazon.com.tr": "TRY", "www.amazon.ae": "AED", "www.amazon.sa": "SAR",
    "www.amazon.in": "INR", "www.amazon.co.jp": "JPY", "www.amazon.com.au": "AUD", "www.amazon.sg": "SGD",
}


class _Unauthorized(Exception):
    """The API answered 401: the cached token is no longer accepted."""


def marketplace_host(value: str) -> str:
    """The ``x-marketplace`` form, a bare host name: ``https://amazon.de/`` -> ``www.amazon.de``."""
    host = value.strip().lower()
    if "://" in host:
        host = urlsplit(host).netloc
    host = host.strip("/")
    return "www." + host if host.startswith("amazon.") else host


def with_tag(url: str, tag: str) -> str:
    """``url`` with its ``tag`` query parameter set to ``tag`` (added when missing)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "tag"]
    query.insert(0, ("tag", tag))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class AmazonSource(Source):
    """Amazon Associates through the Creators API: search, get items, tagged detail-page links."""

    kind: ClassVar[str] = "amazon"
    supports_links = True
    description: ClassVar[str] = "Amazon Associates through the Creators API"
    example_settings = {"credential_id": "id", "credential_secret": "secret", "credential_version": "2.1",
                        "partner_tag": "mytag-20", "marketplace": "www.amazon.com"}
    required_keys: ClassVar[tuple[str, ...]] = (
        "credential_id", "credential_secret", "credential_version", "partner_tag", "marketplace")
    settings_keys: ClassVar[Mapping[str, Setting] | None] = {
        "credential_id": Setting("str", help="Creators API credential id."),
        "credential_secret": Setting("str", help="Credential secret; use ${VAR}.", secret=True),
        "credential_version": Setting("scalar", help="Credential version (region)."),
        "partner_tag": Setting("str", help="Your Associates tag (xxx-20)."),
        "marketplace": Setting("str", help="Marketplace host (www.amazon.com)."),
        "token_endpoint": Setting("url", help="Token address (tests, proxies)."),
        "search_index": Setting("str", "All", "Search index of queries."),
    }
    default_rate_limit: ClassVar[float | None] = 1.0  # Amazon's starting quota: 1 TPS

    def __init__(self, name: str, settings: Mapping[str, Any], *, client: httpx.Client | None = None,
                 sleep: Any = None, clock: Callable[[], float] | None = None) -> None:
        super().__init__(name, settings, client=client, sleep=sleep)
        self.version = str(self.settings["credential_version"]).strip()
        if self.version not in TOKEN_ENDPOINTS and not self.settings.get("token_endpoint"):
            raise ConfigError(f"Source `{name}`: credential_version {self.version!r} is not one of "
                              f"{', '.join(TOKEN_ENDPOINTS)}; set token_endpoint to use another.")
        self.endpoint = str(self.settings.get("endpoint") or DEFAULT_ENDPOINT).rstrip("/")
        self.token_endpoint = str(self.settings.get("token_endpoint") or TOKEN_ENDPOINTS[self.version])
        self.marketplace = marketplace_host(str(self.settings["marketplace"]))
        self.partner_tag = str(self.settings["partner_tag"]).strip()
        if not self.partner_tag or len(self.partner_tag) > 64:
            raise ConfigError(f"Source `{name}`: partner_tag must be 1-64 characters (the Creators API's limit), "
                              f"not {len(self.partner_tag)}.")
        # the marketplace decides the currency; a `currency` setting only covers unknown ones
        self.currency = (MARKETPLACE_CURRENCY.get(self.marketplace) or str(self.settings.get("currency") or "USD")
                         ).upper()
        self.clock = clock or time.monotonic
        self.channels: dict[str, dict[str, Any]] = {
            str(k): dict(v) for k, v in (self.settings.get("channels") or {}).items() if isinstance(v, Mapping)
        }
        self._token: str | None = None
        self._token_expires = 0.0
        self.tokens_fetched = 0

    # auth ----------------------------------------------------------------------------------
    @property
    def is_v3(self) -> bool:
        return self.version.startswith("3")

    def token(self, *, force: bool = False) -> str:
        """A bearer token, from the cache until it is about to expire."""
        if not force and self._token and self.clock() < self._token_expires:
            return self._token
        fields = {
            "grant_type": "client_credentials",
            "client_id": str(self.settings["credential_id"]),
            "client_secret": str(self.settings["credential_secret"]),
            "scope": "creatorsapi::default" if self.is_v3 else "creatorsapi/default",
        }

        def check(response: httpx.Response) -> dict[str, Any]:
            if response.status_code in (400, 401, 403):
                raise SourceAuthError(self.name, f"the token endpoint refused the credentials (HTTP "
                                      f"{response.status_code}).", hint="Check credential_id, credential_secret "
                                      "and credential_version.")
            if response.status_code >= 400:
                raise SourceError(self.name, f"the token endpoint answered HTTP {response.status_code}.")
            try:
                body = response.json()
            except ValueError:
                raise SourceError(self.name, "the token endpoint answered something that is not JSON.") from None
            if not isinstance(body, dict) or not body.get("access_token"):
                raise SourceError(self.name, "the token endpoint answered without an access_token.")
            return body

        kwargs: dict[str, Any] = {"json": fields} if self.is_v3 else {"data": fields}
        body = self.http.request("POST", self.token_endpoint, check=check, what="token request", **kwargs)
        self.tokens_fetched += 1
        expires_in = float(body.get("expires_in") or 3600)
        self._token = str(body["access_token"])
        self._token_expires = self.clock() + max(0.0, expires_in - TOKEN_MARGIN_S)
        return self._token

    def _authorization(self, token: str) -> str:
        return f"Bearer {token}" if self.is_v3 else f"Bearer {token}, Version {self.version}"

    # transport -----------------------------------------------------------------------------
    def call(self, operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST one catalog operation; refreshes the token once on 401. ``{}`` when nothing matched."""
        url = f"{self.endpoint}/catalog/v1/{operation}"

        def check(response: httpx.Response) -> dict[str, Any]:
            if response.status_code == 401:
                raise _Unauthorized()
            if response.status_code == 404:
                return {}
            if response.status_code >= 400:
                self._raise_error(operation, response)
            try:
                parsed = response.json()
            except ValueError:
                raise SourceError(self.name, f"{operation} answered something that is not JSON.") from None
            return parsed if isinstance(parsed, dict) else {}

        for attempt in (0, 1):
            headers = {
                "Authorization": self._authorization(self.token(force=attempt == 1)),
                "x-marketplace": self.marketplace,
                "Content-Type": "application/json; charset=utf-8",
            }
            try:
                return self.http.request("POST", url, json=dict(body), headers=headers, check=check, what=operation)
            except _Unauthorized:
                self._token = None
        raise SourceAuthError(self.name, f"{operation} refused a freshly issued token (HTTP 401).",
                              hint="Check that the credentials are enabled for the Creators API and this marketplace.")

    def _raise_error(self, operation: str, response: httpx.Response) -> None:
        text = response.text[:500]
        try:
            body = response.json()
        except ValueError:
            body = {}
        reason = ""
        if isinstance(body, dict):
            errors = body.get("errors") or []
            first = errors[0] if errors and isinstance(errors[0], dict) else {}
            reason = str(body.get("reason") or body.get("type") or first.get("code") or "")
            message = str(body.get("message") or first.get("message") or "")
        else:
            message = ""
        detail = f"HTTP {response.status_code}" + (f", {reason}" if reason else "")
        detail += f": {message}" if message else ""
        if response.status_code == 403 or any(word in text for word in (
                "InvalidPartnerTag", "InvalidAssociate", "AccessDenied", "Unauthorized")):
            raise SourceAuthError(self.name, f"{operation} was refused ({detail}).",
                                  hint="Check partner_tag, marketplace and the account's Creators API access.")
        raise SourceError(self.name, f"{operation} failed ({detail}).")

    # catalog -------------------------------------------------------------------------------
    def search_items(self, keywords: str, page: int = 1, count: int = 10) -> dict[str, Any]:
        return self.call("searchItems", {
            "partnerTag": self.partner_tag, "keywords": keywords,
            "searchIndex": str(self.settings.get("search_index") or "All"),
            "itemCount": max(1, min(10, count)), "itemPage": page, "resources": RESOURCES,
        })

    def get_items(self, asins: list[str]) -> dict[str, Any]:
        if not 1 <= len(asins) <= MAX_ITEM_IDS:
            raise ValueError(f"getItems takes 1-{MAX_ITEM_IDS} ASINs, not {len(asins)}")
        return self.call("getItems", {"partnerTag": self.partner_tag, "itemIds": asins, "resources": RESOURCES})

    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        self.skipped = []
        if ids:
            prefix = f"{self.name}:"
            wanted = [i.strip()[len(prefix):] if i.strip().startswith(prefix) else i.strip() for i in ids]
            wanted = [i.upper() for i in wanted if i]
            if limit is not None:
                wanted = wanted[:limit]
            for at in range(0, len(wanted), MAX_ITEM_IDS):
                asked = wanted[at: at + MAX_ITEM_IDS]
                payload = self.get_items(asked)
                items = (payload.get("itemsResult") or {}).get("items") or []
                products = [self.to_product(item) for item in items if item.get("asin")]
                self._note_missing(asked, {p.native_id.upper() for p in products}, payload)
                if products:
                    yield products
            return
        if not query:
            raise InputError("Amazon's searchItems needs keywords: give a `query` (or `ids`: ASINs).",
                             params=("query", "ids"))
        fetched = 0
        for page in range(1, MAX_SEARCH_PAGES + 1):
            # one itemCount for the whole walk: itemPage * itemCount is the server's offset
            count = 10 if limit is None else max(1, min(10, limit))
            payload = self.search_items(query, page, count)
            result = payload.get("searchResult") or {}
            items = result.get("items") or []
            products = [self.to_product(item) for item in items if item.get("asin")]
            if limit is not None:
                products = products[: limit - fetched]
            if products:
                yield products
            fetched += len(products)
            total = int(result.get("totalResultCount") or 0)
            if not items or (limit is not None and fetched >= limit) or page * count >= total:
                return

    def _note_missing(self, asked: list[str], found: set[str], payload: Mapping[str, Any]) -> None:
        """ASINs getItems did not return, with the API's own reason when its ``errors`` name them."""
        errors = [e for e in payload.get("errors") or [] if isinstance(e, Mapping)]
        for asin in asked:
            if asin in found:
                continue
            reason = next((str(e.get("message") or e.get("code")) for e in errors
                           if asin in str(e.get("message") or "")), "not returned by getItems")
            self.skipped.append(Skipped(f"ASIN {asin}", reason.rstrip("."), asin))

    def to_product(self, item: Mapping[str, Any]) -> Product:
        info = item.get("itemInfo") or {}
        title = ((info.get("title") or {}).get("displayValue")) or item["asin"]
        listings = ((item.get("offersV2") or {}).get("listings")) or []
        listing = next((entry for entry in listings if entry.get("isBuyBoxWinner")), listings[0] if listings else {})
        price = None
        currency = self.currency
        money = ((listing.get("price") or {}).get("money")) or {}
        if money.get("amount") is not None:
            currency = str(money.get("currency") or currency)
            try:
                # the wire sends a JSON number; go through its text, never through float arithmetic
                price = Money.from_decimal(Decimal(str(money["amount"])), currency)
            except (InvalidOperation, InputError):
                price = None
        saving = ((listing.get("price") or {}).get("savingBasis") or {}).get("money") or {}
        original = None
        if saving.get("amount") is not None:
            original = Money.from_decimal(Decimal(str(saving["amount"])), str(saving.get("currency") or currency))
        availability = str(((listing.get("availability") or {}).get("type")) or "")
        images = item.get("images") or {}
        urls = []
        primary = ((images.get("primary") or {}).get("large") or {}).get("url")
        if primary:
            urls.append(primary)
        for variant in images.get("variants") or []:
            url = (variant.get("large") or {}).get("url")
            if url and url not in urls:
                urls.append(url)
        brand = (((info.get("byLineInfo") or {}).get("brand")) or {}).get("displayValue")
        return Product(
            native_id=str(item["asin"]),
            title=str(title),
            currency=currency,
            price=price,
            original_price=original,
            url=item.get("detailPageURL"),
            image_urls=urls,
            available=availability != "OUT_OF_STOCK" and bool(listings),
            brand=brand,
            extra={"availability": availability or None, "parent_asin": item.get("parentASIN")},
        )

    def check(self) -> str:
        self.token()
        return f"ok: token issued; marketplace {self.marketplace}"

    # links ---------------------------------------------------------------------------------
    def channel_tag(self, channel: str) -> str | None:
        table = self.channels.get(channel) or {}
        tag = table.get("amazon_tag")
        return str(tag).strip() if tag else None

    def promotion_link(self, product: StoredProduct, channel: str) -> PromotionLink:
        """The detail-page URL with the channel's tracking id (the partner tag when it has none)."""
        native_id = product.native_id
        url = product.url or ""
        if not url:
            payload = self.get_items([native_id])
            items = (payload.get("itemsResult") or {}).get("items") or []
            if not items or not items[0].get("detailPageURL"):
                raise SourceError(self.name, f"getItems returned no detail page for {native_id}.")
            url = str(items[0]["detailPageURL"])
        tag = self.channel_tag(channel) if channel else None
        return PromotionLink(url=with_tag(url, tag or self.partner_tag),
                             extra={"tracking_id": tag or self.partner_tag, "attributed": bool(tag)})
