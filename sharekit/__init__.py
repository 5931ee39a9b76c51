"""sharekit: pull products, render share posters, track clicks, sync orders, report earnings.

Use as a library::

    from sharekit import Workspace, Money
    with Workspace.open("~/my-shop") as ws:
        ...
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    ConfigError,
    ExitCode,
    InputError,
    NotFoundError,
    SharekitError,
    SourceError,
    StoreError,
)
from .money import Money  # noqa: E402
from .workspace import Workspace, init_home  # noqa: E402

__all__ = [
    "__version__", "ConfigError", "ExitCode", "InputError", "Money", "NotFoundError", "SharekitError",
    "SourceError", "StoreError", "Workspace", "init_home",
]
