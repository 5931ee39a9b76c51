"""The redirect server: a small raw ASGI app (no framework), run by uvicorn.

- ``GET /{code}``: 302 to the stored target with ``Cache-Control: no-store`` (so every repeat
  click reaches us and a later change of the target takes effect), the click recorded. Codes
  match ignoring case.
- Unknown, disabled or expired codes: 404 with a small page. The server only ever redirects to
  a target stored in the database, never to anything the request names (no open redirect).
- ``HEAD /{code}``: the same answer without a body, recorded as a bot hit (never a click).
- Links inside WeChat whose product is a Taobao one (the source kind is ``taobao`` or the link has
  share text) or carries a 淘口令 of its own (a feed's ``tpwd`` column, any source kind) answer a
  page with the 淘口令 to copy instead (a copy button; other kinds also get a link to the page).
- ``/healthz``: liveness plus the recorder's counters; ``/robots.txt``: disallow all.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from ...core.sanitize import clean_text
from ...core.timeutil import to_utc_iso, utcnow
from ...store.db import open_db
from ...store.home import Paths, resolve_home
from .classify import Classifier, load_salt
from .recorder import Recorder

ENV_RECORD = "SHAREKIT_SERVE_RECORD"          # queue (default) | direct | off
ENV_FLUSH = "SHAREKIT_SERVE_FLUSH_INTERVAL"   # seconds between queue flushes (default 0.1)
ENV_CACHE_TTL = "SHAREKIT_SERVE_CACHE_TTL"    # seconds a looked-up link is reused (default 1; 0 = off)
ENV_MASTER = "SHAREKIT_SERVE_MASTER_PID"     # set by `serve --workers N`: workers watch this parent
_CACHE_MAX = 10_000
SPOOL_NAME = "clicks.spool.jsonl"
_MAX_CODE = 64
_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
_LOCATION_SAFE = ":/?#[]@!$&'()*+,;=%~"

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;max-width:32rem;
margin:2rem auto;padding:0 1rem;color:#222;line-height:1.6}}
.code{{border:2px dashed #E4393C;border-radius:8px;padding:1rem;font-size:1.1rem;word-break:break-all;
user-select:all;-webkit-user-select:all;background:#fff7f7}}
button{{margin-top:1rem;width:100%;padding:.8rem;font-size:1.1rem;border:0;border-radius:8px;
background:#E4393C;color:#fff}} .hint{{color:#666;font-size:.95rem}}</style></head>
<body>{body}</body></html>
"""

_NOT_FOUND = _PAGE.format(
    title="链接不存在 · Link not found",
    body="<h1>链接不存在或已失效</h1><p class=\"hint\">This link does not exist, was disabled or has expired.</p>",
).encode("utf-8")

_COPY_SCRIPT = """<script>
function copyCode(){var t=document.getElementById('kl').innerText;
function done(){document.getElementById('btn').innerText='已复制，请打开手机淘宝';}
if(navigator.clipboard){navigator.clipboard.writeText(t).then(done,fallback);}else{fallback();}
function fallback(){var r=document.createRange();r.selectNodeContents(document.getElementById('kl'));
var s=window.getSelection();s.removeAllRanges();s.addRange(r);try{document.execCommand('copy');done();}catch(e){}}}
</script>"""


def taobao_page(share_text: str | None, target_url: str, title: str | None, *, taobao: bool = True) -> bytes:
    """The in-WeChat page for a link with a 淘口令: the code to copy and a hint to open Taobao.

    ``taobao`` False (a product of another kind that carries a 淘口令) adds a link to the product
    page itself, which WeChat can open. Every value is HTML-escaped."""
    heading = html.escape(title or "淘宝商品")
    if share_text:
        direct = "" if taobao else (
            f"<p class=\"hint\"><a href=\"{html.escape(target_url, quote=True)}\">直接查看商品页 · "
            "Open the product page</a></p>")
        body = (
            f"<h1>{heading}</h1>"
            "<p>微信内无法直接打开淘宝链接。请复制下面的淘口令，然后打开【手机淘宝】即可查看商品：</p>"
            f"<div class=\"code\" id=\"kl\">{html.escape(share_text)}</div>"
            "<button id=\"btn\" onclick=\"copyCode()\">一键复制淘口令</button>"
            "<p class=\"hint\">长按上方文字也可以复制。WeChat blocks Taobao pages: copy this code and open the "
            "Taobao app.</p>" + direct + _COPY_SCRIPT
        )
    else:
        body = (
            f"<h1>{heading}</h1>"
            "<p>微信内无法直接打开淘宝链接。请点击右上角 <b>···</b>，选择「在浏览器打开」。</p>"
            f"<div class=\"code\">{html.escape(target_url)}</div>"
            "<p class=\"hint\">WeChat blocks Taobao pages: open this link in your browser.</p>"
        )
    return _PAGE.format(title=heading, body=body).encode("utf-8")


_DEAD_HEADINGS = {"sold_out": ("已售罄", "这款商品已经卖完了。"),
                  "coupon_expired": ("优惠券已过期", "这款商品的优惠券已经结束了。")}


