"""The home folder: config.toml, sharekit.db, cache/ and posters/ all live here."""

from __future__ import annotations

import os
from pathlib import Path

from ..core.private import private_mkdir
from ..errors import HomeError

ENV_HOME = "SHAREKIT_HOME"


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the home folder: ``--home`` > ``$SHAREKIT_HOME`` > the platform user data dir."""
    if explicit:
        return Path(explicit).expanduser().absolute()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_data_dir("sharekit", appauthor=False))


def ensure_home(home: Path, *, create: bool = True) -> Path:
    """Check that ``home`` is a writable folder, creating it when ``create`` is true."""
    if home.exists() and not home.is_dir():
        raise HomeError(f"Home {home} exists but is not a folder.",
                       hint="Pick another `home`.", params=("home",))
    if not home.exists():
        if not create:
            raise HomeError(f"Home {home} does not exist.", hint="Run `sharekit init` first.")
        try:
            private_mkdir(home)
        except OSError as exc:
            raise HomeError(f"Cannot create home {home}: {exc.strerror}.") from None
    if not os.access(home, os.W_OK | os.X_OK):
        raise HomeError(f"Home {home} is not writable.",
                       hint="Fix its permissions or pick another `home`.", params=("home",))
    return home


class Paths:
    """Every path sharekit uses, derived from one home folder."""

    def __init__(self, home: Path) -> None:
        self.home = home

    @property
    def config(self) -> Path:
        return self.home / "config.toml"

    @property
    def db(self) -> Path:
        return self.home / "sharekit.db"

    @property
    def cache(self) -> Path:
        return self.home / "cache"

    @property
    def posters(self) -> Path:
        return self.home / "posters"

    @property
    def salt(self) -> Path:
        return self.home / "visitor.salt"

    @property
    def locks(self) -> Path:
        return self.home / "locks"
