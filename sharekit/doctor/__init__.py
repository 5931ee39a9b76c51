"""`sharekit doctor`: check what a user would otherwise learn the hard way, each with a fix.

Every check returns :class:`Check` items with a status: ``ok``; ``warn`` (works, but worth a
look); ``fail`` (must be fixed: the command exits 1). Checks only read: they never migrate
the database, rewrite the config or start anything.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

STATUSES = ("ok", "warn", "fail")


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, what was found, and how to fix it."""

    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DoctorReport:
    """Every check of one home, in checklist order."""

    home: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing must be fixed (warnings allowed)."""
        return all(c.status != "fail" for c in self.checks)

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status == "warn"]

    def to_json(self) -> dict[str, Any]:
        return {"home": self.home, "ok": self.ok, "checks": [c.to_json() for c in self.checks]}


def run_doctor(home: str | os.PathLike[str] | None = None, *, http_client: Any = None,
               now: datetime | None = None) -> DoctorReport:
    """Run every check on ``home`` (``--home`` > ``$SHAREKIT_HOME`` > the platform dir)."""
    from ..core.timeutil import utcnow
    from ..store.home import Paths, resolve_home
    from . import checks

    root = resolve_home(home)
    report = DoctorReport(str(root))
    if not root.is_dir():
        report.checks.append(Check("home", "fail", f"{root} does not exist.",
                                   f"Run `sharekit --home {root} init`."))
        return report
    paths = Paths(Path(root))
    moment = now or utcnow()
    config = checks.config_checks(paths, report.checks)
    report.checks.extend(checks.secret_files(paths, config))
    db_ok = checks.database(paths, report.checks)
    report.checks.append(checks.disk_space(paths))
    seen: dict[str, Any] = {}
    report.checks.extend(checks.base_url(config, http_client, seen))
    report.checks.append(checks.fonts(config, paths))
    report.checks.append(checks.sync_lock(paths, moment))
    if db_ok and config is not None:
        report.checks.extend(checks.last_syncs(paths, config, moment))
        report.checks.extend(checks.webhook(paths, config, moment))
    report.checks.extend(checks.clock(paths, config, moment, db_ok, seen.get("date")))
    return report