def dead_page(row: Any, alternatives: list[Any]) -> bytes:
    """The page for a sold-out or coupon-expired link: up to three working links of the same source
    and channel (each its own short link, counted), and the product page anyway (``?go=1``)."""
    heading, sentence = _DEAD_HEADINGS.get(row["state"], ("商品已下架", "这款商品暂时无法购买。"))
    items = []
    for alt in alternatives:
        price = ""
        if alt["price_minor"] is not None and alt["currency"]:
            from ...core.money import Money

            price = f" <b>{html.escape(Money(int(alt['price_minor']), alt['currency']).format())}</b>"
        title = html.escape(alt["title"] or alt["code"])
        items.append(f"<li><a href=\"/{html.escape(alt['code'])}\">{title}</a>{price}</li>")
    others = (f"<p>看看同样优惠的其他好物：</p><ul>{''.join(items)}</ul>" if items else "")
    body = (f"<h1>{heading}</h1><p>{html.escape(row['title'] or '')}</p><p>{sentence}</p>{others}"
            f"<p class=\"hint\"><a href=\"/{html.escape(row['code'])}?go=1\">仍然查看商品页 · "
            "See the product page anyway</a></p>")
    return _PAGE.format(title=heading, body=body).encode("utf-8")


def _location(target: str) -> bytes:
    """The Location header value: the stored target, ASCII-safe, never a header injection."""
    target = target.replace("\r", "").replace("\n", "")
    if not target.isascii():
        target = quote(target, safe=_LOCATION_SAFE)
    return target.encode("ascii")


