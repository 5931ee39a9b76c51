"""The request-signature family shared by JD Union, Pinduoduo and Taobao (TOP).

All three sort every request parameter except ``sign`` by key (byte order), join
``key + value`` with no separators, then either wrap the string in the secret and take MD5
(JD, PDD, TOP ``sign_method=md5``) or take an HMAC keyed with the secret over the plain
string (TOP ``hmac`` = HMAC-MD5, ``hmac-sha256``). The result is uppercase hex.

Values are signed exactly as they are sent: the caller passes the same strings it puts on
the wire (e.g. JD's ``360buy_param_json`` text), so a fake server can verify over what it
received. ``None`` values are skipped, because they are never sent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

SIGN_METHODS = ("md5", "hmac", "hmac-md5", "hmac-sha256")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sign_base(params: Mapping[str, Any], *, exclude: tuple[str, ...] = ("sign",)) -> str:
    """``k1v1k2v2...`` over the parameters sorted by key (UTF-8 byte order), ``sign`` left out."""
    items = [(k, _text(v)) for k, v in params.items() if k not in exclude and v is not None]
    items.sort(key=lambda kv: kv[0].encode("utf-8"))
    return "".join(k + v for k, v in items)


def md5_wrap(params: Mapping[str, Any], secret: str) -> str:
    """MD5 of ``secret + k1v1k2v2... + secret``, uppercase hex (JD, PDD, TOP md5)."""
    base = sign_base(params)
    return hashlib.md5((secret + base + secret).encode("utf-8")).hexdigest().upper()


def hmac_md5(params: Mapping[str, Any], secret: str) -> str:
    """HMAC-MD5 keyed with ``secret`` over ``k1v1k2v2...``, uppercase hex (TOP ``hmac``)."""
    return hmac.new(secret.encode("utf-8"), sign_base(params).encode("utf-8"), hashlib.md5).hexdigest().upper()


def hmac_sha256(params: Mapping[str, Any], secret: str) -> str:
    """HMAC-SHA256 keyed with ``secret`` over ``k1v1k2v2...``, uppercase hex (TOP ``hmac-sha256``)."""
    return hmac.new(secret.encode("utf-8"), sign_base(params).encode("utf-8"),
                    hashlib.sha256).hexdigest().upper()


def sign(params: Mapping[str, Any], secret: str, method: str = "md5") -> str:
    """The signature of ``params`` with ``method`` (``md5``, ``hmac``/``hmac-md5``, ``hmac-sha256``)."""
    method = method.lower()
    if method == "md5":
        return md5_wrap(params, secret)
    if method in ("hmac", "hmac-md5"):
        return hmac_md5(params, secret)
    if method == "hmac-sha256":
        return hmac_sha256(params, secret)
    raise ValueError(f"unknown sign method {method!r} (use one of {', '.join(SIGN_METHODS)})")


def verify(params: Mapping[str, Any], secret: str, given: str | None, method: str = "md5") -> bool:
    """True when ``given`` is the signature of ``params`` (constant-time, case-insensitive)."""
    if not given:
        return False
    return hmac.compare_digest(sign(params, secret, method), given.upper())
