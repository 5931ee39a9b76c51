"""HTTP for sources: timeouts, retries with backoff and jitter, Retry-After, a rate limit.

Sources receive an ``httpx.Client`` (injected; tests pass one bound to a local server) and
wrap it in :class:`RetryingClient`. Nothing here logs a URL's query string or a header,
so secrets in them cannot leak.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..errors import SourceError, SourceThrottled
from .download import DownloadError
from .netguard import BlockedHost

RETRY_STATUSES = {429, 500, 502, 503, 504}


class RateLimiter:
    """A token bucket: at most ``rate`` requests per second, bursts of ``burst``."""

    def __init__(self, rate: float | None, burst: int = 1, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate if rate and rate > 0 else None
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a token; return the seconds waited."""
        if self.rate is None:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            wait = 0.0
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate
                self._sleep(wait)
                self._last = self._clock()
                self._tokens = 0.0
            else:
                self._tokens -= 1
            return wait


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full-jitter exponential backoff for retry number ``attempt`` (0-based)."""
    return rng.uniform(0, min(cap, base * (2**attempt)))


class RetryableError(Exception):
    """Raised by a response checker to ask for a retry. ``throttled``: the supplier said to slow
    down (a rate-limit code), so running out of retries raises SourceThrottled, not SourceError."""

    def __init__(self, reason: str, delay: float | None = None, *, throttled: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.throttled = throttled


class RetryingClient:
    """Wraps an ``httpx.Client`` with retries, backoff, jitter, Retry-After and a rate limit."""

    def __init__(self, source: str, client: httpx.Client, *, timeout: float = 20.0, retries: int = 4,
                 rate_limit: float | None = None, backoff_base: float = 0.5, backoff_cap: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep, seed: int | None = None) -> None:
        self.source = source
        self.client = client
        self.timeout = timeout
        self.retries = retries
        self.limiter = RateLimiter(rate_limit, sleep=sleep)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.rng = random.Random(seed)
        self.requests = 0
        self.retried = 0

    def request(self, method: str, url: str, *, check: Callable[[httpx.Response], Any] | None = None,
                what: str = "request", max_bytes: int | None = None, deadline: float | None = None,
                **kwargs: Any) -> Any:
        """Send with retries. ``check(response)`` returns the parsed result or raises
        RetryableError (retry) / SourceError (stop). Without ``check`` the response is returned
        for any status below 400. A GET with ``max_bytes`` and ``deadline`` streams the body under
        that byte cap and whole-download time limit (see core.download); crossing one stops at once."""
        kwargs.setdefault("timeout", self.timeout)
        last_reason = ""
        throttled = False
        for attempt in range(self.retries + 1):
            self.limiter.acquire()
            self.requests += 1
            delay: float | None = None
            throttled = False
            try:
                if max_bytes is not None and deadline is not None:
                    response = self._bounded_get(url, max_bytes, deadline, what)
                else:
                    response = self.client.request(method, url, **kwargs)
            except _RetryDownload as exc:
                last_reason = str(exc)
            except DownloadError as exc:   # refused before sending (a private address): final
                raise SourceError(self.source, f"{what} refused: {exc}.") from None
            except httpx.TimeoutException:
                last_reason = f"timed out after {self.timeout:g}s"
            except httpx.TransportError as exc:
                last_reason = f"connection failed ({type(exc).__name__})"
            else:
                if response.status_code in RETRY_STATUSES:
                    last_reason = f"HTTP {response.status_code}"
                    throttled = response.status_code == 429
                    delay = retry_after_seconds(response)
                else:
                    try:
                        if check is not None:
                            return check(response)
                        if response.status_code >= 400:
                            raise SourceError(self.source, f"{what} answered HTTP {response.status_code}.")
                        return response
                    except RetryableError as exc:
                        last_reason, delay, throttled = exc.reason, exc.delay, exc.throttled
            if attempt == self.retries:
                break
            self.retried += 1
            wait = delay if delay is not None else backoff_delay(attempt, self.backoff_base, self.backoff_cap, self.rng)
            self.sleep(min(wait, self.backoff_cap * 4))
        if throttled:  # the last answer said to slow down
            raise SourceThrottled(
                self.source, f"{what} still rate limited after {self.retries + 1} tries ({last_reason}).",
                hint="Quota exhausted; retry later.")
        raise SourceError(self.source, f"{what} failed after {self.retries + 1} tries: {last_reason}.")

    def _bounded_get(self, url: str, max_bytes: int, deadline: float, what: str) -> httpx.Response:
        """One capped GET: over the cap or past the deadline is final; a dropped connection retries."""
        from .download import buffered, download

        try:
            body, response = download(self.client, url, max_bytes=max_bytes, timeout=deadline)
        except DownloadError as exc:
            if exc.retry:
                raise _RetryDownload(str(exc)) from None
            verb = "refused" if isinstance(exc, BlockedHost) else "stopped"
            raise SourceError(self.source, f"{what} {verb}: {exc}.") from None
        return buffered(body, response)


class _RetryDownload(Exception):
    """A bounded download failed in a way another try may fix (a dropped connection)."""


def make_client(**kwargs: Any) -> httpx.Client:
    """A default ``httpx.Client`` for real use (redirects followed, a sharekit UA)."""
    from .. import __version__

    return httpx.Client(follow_redirects=True, headers={"User-Agent": f"sharekit/{__version__}"}, **kwargs)

