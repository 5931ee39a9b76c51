"""sharekit: pull products, render share posters, track clicks, sync orders, report earnings.

Use as a library::

    from sharekit import Workspace, Money
    with Workspace.open("~/my-shop") as ws:
        ...

The public names are loaded on first use (module ``__getattr__``), so ``import sharekit.cli``
for ``sharekit --help`` does not pay for the store, config, money and decimal modules.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the submodule that defines it
_LAZY: dict[str, str] = {
    "ConfigError": "errors",
    "ExitCode": "errors",
    "HomeError": "errors",
    "InputError": "errors",
    "LockedError": "errors",
    "NotFoundError": "errors",
    "SharekitError": "errors",
    "SourceAuthError": "errors",
    "SourceError": "errors",
    "SourceThrottled": "errors",
    "StoreError": "errors",
    "Money": "core.money",
    "Workspace": "store.workspace",
    "init_home": "store.workspace",
}

__all__ = [
    "__version__", "ConfigError", "ExitCode", "HomeError", "InputError", "LockedError", "Money", "NotFoundError",
    "SharekitError", "SourceAuthError", "SourceError", "SourceThrottled", "StoreError", "Workspace", "init_home",
]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load lazily
    from .core.money import Money
    from .errors import (
        ConfigError,
        ExitCode,
        HomeError,
        InputError,
        LockedError,
        NotFoundError,
        SharekitError,
        SourceAuthError,
        SourceError,
        SourceThrottled,
        StoreError,
    )
    from .store.workspace import Workspace, init_home


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sharekit' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
