"""What a click is and how it is classified.

Classification (per request, cheap):

- visitor: a salted SHA-256 of IP and user agent (salt in ``HOME/visitor.salt``, 0600,
  created once); the raw IP is never stored.
- bot: HEAD requests, an empty user agent, crawler and link-preview user agents (search
  engines, WeChat/QQ/Telegram/Slack/Facebook/Twitter/WhatsApp/Discord preview fetchers,
  HTTP libraries). WeChat's own in-app browser (``MicroMessenger``) is a person, not a bot.
- in_wechat: ``MicroMessenger`` in the user agent.
- via_qr: ``?s=q`` on the URL (posters encode ``{short_url}?s=q`` in their QR codes).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

UA_MAX = 512
REFERER_MAX = 1024

# Lower-case substrings of crawler and link-preview user agents, checked with `in` (a big regex
# alternation costs ~0.3 ms per request). Kept specific: a false positive hides a real buyer's
# click (CrawlerDetect once flagged WeChat's own browser, MicroMessenger, as a bot and had to
# revert it). More patterns (regular expressions) can be added with `server.bot_patterns`.
BOT_SUBSTRINGS: tuple[str, ...] = (
    "bot/", "bot;", "bot)", "adsbot", "googleother", "google-inspectiontool", "crawl", "spider", "slurp", "preview",
    "facebookexternalhit", "facebot", "twitterbot", "telegrambot", "slackbot", "slack-imgproxy",
    "whatsapp/", "discordbot", "linkedinbot", "skypeuripreview", "embedly", "pinterestbot",
    "redditbot", "applebot", "baiduspider", "bytespider", "petalbot", "yandexbot", "duckduckbot",
    "qq-url-manager", "headlesschrome", "phantomjs", "python-requests", "python-httpx", "python-urllib",
    "aiohttp", "curl/", "wget/", "go-http-client", "java/", "okhttp", "libwww-perl", "httpclient",
    "node-fetch", "axios/", "scrapy", "ahrefs", "semrush", "zgrab", "masscan", "nmap", "nuclei", "censys",
)
# A user agent ending in "...bot" (e.g. "Googlebot"); "cubot" is a phone brand.
_BOT_AT_END = re.compile(r"(?<!cu)bot$")
_CACHE_MAX = 4096


class BotDetector:
    """Flags crawler / preview-fetcher user agents; results cached per user agent."""

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        patterns = [p for p in extra_patterns if p]
        self.extra = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None
        self._cache: dict[str, bool] = {}

    def __call__(self, user_agent: str) -> bool:
        hit = self._cache.get(user_agent)
        if hit is None:
            ua = user_agent.lower()
            hit = (not ua.strip() or any(s in ua for s in BOT_SUBSTRINGS) or _BOT_AT_END.search(ua) is not None
                   or (self.extra is not None and self.extra.search(user_agent) is not None))
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[user_agent] = hit
        return hit


def load_salt(path: Path) -> bytes:
    """The visitor salt in ``path``, created (0600, 32 random bytes) on first use.

    Several server workers may start at once: the file is created exclusively and a loser of
    the race reads the winner's salt.
    """
    for _ in range(50):
        try:
            data = path.read_text(encoding="ascii").strip()
            if data:
                return bytes.fromhex(data)
        except FileNotFoundError:
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)  # atomic, fails if another worker won
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
            continue
        time.sleep(0.01)  # a half-written file is impossible (link), but be patient anyway
    raise RuntimeError(f"cannot read visitor salt {path}")


def visitor_id(salt: bytes, ip: str, user_agent: str) -> str:
    """A salted hash of IP and user agent (hex, 128 bits); the IP itself is not kept."""
    h = hashlib.sha256(salt)
    h.update(ip.encode("utf-8", "replace"))
    h.update(b"\x00")
    h.update(user_agent.encode("utf-8", "replace"))
    return h.hexdigest()[:32]


@dataclass(slots=True)
class Click:
    """One click as stored in ``clicks`` and counted in ``click_daily``."""

    code: str
    clicked_at: str       # UTC ISO 8601
    day: str              # local date in the configured timezone
    channel: str
    product_id: str | None
    visitor: str
    user_agent: str
    referer: str | None
    is_bot: bool
    in_wechat: bool
    via_qr: bool


class Classifier:
    """Turns request facts into a Click: visitor hash, bot / WeChat / QR flags, cropped fields."""

    def __init__(self, salt: bytes, tz: str, extra_bot_patterns: Iterable[str] = ()) -> None:
        self.salt = salt
        self.tz = ZoneInfo(tz)
        self.bots = BotDetector(extra_bot_patterns)
        self._stamp_second = -1
        self._stamp_value = ("", "")

    def _stamp(self, now: datetime | None) -> tuple[str, str]:
        """(UTC ISO time to the second, local day): formatted once per second, not per click."""
        if now is not None:
            return (now.astimezone(UTC).replace(microsecond=0).isoformat(),
                    now.astimezone(self.tz).date().isoformat())
        second = int(time.time())
        if second != self._stamp_second:
            moment = datetime.fromtimestamp(second, UTC)
            self._stamp_value = (moment.isoformat(), moment.astimezone(self.tz).date().isoformat())
            self._stamp_second = second
        return self._stamp_value

    def is_bot(self, user_agent: str, method: str = "GET") -> bool:
        return method == "HEAD" or self.bots(user_agent)

    def click(self, *, code: str, channel: str, product_id: str | None, ip: str, user_agent: str,
              referer: str | None, method: str, via_qr: bool, now: datetime | None = None) -> Click:
        clicked_at, day = self._stamp(now)
        ua = user_agent[:UA_MAX]
        return Click(
            code=code,
            clicked_at=clicked_at,
            day=day,
            channel=channel,
            product_id=product_id,
            visitor=visitor_id(self.salt, ip, user_agent),
            user_agent=ua,
            referer=referer[:REFERER_MAX] if referer else None,
            is_bot=self.is_bot(user_agent, method),
            in_wechat="MicroMessenger" in user_agent,
            via_qr=via_qr,
        )

