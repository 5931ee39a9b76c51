"""The feed source kind: read the file or URL, pick the format, page the products, report skipped rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from ...core.limits import DEFAULT_FEED_MAX_MB, DEFAULT_FEED_TIMEOUT
from ...core.settings import Setting
from ...errors import ConfigError, InputError, SourceError
from ..base import Product, Skipped, Source
from .decode import decode_bytes, sniff_format
from .fields import EXTENSIONS, FORMAT_ALIASES, FORMATS, PAGE_SIZE, BadRow
from .parse import FeedParser, _Context


class _NoNetwork(httpx.BaseTransport):
    """The transport of a local feed's client: it never makes a request."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.UnsupportedProtocol("a local feed makes no HTTP requests")


class FeedSource(Source):
    """A product feed file (local ``path`` or remote ``url``)."""

    kind = "feed"
    description = "A CSV, TSV, JSON or Merchant Center (TSV / RSS XML) product file, local or by URL"
    example_settings = {"path": "products.csv"}

    settings_keys: ClassVar[Mapping[str, Setting] | None] = {
        "path": Setting("str", help="Local feed file (relative to the home or base_dir)."),
        "url": Setting("url", help="Remote feed address."),
        "format": Setting("str", help="Feed format (guessed from the name when unset).",
                          choices=tuple(FORMAT_ALIASES)),
        "strict": Setting("bool", False, "Refuse the whole file when a row is bad."),
        "page_size": Setting("int", PAGE_SIZE, "Rows stored per transaction.", min=1, max=100_000),
        "base_dir": Setting("str", help="Folder a relative `path` is read from."),
        "encoding": Setting("str", help="Text encoding when it is not UTF-8 (gbk, gb18030)."),
    }

    def __init__(self, name: str, settings: Mapping[str, Any], **kwargs: Any) -> None:
        self._offline_client: httpx.Client | None = None
        if not settings.get("url") and kwargs.get("client") is None:
            # A local file needs no network: skip building a real client (its TLS setup costs ~0.2 s).
            self._offline_client = kwargs["client"] = httpx.Client(transport=_NoNetwork())
        elif kwargs.get("client") is None:
            # A remote feed reaches public addresses only (redirects too), unless allow_private_hosts.
            from ...core.http import make_client
            from ...core.netguard import guard_hooks

            allow = bool(settings.get("allow_private_hosts"))
            self._offline_client = kwargs["client"] = make_client(event_hooks=guard_hooks(allow))
        super().__init__(name, settings, **kwargs)
        path, url = self.settings.get("path"), self.settings.get("url")
        if not path and not url:
            raise ConfigError(f"Source `{name}` (feed) needs `path` (a local file) or `url`.",
                              hint=f"Set sources.{name}.path.")
        fmt = str(self.settings.get("format") or "").lower().strip()
        if fmt and fmt not in FORMAT_ALIASES:
            raise ConfigError(f"Source `{name}`: format {fmt!r} is not one of {', '.join(FORMATS)}.")
        self.format = FORMAT_ALIASES.get(fmt) if fmt else None
        self.strict = bool(self.settings.get("strict", False))
        self.page_size = int(self.settings.get("page_size", PAGE_SIZE))
        # a remote feed's byte cap and whole-download time limit ([feeds] max_mb / timeout)
        self.max_bytes = int(self.settings.get("feed_max_bytes") or DEFAULT_FEED_MAX_MB * 1024 * 1024)
        self.deadline = float(self.settings.get("feed_timeout") or DEFAULT_FEED_TIMEOUT)
        self.path: Path | None = None
        self.url: str | None = None
        if path:
            p = Path(str(path)).expanduser()
            if not p.is_absolute():
                p = Path(str(self.settings.get("base_dir") or ".")) / p
            self.path = p
        else:
            self.url = str(url)
        # Local image paths are read only from a local feed the user pointed at, under its folder
        # and the folders listed in image_dirs (relative ones from the feed's folder).
        self.local_images = self.path is not None
        if self.path is not None:
            folder = self.path.expanduser().resolve().parent
            extra = self.settings.get("image_dirs") or []
            extra = [extra] if isinstance(extra, str) else list(extra)
            self.image_roots = (folder, *(folder / Path(str(d)).expanduser() for d in extra))

    def close(self) -> None:
        super().close()
        if self._offline_client is not None:
            self._offline_client.close()

    @property
    def where(self) -> str:
        return self.path.name if self.path is not None else (self.url or "")

    def _read(self) -> tuple[bytes, str | None]:
        if self.path is not None:
            try:
                size = self.path.stat().st_size
                if size > self.max_bytes:
                    raise InputError(f"Source `{self.name}`: feed file {self.path} is {size / 2**20:.0f} MB, over "
                                     f"the {self.max_bytes / 2**20:.0f} MB limit ([feeds] max_mb).")
                return self.path.read_bytes(), None
            except FileNotFoundError:
                raise InputError(f"Source `{self.name}`: feed file {self.path} does not exist.") from None
            except OSError as exc:
                raise InputError(f"Source `{self.name}`: cannot read {self.path}: {exc.strerror}.") from None
        assert self.url is not None

        def check(response: Any) -> tuple[bytes, str | None]:
            if response.status_code >= 400:
                raise SourceError(self.name, f"feed {self.url} answered HTTP {response.status_code}.")
            return response.content, response.headers.get("content-type")

        try:
            return self.http.request("GET", self.url, check=check, what=f"GET {urlsplit(self.url).path or '/'}",
                                     max_bytes=self.max_bytes, deadline=self.deadline)
        except SourceError as exc:
            if " stopped: " in exc.message and exc.hint is None:  # a cap or the deadline (core.http)
                exc.hint = "If the feed really is that large or slow, raise [feeds] max_mb or timeout."
            raise

    def _format_for(self, text: str, content_type: str | None) -> str:
        if self.format:
            return self.format
        name = self.path.name if self.path is not None else urlsplit(self.url or "").path
        ext = Path(name).suffix.lower()
        if ext in EXTENSIONS:
            return EXTENSIONS[ext]
        if content_type:
            ct = content_type.lower()
            for key, fmt in (("json", "json"), ("xml", "xml"), ("csv", "csv"), ("tab-separated", "tsv")):
                if key in ct:
                    return fmt
        return sniff_format(text)

    def parse(self) -> tuple[str, FeedParser, str]:
        data, content_type = self._read()
        text = decode_bytes(data, self.where, self.settings.get("encoding"))
        fmt = self._format_for(text, content_type)
        currency = str(self.settings.get("currency") or "").strip().upper() or None
        ctx = _Context(where=self.where, currency=currency,
                       base_dir=self.path.parent.resolve() if self.path is not None else None,
                       base_url=self.url)
        return text, FeedParser(ctx), fmt

    def _products(self, text: str, parser: FeedParser, fmt: str, *, strict: bool) -> Iterator[Product]:
        for line, item in parser.parsed(text, fmt):
            if not isinstance(item, dict):
                yield item
                continue
            rec = item
            try:
                yield parser.product(line, rec)
            except BadRow as exc:
                where = f"{self.where}, line {line}" if line else self.where
                if strict:
                    raise InputError(f"{where}: {exc}. Nothing was imported (`strict`).", params=("strict",)) from None
                raw_id = rec.get("id")
                native = raw_id.strip() or None if isinstance(raw_id, str) else None
                self.skipped.append(Skipped(where, str(exc), native))

    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        self.skipped = []
        self.total = None
        text, parser, fmt = self.parse()
        if self.strict:  # refuse the whole file before the first page is stored
            for _ in self._products(text, parser, fmt, strict=True):
                pass
            self.total = len(parser.ids)
            parser = FeedParser(parser.ctx)
        if self.total is None and fmt in ("csv", "tsv") and not (ids or query or limit):
            self.total = max(0, text.count("\n") - 1)  # an estimate for progress (quoted newlines)
        wanted = {i.split(":", 1)[1] if i.startswith(f"{self.name}:") else i for i in ids} if ids else None
        needle = query.casefold() if query else None
        page: list[Product] = []
        count = 0
        for product in self._products(text, parser, fmt, strict=False):
            if wanted is not None and product.native_id not in wanted:
                continue
            if needle is not None and needle not in product.title.casefold() and \
                    needle not in (product.brand or "").casefold():
                continue
            page.append(product)
            count += 1
            if len(page) >= self.page_size:
                yield page
                page = []
            if limit is not None and count >= limit:
                break
        if wanted is not None:  # a partial pull by id reports only the rows it asked for
            self.skipped = [s for s in self.skipped if s.native_id in wanted]
        if page:
            yield page

    def check(self) -> str:
        text, parser, fmt = self.parse()
        good = bad = 0
        for line, item in parser.parsed(text, fmt):
            if not isinstance(item, dict):
                good += 1
                continue
            try:
                parser.product(line, item)
                good += 1
            except BadRow:
                bad += 1
        where = str(self.path) if self.path is not None else self.url
        return f"{where}: {fmt.upper()}, {good} products" + (f", {bad} bad rows" if bad else "")
