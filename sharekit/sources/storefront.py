"""What the two storefront kinds (Shopify, WooCommerce) share: JSON answers and plain text."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from ..errors import SourceAuthError, SourceError

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
