"""Configured sources and installed kinds: list them, check one."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.redact import redact_url
from ..core.timeutil import local_iso

if TYPE_CHECKING:
    import httpx

    from ..store.workspace import Workspace

from .pull import open_source


# sources: list and check ---------------------------------------------------------------------
@dataclass(frozen=True)
class ConfiguredSource:
    name: str
    kind: str
    location: str              # store / endpoint / path / url, whichever the kind uses
    installed: bool            # the kind is known to this installation
    products: int
    available: int
    last_pull: str | None      # when the last pull finished (local ISO)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "location": self.location, "installed": self.installed,
                "products": self.products, "available": self.available, "last_pull": self.last_pull}


@dataclass(frozen=True)
class InstalledKind:
    name: str
    target: str
    builtin: bool
    importable: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "builtin": self.builtin, "importable": self.importable}


@dataclass(frozen=True)
class SourcesReport:
    sources: list[ConfiguredSource]
    kinds: list[InstalledKind]

    def to_json(self) -> dict[str, Any]:
        return {"sources": [s.to_json() for s in self.sources], "kinds": [k.to_json() for k in self.kinds]}


def _importable(target: str) -> bool:
    from importlib.util import find_spec

    module = target.partition(":")[0]
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def list_sources(ws: Workspace) -> SourcesReport:
    """The configured sources (with product counts) and every installed kind."""
    from ..sources import available_kinds

    kinds = available_kinds()
    counts: dict[str, tuple[int, int, str | None]] = {}
    if ws.paths.db.exists():
        for row in ws.db.execute(
            "SELECT source, count(*), sum(available), max(seen_at) FROM products GROUP BY source"
        ):
            counts[row[0]] = (row[1], row[2] or 0, row[3])
        for row in ws.db.execute("SELECT source, max(finished_at) FROM catalog_pulls GROUP BY source"):
            total, available, _seen = counts.get(row[0], (0, 0, None))
            counts[row[0]] = (total, available, row[1])
    configured: list[ConfiguredSource] = []
    raw_sources = ws.config.data.get("sources") or {}
    for name in ws.config.source_names():
        settings = raw_sources.get(name) or {}
        kind = str(settings.get("kind", "")) if isinstance(settings, dict) else ""
        location = ""
        if isinstance(settings, dict):
            for key in ("endpoint", "store", "path", "url"):
                if settings.get(key):
                    location = redact_url(str(settings[key]))
                    break
        total, available, last = counts.get(name, (0, 0, None))
        configured.append(ConfiguredSource(name, kind or "?", location, kind in kinds, total, available,
                                           local_iso(last, ws.config.timezone) if last else None))
    installed = [InstalledKind(k.name, k.target, k.builtin, _importable(k.target))
                 for k in sorted(kinds.values(), key=lambda k: (not k.builtin, k.name))]
    return SourcesReport(configured, installed)


@dataclass(frozen=True)
class SourceCheck:
    source: str
    kind: str
    ok: bool
    message: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "ok": self.ok, "message": self.message,
                "seconds": round(self.seconds, 3)}


def check_source(ws: Workspace, name: str, *, client: httpx.Client | None = None,
                 sleep: Any = None) -> SourceCheck:
    """One cheap call to the source: ok with what worked, or not ok with the one-line error.

    A source that is not configured or whose kind is unknown raises (that is not a check result).
    """
    from ..errors import InputError, SourceError

    started = time.monotonic()
    with open_source(ws, name, client=client, sleep=sleep) as source:
        try:
            message = source.check()
            ok = True
        except (SourceError, InputError) as exc:
            message, ok = str(exc), False
    return SourceCheck(name, source.kind, ok, message, time.monotonic() - started)
