"""Channels: where a link is shared (a WeChat group, Moments, a friend who re-shares).

Channel names travel to the suppliers as sub-ids (JD subUnionId, PDD custom_parameters,
Taobao external id, Amazon tracking id), so their alphabet is what all of them accept.
"""

from __future__ import annotations

import re

from .errors import InputError

CHANNEL_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
KINDS = ("group", "moments", "friend", "other")


def validate_channel_name(name: str) -> str:
    """Return ``name`` if it is a valid channel name, else raise InputError saying why."""
    if not CHANNEL_RE.match(name or ""):
        raise InputError(
            f"Channel name {name!r} is not allowed: use 1-32 letters, digits, '_' or '-' "
            "(the suppliers' sub-ids accept nothing else)."
        )
    return name
