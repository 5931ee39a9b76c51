"""Find source kinds: the entry-point group ``sharekit.sources`` (built-in kinds included, listed
once in pyproject.toml), build a configured source from its settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from ..errors import ConfigError, NotFoundError
from .base import Source

ENTRY_POINT_GROUP = "sharekit.sources"
ENV_PLUGINS = "SHAREKIT_PLUGINS"  # comma list: load only these third-party kinds ("" = none)
BUILTIN_PREFIX = "sharekit."


@dataclass(frozen=True)
class SourceKind:
    name: str
    target: str        # module:Class
    builtin: bool
    error: str | None = None


@cache
def _checkout_kinds() -> tuple[tuple[str, str], ...]:
    """The built-in kinds from pyproject.toml, for a source checkout run without being installed
    (``PYTHONPATH=.``): there is no dist-info then, so no entry points, yet the kinds must work.
    Installed (pip, editable or wheel), the entry points are used and this is never read."""
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    group = data.get("project", {}).get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
    return tuple((str(k), str(v)) for k, v in group.items() if str(v).startswith(BUILTIN_PREFIX))


def available_kinds() -> dict[str, SourceKind]:
    """Every installed kind: sharekit's own and third-party ones (filtered by ``$SHAREKIT_PLUGINS``)."""
    allowed = os.environ.get(ENV_PLUGINS)
    allow = None if allowed is None else {p.strip() for p in allowed.split(",") if p.strip()}
    kinds: dict[str, SourceKind] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        builtin = ep.value.startswith(BUILTIN_PREFIX)
        if ep.name in kinds and kinds[ep.name].builtin:
            continue  # a plugin cannot shadow a built-in kind
        if not builtin and allow is not None and ep.name not in allow:
            continue
        kinds[ep.name] = SourceKind(ep.name, ep.value, builtin)
    if not any(k.builtin for k in kinds.values()):
        for name, target in _checkout_kinds():
            kinds.setdefault(name, SourceKind(name, target, True))
    return kinds


def load_kind(kind: str) -> type[Source]:
    """The Source class for ``kind``; a ConfigError when it is unknown or fails to load."""
    kinds = available_kinds()
    if kind not in kinds:
        raise ConfigError(f"Unknown source kind `{kind}` (installed: {', '.join(sorted(kinds))}).")
    module_name, _, attr = kinds[kind].target.partition(":")
    try:
        cls = getattr(import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"Source kind `{kind}` failed to load: {exc}.") from None
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        raise ConfigError(f"Source kind `{kind}` ({kinds[kind].target}) is not a sharekit Source.")
    return cls


def build_source(name: str, settings: Mapping[str, Any], **kwargs: Any) -> Source:
    """Instantiate the configured source ``name`` from its settings (``Workspace.source_settings``)."""
    kind = settings.get("kind")
    if not kind:
        raise NotFoundError(f"Source `{name}` has no `kind`.", hint=f"Set sources.{name}.kind.")
    return load_kind(str(kind))(name, settings, **kwargs)


def settings_keys_of(kind: str) -> Mapping[str, Any] | None:
    """The keys a kind declares for its [sources.NAME] table; None when it declares none or is unknown."""
    return _settings_keys(kind, os.environ.get(ENV_PLUGINS))


@cache
def _settings_keys(kind: str, plugins: str | None) -> Mapping[str, Any] | None:
    if kind not in available_kinds():
        return None
    return load_kind(kind).settings_keys
