"""Send stored events to ``[notify] webhook``: signed JSON, or a WeCom (企业微信) group robot message.

- ``format = "json"`` (default): one POST per event, body ``{"id", "kind", "created_at", "data"}``,
  header ``X-Sharekit-Signature: sha256=<hex HMAC-SHA256 of the body with [notify] secret>``
  (plus ``X-Sharekit-Event`` and ``X-Sharekit-Delivery``, the event id, for de-duplication).
- ``format = "wecom"``: the group robot's ``{"msgtype": "markdown", ...}``, up to 15 events per
  message; the robot answers ``errcode`` 0 when it took it.

A failed POST is retried at once with backoff (0.5 s, 1 s) inside a time budget; when the receiver
still fails, the event stays undelivered with ``next_attempt_at`` pushed back exponentially (1 min
up to 1 h) and the run stops sending (order is kept). Any later run sends it: nothing is lost.
Errors kept are a status or an exception name, never the URL (WeCom's carries its key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..core.timeutil import to_utc_iso, utcnow
from ..errors import ConfigError
from ..store.db import transaction
from . import Event, list_events, summary_line

FORMATS = ("json", "wecom")
SIGNATURE_HEADER = "X-Sharekit-Signature"
RETRY_DELAYS = (0.5, 1.0)
WECOM_BATCH = 15
WECOM_MAX_BYTES = 4000  # the robot takes at most 4096 bytes of markdown


@dataclass(frozen=True)
class WebhookSettings:
    """``[notify]``: where events go, how they are signed, and how long a run may spend sending."""

    url: str
    secret: str = ""
    format: str = "json"
    timeout: float = 5.0
    budget: float = 15.0       # seconds one run may spend sending (a sync is never held longer)
    max_age: timedelta = timedelta(days=7)  # older undelivered events are left to the digest


def settings_from(config: Any) -> WebhookSettings | None:
    """The webhook settings in ``[notify]``, or None when no webhook is configured."""
    url = str(config.get("notify.webhook") or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{config.path}: `notify.webhook` must be an http(s) URL.")
    fmt = str(config.get("notify.format") or "json")
    if fmt not in FORMATS:
        raise ConfigError(f"{config.path}: `notify.format` {fmt!r} must be one of {', '.join(FORMATS)}.")
    return WebhookSettings(url=url, secret=str(config.get("notify.secret") or ""), format=fmt)


def sign(secret: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass
class DeliveryResult:
    """What one sending run did."""

    delivered: int = 0
    failed: int = 0            # events whose POST failed this run (they stay queued)
    waiting: int = 0           # undelivered events left for a later run
    error: str | None = None   # the last failure (status or exception name)
    posts: int = 0
    attempts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "failed": self.failed, "waiting": self.waiting, "error": self.error}


def wecom_body(events: list[Event]) -> bytes:
    """A WeCom group robot markdown message for ``events``."""
    lines = [f"**sharekit** {len(events)} 条通知"]
    for e in events:
        lines.append(f"> <font color=\"{_colour(e.kind)}\">{e.kind}</font> {summary_line(e)}")
    content = "\n".join(lines)
    while len(content.encode("utf-8")) > WECOM_MAX_BYTES and len(lines) > 2:
        lines.pop()
        content = "\n".join(lines) + "\n> …"
    return json.dumps({"msgtype": "markdown", "markdown": {"content": content}}, ensure_ascii=False).encode("utf-8")


def _colour(kind: str) -> str:
    return "info" if kind in ("order.new", "order.settled", "channel.threshold_reached") else "warning"


def _post(client: Any, settings: WebhookSettings, body: bytes, headers: dict[str, str]) -> str | None:
    """POST once; None when the receiver took it, else a short reason (no URL)."""
    import httpx

    try:
        response = client.post(settings.url, content=body, headers=headers, timeout=settings.timeout)
    except httpx.HTTPError as exc:
        return type(exc).__name__
    if not 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}"
    if settings.format == "wecom":
        try:
            errcode = response.json().get("errcode", 0)
        except ValueError:
            return None
        if errcode:
            return f"errcode {errcode}"
    return None


def deliver_pending(conn: sqlite3.Connection, settings: WebhookSettings, *, client: Any = None,
                    now: datetime | None = None, force: bool = False, limit: int = 500,
                    sleep: Callable[[float], None] = time.sleep,
                    clock: Callable[[], float] = time.monotonic) -> DeliveryResult:
    """Send undelivered events, oldest first, within ``settings.budget`` seconds.

    ``force`` also sends events whose ``next_attempt_at`` has not come yet (`events --send`).
    """
    import httpx

    now = now or utcnow()
    stamp = to_utc_iso(now)
    result = DeliveryResult()
    due: list[Event] = []
    for e in list_events(conn, since=now - settings.max_age, undelivered=True, limit=limit):
        if not force and not _due(conn, e.id, stamp):
            break  # an earlier event waits for its retry time: later ones wait behind it (order kept)
        due.append(e)
    own = client is None
    client = client or httpx.Client(timeout=settings.timeout)
    deadline = clock() + settings.budget
    try:
        batches = ([due[i:i + WECOM_BATCH] for i in range(0, len(due), WECOM_BATCH)] if settings.format == "wecom"
                   else [[e] for e in due])
        for n, batch in enumerate(batches):
            if settings.format == "wecom":
                body = wecom_body(batch)
                headers = {"Content-Type": "application/json"}
            else:
                body = json.dumps(batch[0].wire(), ensure_ascii=False, sort_keys=True).encode("utf-8")
                headers = {"Content-Type": "application/json", "X-Sharekit-Event": batch[0].kind,
                           "X-Sharekit-Delivery": str(batch[0].id), "User-Agent": "sharekit-webhook"}
            if settings.secret:
                headers[SIGNATURE_HEADER] = sign(settings.secret, body)
            error = _send_with_retries(client, settings, body, headers, result, deadline, sleep, clock)
            _mark(conn, batch, error, now)
            if error is None:
                result.delivered += len(batch)
                continue
            result.failed += len(batch)
            result.error = error
            result.waiting = sum(len(b) for b in batches[n + 1:])
            break  # the receiver is down: stop here, keep the order; a later run goes on
    finally:
        if own:
            client.close()
    return result


def _due(conn: sqlite3.Connection, event_id: int, stamp: str) -> bool:
    row = conn.execute("SELECT next_attempt_at FROM events WHERE id = ?", (event_id,)).fetchone()
    return row is None or row[0] is None or row[0] <= stamp


def _send_with_retries(client: Any, settings: WebhookSettings, body: bytes, headers: dict[str, str],
                       result: DeliveryResult, deadline: float, sleep: Callable[[float], None],
                       clock: Callable[[], float]) -> str | None:
    error: str | None = "out of time"
    for attempt in range(len(RETRY_DELAYS) + 1):
        if clock() >= deadline:
            break
        result.posts += 1
        error = _post(client, settings, body, headers)
        result.attempts.append(error or "ok")
        if error is None:
            return None
        if attempt < len(RETRY_DELAYS) and clock() + RETRY_DELAYS[attempt] < deadline:
            sleep(RETRY_DELAYS[attempt])
        else:
            break
    return error


def _mark(conn: sqlite3.Connection, batch: list[Event], error: str | None, now: datetime) -> None:
    with transaction(conn):
        for e in batch:
            if error is None:
                conn.execute("UPDATE events SET delivered_at = ?, attempts = attempts + 1, last_error = NULL,"
                             " next_attempt_at = NULL WHERE id = ?", (to_utc_iso(now), e.id))
            else:
                backoff = timedelta(minutes=min(60, 2 ** min(e.attempts, 6)))
                conn.execute("UPDATE events SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                             " WHERE id = ?", (error, to_utc_iso(now + backoff), e.id))
