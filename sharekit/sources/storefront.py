"""What the two storefront kinds (Shopify, WooCommerce) share: JSON answers and plain text."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import httpx

from ..core.money import Money
from ..core.pricing import parse_coupon
from ..errors import ConfigError, InputError, SourceAuthError, SourceError

_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def plain_text(markup: str | None, limit: int = 500) -> str | None:
    """HTML to one line of plain text (for descriptions), cut at ``limit`` characters."""
    if not markup:
        return None
    text = _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", markup))).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def _html_title(body: bytes) -> str | None:
    m = _TITLE.search(body[:20000])
    if not m:
        return None
    title = _SPACE.sub(" ", html.unescape(m.group(1).decode("utf-8", "replace"))).strip()
    return title[:80] or None


def describe_body(response: httpx.Response) -> str:
    """A short, secret-free description of what came back (for error messages)."""
    ctype = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    body = response.content
    head = body[:300].lstrip().lower()
    if b"<html" in head or head.startswith(b"<!doctype"):
        title = _html_title(body)
        return f"an HTML page ({title!r})" if title else "an HTML page"
    if not body:
        return "an empty body"
    return f"{len(body)} bytes of {ctype}"


def expect_json(source: str, response: httpx.Response, what: str) -> Any:
    """The JSON body of a successful answer, or a one-line SourceError naming what came back."""
    code = response.status_code
    if code in (401, 403):
        raise SourceAuthError(source, f"{what} answered HTTP {code} ({describe_body(response)}): "
                              "the store is password-protected, closed or blocks this client.")
    if code == 404:
        raise SourceError(source, f"{what} answered HTTP 404 ({describe_body(response)}).",
                          hint="Check the source's `store` (or `endpoint`) URL.")
    if code >= 400:
        raise SourceError(source, f"{what} answered HTTP {code} ({describe_body(response)}).")
    try:
        return response.json()
    except ValueError:
        raise SourceError(source, f"{what} answered {describe_body(response)} where JSON was expected "
                          f"(HTTP {code}).") from None


def base_url(settings: dict[str, Any]) -> str:
    """The store's API base: ``endpoint`` when set (tests, proxies), else ``store``."""
    value = str(settings.get("endpoint") or settings.get("store") or "").strip().rstrip("/")
    if value and "://" not in value:
        value = "https://" + value
    return value


def store_coupon(source: str, settings: Mapping[str, Any], currency: str, *, url: str | None,
                 **names: str | None) -> tuple[Money | None, Money | None, str | None]:
    """A storefront source's own coupon, applied to every product it lists.

    ``coupon = "满99减10"`` (or ``"10"``) in ``[sources.NAME]`` is the offer; ``coupon_link`` is
    where the buyer claims it, a URL that may use ``{url}`` (the product page) and the kind's
    product names (``{handle}`` for Shopify, ``{slug}`` for WooCommerce, ``{id}``). Returns
    ``(coupon, threshold, coupon_url)``; ConfigError names a bad setting."""
    raw = settings.get("coupon")
    if raw in (None, ""):
        return None, None, None
    try:
        coupon, threshold = parse_coupon(str(raw), currency)
    except InputError as exc:
        raise ConfigError(f"Source `{source}`: coupon {raw!r} is not an amount or 满X减Y rule ({exc}).") from None
    template = str(settings.get("coupon_link") or "")
    link = None
    if template and coupon is not None:
        try:
            link = template.format(url=url or "", **{k: (v or "") for k, v in names.items()})
        except (KeyError, IndexError, ValueError, AttributeError):
            known = ", ".join("{" + n + "}" for n in ("url", *names))
            raise ConfigError(f"Source `{source}`: coupon_link {template!r} may only use {known}.") from None
    return coupon, threshold, link
