"""A Workspace is one home folder opened: its paths, its config and (lazily) its store."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.limits import DEFAULT_FEED_MAX_MB, DEFAULT_FEED_TIMEOUT, megabytes, seconds
from ..core.private import private_mkdir
from .config import STARTER_CONFIG, Config, load_config, write_config
from .db import open_db
from .home import Paths, ensure_home, resolve_home


@dataclass
class Workspace:
    """The home folder, its config and its database connection."""

    paths: Paths
    config: Config
    _db: sqlite3.Connection | None = field(default=None, repr=False)

    @classmethod
    def open(cls, home: str | os.PathLike[str] | Path | None = None, *, create: bool = False) -> Workspace:
        """Open the home (``--home`` > ``$SHAREKIT_HOME`` > platform dir); create it if asked."""
        root = ensure_home(resolve_home(home), create=create)
        paths = Paths(root)
        return cls(paths=paths, config=load_config(paths.config))

    @property
    def home(self) -> Path:
        return self.paths.home

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_db(self.paths.db)
        return self._db

    def source_settings(self, name: str) -> dict[str, Any]:
        """The settings a source ``name`` is built from, the same for pull, link and sync: its
        config table (environment overrides applied) plus the workspace defaults a kind may use
        (``currency``, ``base_dir`` for relative paths)."""
        settings = self.config.source(name)
        settings.setdefault("currency", self.config.currency)
        settings.setdefault("base_dir", str(self.home))
        # a remote feed's byte cap and whole-download time limit ([feeds] max_mb / timeout)
        settings.setdefault("feed_max_bytes", megabytes(self.config, "feeds.max_mb", DEFAULT_FEED_MAX_MB))
        settings.setdefault("feed_timeout", seconds(self.config, "feeds.timeout", DEFAULT_FEED_TIMEOUT))
        return settings

    def reload_config(self) -> Config:
        self.config = load_config(self.paths.config)
        return self.config

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class InitResult:
    home: str
    config_created: bool
    db_created: bool
    migrations: list[str]


def init_home(home: str | os.PathLike[str] | Path | None = None) -> InitResult:
    """Create the home, config.toml (0600) and sharekit.db; running it again changes nothing.

    Everything that can refuse (a broken config.toml, a file that is not SQLite, a newer
    schema, a locked database) is checked before the first write to an existing file.
    """
    from .db import migrate

    root = ensure_home(resolve_home(home), create=True)
    paths = Paths(root)
    if paths.config.exists():
        load_config(paths.config)  # a broken file is reported, not overwritten
    db_created = not paths.db.exists() or paths.db.stat().st_size == 0
    conn = open_db(paths.db, migrate_schema=False)  # refuses non-SQLite / newer files untouched
    try:
        applied = migrate(conn, paths.db)
    finally:
        conn.close()
    config_created = False
    if not paths.config.exists():
        write_config(paths.config, STARTER_CONFIG)
        config_created = True
    for folder in (paths.cache, paths.posters):
        private_mkdir(folder)
    return InitResult(str(root), config_created, db_created, applied)