class RedirectApp:
    """The ASGI application. One per worker process; ``startup``/``shutdown`` run in lifespan."""

    def __init__(self, home: str | os.PathLike[str] | None = None, *, mode: str | None = None,
                 flush_interval: float | None = None, batch_size: int = 1000,
                 cache_ttl: float | None = None) -> None:
        from ...store.config import load_config

        self.paths = Paths(resolve_home(home))
        self.config = load_config(self.paths.config)
        self.mode = mode or os.environ.get(ENV_RECORD) or "queue"
        interval = flush_interval if flush_interval is not None else float(os.environ.get(ENV_FLUSH) or 0.1)
        self.recorder = Recorder(self.paths.db, mode=self.mode, flush_interval=interval, batch_size=batch_size,
                                 spool_path=self.paths.home / SPOOL_NAME)
        self.classifier: Classifier | None = None
        self.conn: sqlite3.Connection | None = None
        self.taobao_sources: set[str] = {"taobao"}
        self.cache_ttl = cache_ttl if cache_ttl is not None else float(os.environ.get(ENV_CACHE_TTL) or 1.0)
        self._cache: dict[str, tuple[float, sqlite3.Row | None]] = {}
        self._started = False
        self._start_lock = asyncio.Lock()

    # lifecycle ---------------------------------------------------------------------------
    async def startup(self) -> None:
        async with self._start_lock:
            if self._started:
                return
            self.conn = open_db(self.paths.db)
            extra = self.config.get("server.bot_patterns") or []
            self.classifier = Classifier(load_salt(self.paths.salt), self.config.timezone,
                                         [str(p) for p in extra])
            for name in self.config.source_names():
                if str(self.config.get(f"sources.{name}.kind") or "") == "taobao":
                    self.taobao_sources.add(name)
            await self.recorder.start()
            self._started = True

    async def shutdown(self) -> None:
        if not self._started:
            return
        await self.recorder.stop()
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self._started = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            if not self._started:
                await self.startup()
            await self._http(scope, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()  # flushes every queued click
                await send({"type": "lifespan.shutdown.complete"})
                return

    # requests ----------------------------------------------------------------------------
    async def _http(self, scope: dict[str, Any], send: Any) -> None:
        method = scope["method"]
        path = scope["path"]
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, b"method not allowed\n", b"text/plain; charset=utf-8", method,
                           [(b"allow", b"GET, HEAD")])
            return
        if path == "/healthz":
            stats = self.recorder.stats
            body = json.dumps({"ok": True, "mode": self.mode, "pending": self.recorder.pending,
                               "written": stats.written, "spooled": stats.spooled}).encode()
            await _respond(send, 200, body, b"application/json", method)
            return
        if path == "/robots.txt":
            await _respond(send, 200, b"User-agent: *\nDisallow: /\n", b"text/plain; charset=utf-8", method)
            return
        code = path[1:].rstrip("/")
        row = self._lookup(code) if 0 < len(code) <= _MAX_CODE and _CODE_CHARS.issuperset(code) else None
        if row is None:
            await _respond(send, 404, _NOT_FOUND, b"text/html; charset=utf-8", method)
            return

        headers = _headers(scope)
        user_agent = headers.get(b"user-agent", b"").decode("latin-1")
        referer = headers.get(b"referer", b"").decode("latin-1") or None
        query = scope.get("query_string") or b""
        params = parse_qsl(query.decode("latin-1")) if b"=" in query else ()
        via_qr = any(k.lower() == "s" and v.lower() == "q" for k, v in params)
        dead = row["state"] != "ok"
        if dead and ("go", "1") in params:  # "show me the product anyway": the page view was the click
            await self._answer(send, method, row, in_wechat="MicroMessenger" in user_agent)
            return
        client = scope.get("client")
        ip = client[0] if client else ""
        assert self.classifier is not None
        click = self.classifier.click(code=row["code"], channel=row["channel"], product_id=row["product_id"],
                                      ip=ip, user_agent=user_agent, referer=referer, method=method, via_qr=via_qr)
        if self.mode == "direct":
            await self.recorder.record_now(click)
        else:
            self.recorder.record(click)

        if dead:
            page = dead_page(row, self._alternatives(row))
            await _respond(send, 200, page, b"text/html; charset=utf-8", method)
            return
        await self._answer(send, method, row, click.in_wechat)

    async def _answer(self, send: Any, method: str, row: sqlite3.Row, in_wechat: bool) -> None:
        """The link's own answer: the 淘口令 page inside WeChat (Taobao links, and any product with a
        淘口令 of its own), else 302 to the stored target. A target that is not http(s) (stored
        by an older version, before links were checked) is never sent anywhere: 404."""
        if not str(row["target_url"] or "")[:8].lower().startswith(("http://", "https://")):
            await _respond(send, 404, _NOT_FOUND, b"text/html; charset=utf-8", method)
            return
        taobao = row["source"] in self.taobao_sources
        code = row["share_text"] or (clean_text(str(row["tpwd"])) if row["tpwd"] else None)
        if in_wechat and (code or taobao):
            page = taobao_page(code, row["target_url"], row["title"], taobao=taobao or bool(row["share_text"]))
            await _respond(send, 200, page, b"text/html; charset=utf-8", method)
            return
        await _respond(send, 302, b"", None, method, [(b"location", _location(row["target_url"]))])

    def _alternatives(self, row: sqlite3.Row) -> list[sqlite3.Row]:
        """The working links `link check` chose for a dead one (same source and channel), in its order."""
        try:
            codes = [str(c) for c in json.loads(row["alternatives"] or "[]")][:3]
        except (ValueError, TypeError):
            return []
        if not codes:
            return []
        assert self.conn is not None
        found = {r["code"]: r for r in self.conn.execute(
            "SELECT l.code, p.title, p.price_minor, p.currency FROM links l LEFT JOIN products p ON p.id = l.product_id"
            f" WHERE l.code IN ({','.join('?' * len(codes))}) AND l.disabled = 0 AND l.state = 'ok'", codes)}
        return [found[c] for c in codes if c in found]

    def _lookup(self, code: str) -> sqlite3.Row | None:
        """The active link for ``code`` (ignoring case) with its product's source and title.

        Rows (and misses) are cached for ``cache_ttl`` seconds: a link disabled or expired
        stops redirecting within that time, and a hot link costs no query per click.
        """
        key = code.upper()
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            row = hit[1]
        else:
            assert self.conn is not None
            row = self.conn.execute(
                "SELECT l.code, l.channel, l.product_id, l.target_url, l.share_text, l.disabled, l.expires_at,"
                " l.state, l.alternatives,"
                " p.source, p.title,"
                " CASE WHEN json_valid(p.extra) THEN json_extract(p.extra, '$.tpwd') END AS tpwd"
                " FROM links l LEFT JOIN products p ON p.id = l.product_id"
                " WHERE upper(l.code) = ?",
                (key,),
            ).fetchone()
            if self.cache_ttl > 0:
                if len(self._cache) >= _CACHE_MAX:
                    self._cache.clear()
                self._cache[key] = (now + self.cache_ttl, row)
        if row is None or row["disabled"]:
            return None
        if row["expires_at"] and row["expires_at"] <= to_utc_iso(utcnow()):
            return None
        return row


def _headers(scope: dict[str, Any]) -> dict[bytes, bytes]:
    return dict(scope.get("headers") or [])


async def _respond(send: Any, status: int, body: bytes, content_type: bytes | None, method: str,
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"cache-control", b"no-store"), (b"content-length", str(len(body)).encode()),
               (b"x-robots-tag", b"noindex")]
    if content_type:
        headers.append((b"content-type", content_type))
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


def create_app() -> RedirectApp:
    """uvicorn factory (``sharekit.tracking.server.app:create_app``): home from ``$SHAREKIT_HOME``.

    In a worker of ``serve --workers N`` the worker ends (SIGTERM: queued clicks are written)
    when its master dies, even by ``kill -9``, so no orphan keeps the port.
    """
    if os.environ.get(ENV_MASTER) == str(os.getppid()):
        from ...core.proc import die_with_parent

        die_with_parent()
    return RedirectApp()


def app_for(home: Path, **kwargs: Any) -> RedirectApp:
    """An app for ``home`` (tests, the demo)."""
    return RedirectApp(home, **kwargs)
