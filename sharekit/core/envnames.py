"""The environment variable names that carry a source's settings (secrets above all)."""

from __future__ import annotations

import re

ENV_PREFIX = "SHAREKIT_"


def source_env_prefix(source: str) -> str:
    """``SHAREKIT_<SOURCE>_``: the source name upper-cased, each character other than an ASCII
    letter or digit as ``_`` (so a source named ``京东`` reads ``SHAREKIT____APP_SECRET``)."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", source).upper() + "_"


def source_env_name(source: str, key: str) -> str:
    """The variable the config reads for ``key`` of ``source``: ``SHAREKIT_<SOURCE>_<KEY>``."""
    return source_env_prefix(source) + key.upper()
