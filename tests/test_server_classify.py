"""Click classification: bots, WeChat, visitor ids, salt (unit tests, no server)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from sharekit.tracking.server.classify import Classifier, load_salt

WECHAT_ANDROID = ("Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 "
                  "MMWEBSDK/20240404 MMWEBID/1234 MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 Weixin")


@pytest.mark.parametrize("ua", [
    WECHAT_ANDROID,
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
])
def test_people_including_wechat_browser_are_not_bots(ua):
    assert not Classifier(b"s", "Asia/Shanghai").is_bot(ua)


def test_head_is_a_bot_whatever_the_user_agent():
    assert Classifier(b"s", "Asia/Shanghai").is_bot(WECHAT_ANDROID, "HEAD")


def test_extra_bot_patterns_from_config_are_regular_expressions():
    classifier = Classifier(b"s", "Asia/Shanghai", [r"MyMonitor/\d"])
    assert classifier.is_bot("MyMonitor/2 (uptime)")
    assert not classifier.is_bot("MyMonitor (no version)")


def test_click_day_is_local_date_and_time_is_utc():
    classifier = Classifier(b"s", "Asia/Shanghai")
    click = classifier.click(code="ABC", channel="m", product_id=None, ip="1.2.3.4", user_agent=WECHAT_ANDROID,
                             referer=None, method="GET", via_qr=True, now=datetime(2026, 11, 25, 16, 30, tzinfo=UTC))
    assert (click.clicked_at, click.day) == ("2026-11-25T16:30:00+00:00", "2026-11-26")
    assert click.in_wechat and click.via_qr and not click.is_bot


def test_visitor_id_depends_on_salt_ip_and_user_agent():
    a, b = Classifier(b"salt-a", "UTC"), Classifier(b"salt-b", "UTC")
    kw = {"code": "C", "channel": "", "product_id": None, "referer": None, "method": "GET", "via_qr": False}
    v = a.click(ip="1.1.1.1", user_agent="UA", **kw).visitor
    assert v == a.click(ip="1.1.1.1", user_agent="UA", **kw).visitor
    assert v != a.click(ip="1.1.1.2", user_agent="UA", **kw).visitor
    assert v != a.click(ip="1.1.1.1", user_agent="UA2", **kw).visitor
    assert v != b.click(ip="1.1.1.1", user_agent="UA", **kw).visitor


def test_salt_is_created_once_even_by_racing_workers(tmp_path):
    path = tmp_path / "visitor.salt"
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(load_salt(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results[0]) == 32
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob("*.tmp"))
