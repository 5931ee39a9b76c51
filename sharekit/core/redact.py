"""Masking secrets for display: config keys that name a secret, and credentials inside URLs.

One place decides what counts as a secret, so `config show`, `source list`, bad-row
messages, ``--json`` output and error lines all hide the same things:

- a key whose last part contains ``key``, ``secret``, ``token`` or ``password`` (``api_key``,
  ``app_secret``, ``access_token``, ``db_password``...);
- in a URL, the userinfo (``user:pass@``) and the value of every query parameter whose name
  looks secret (the words above plus ``sign``, ``auth``, ``session``, ``pass``, ``pwd``...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "********"
SECRET_WORDS = ("key", "secret", "token", "password")
# Query parameter names that carry credentials in supplier and storefront URLs.
_SECRET_PARAM_WORDS = SECRET_WORDS + ("passwd", "pwd", "pass", "sign", "auth", "session", "credential",
                                      "cookie", "jwt", "bearer")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\s'\"<>`]+")
_QUERY_PARAM = re.compile(r"(?P<lead>^|[?&;])(?P<name>[^=&;#?]+)=(?P<value>[^&;#]*)")


def is_secret_key(key: str) -> bool:
    """True when the last part of a dotted config key names a secret (``sources.jd.app_key``)."""
    last = str(key).rsplit(".", 1)[-1].lower()
    return any(word in last for word in SECRET_WORDS)


def _is_secret_param(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_PARAM_WORDS)


def _mask_query(query: str) -> str:
    def sub(match: re.Match[str]) -> str:
        if _is_secret_param(match["name"]) and match["value"]:
            return f"{match['lead']}{match['name']}={MASK}"
        return match.group(0)

    return _QUERY_PARAM.sub(sub, query)


def redact_url(url: str) -> str:
    """``url`` with its userinfo and secret-looking query values masked; other text unchanged."""
    if not isinstance(url, str) or ("@" not in url and "=" not in url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _QUERY_PARAM.sub(lambda m: f"{m['lead']}{m['name']}={MASK}"
                                if _is_secret_param(m["name"]) else m.group(0), url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = _mask_query(parts.query) if parts.query else parts.query
    fragment = _mask_query(parts.fragment) if "=" in parts.fragment else parts.fragment
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def redact_text(text: str) -> str:
    """Every URL inside free text (an error line, a bad-row message) passed through :func:`redact_url`."""
    if not isinstance(text, str) or "://" not in text:
        return text
    def sub(match: re.Match[str]) -> str:
        url = match.group(0)
        body = url.rstrip(".,;:)]}!")  # sentence punctuation after a URL stays as it was
        return redact_url(body) + url[len(body):]

    return _URL.sub(sub, text)


def mask_secrets(value: Any, key: str = "") -> Any:
    """``value`` (found at dotted ``key``) with secrets masked: secret keys wholly, URLs in part.

    Mappings and lists are walked; the input is never modified.
    """
    if isinstance(value, Mapping):
        return {k: mask_secrets(v, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if key and is_secret_key(key) and value not in (None, ""):
        return MASK
    if isinstance(value, list | tuple):
        return [mask_secrets(v, key) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
