"""RetryingClient: retries with backoff and jitter, Retry-After, a token-bucket rate limit (unit tests)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from sharekit.core.http import RateLimiter, RetryableError, RetryingClient, backoff_delay, retry_after_seconds
from sharekit.errors import SourceError, SourceThrottled


def client_for(responses):
    """An httpx.Client whose transport answers from ``responses`` in order (a callable may raise)."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        item = responses[min(len(calls) - 1, len(responses) - 1)]
        if isinstance(item, Exception):
            raise item
        return item

    return httpx.Client(transport=httpx.MockTransport(handler), base_url="http://api.test"), calls


def test_retries_transient_statuses_then_returns_the_response():
    client, calls = client_for([httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"ok": 1})])
    slept = []
    with client:
        rc = RetryingClient("jd", client, retries=4, sleep=slept.append, seed=1)
        response = rc.request("GET", "/x")
    assert response.json() == {"ok": 1}
    assert len(calls) == 3 and rc.retried == 2 and len(slept) == 2
    assert all(0 <= s <= rc.backoff_cap for s in slept)


def test_retry_after_is_honoured():
    client, _ = client_for([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)])
    slept = []
    with client:
        RetryingClient("pdd", client, sleep=slept.append).request("GET", "/x")
    assert slept == [7.0]


def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=30)
    seconds = retry_after_seconds(httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)}))
    assert seconds is not None and 25 <= seconds <= 31
    assert retry_after_seconds(httpx.Response(503, headers={"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Response(503)) is None


def test_rate_limiting_that_never_ends_raises_source_throttled_naming_the_source():
    client, calls = client_for([httpx.Response(429)])
    with client:
        rc = RetryingClient("taobao", client, retries=2, sleep=lambda s: None)
        with pytest.raises(SourceThrottled) as info:
            rc.request("GET", "/x", what="order query")
    assert len(calls) == 3
    assert str(info.value).startswith("taobao: order query still rate limited after 3 tries")


def test_a_client_error_is_not_retried():
    client, calls = client_for([httpx.Response(403)])
    with client:
        with pytest.raises(SourceError, match="jd: request answered HTTP 403"):
            RetryingClient("jd", client, sleep=lambda s: None).request("GET", "/x")
    assert len(calls) == 1


def test_timeouts_and_connection_errors_are_retried_then_reported():
    client, calls = client_for([httpx.ConnectTimeout("slow"), httpx.ConnectError("refused")])
    with client:
        with pytest.raises(SourceError) as info:
            RetryingClient("shop", client, retries=3, timeout=2, sleep=lambda s: None).request("GET", "/x")
    assert len(calls) == 4
    assert "failed after 4 tries: connection failed (ConnectError)" in str(info.value)


def test_a_checker_can_ask_for_a_retry_on_a_business_error_code():
    client, calls = client_for([httpx.Response(200, json={"code": 429001}), httpx.Response(200, json={"code": 0})])

    def check(response: httpx.Response):
        code = response.json()["code"]
        if code:
            raise RetryableError(f"throttled (code {code})", delay=1.5)
        return "parsed"

    slept = []
    with client:
        assert RetryingClient("jd", client, sleep=slept.append).request("GET", "/x", check=check) == "parsed"
    assert slept == [1.5] and len(calls) == 2


def test_backoff_grows_exponentially_up_to_the_cap_with_full_jitter():
    rng = random.Random(3)
    for attempt in range(8):
        ceiling = min(30.0, 0.5 * 2**attempt)
        delays = [backoff_delay(attempt, 0.5, 30.0, rng) for _ in range(50)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jitter spreads over the whole window


def test_token_bucket_limits_the_request_rate():
    now = [0.0]
    waits = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2.0, burst=1, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.acquire()
    assert waits == [0.5, 0.5, 0.5, 0.5]  # 2 per second after the first
    now[0] += 10  # idle time refills at most `burst` tokens
    limiter.acquire()
    assert len(waits) == 4
    assert RateLimiter(None).acquire() == 0.0


@pytest.mark.parametrize(("throttled", "error"), [(True, SourceThrottled), (False, SourceError)])
def test_throttling_is_the_checkers_typed_signal_not_words_in_the_reason(throttled, error):
    client, calls = client_for([httpx.Response(200, json={"code": 7})] * 2)

    def check(response: httpx.Response):
        raise RetryableError("quota limit words in a non-throttling reason", throttled=throttled)

    with client, pytest.raises(SourceError) as info:
        RetryingClient("jd", client, retries=1, sleep=lambda _s: None).request("GET", "/x", check=check)
    assert type(info.value) is error and len(calls) == 2
