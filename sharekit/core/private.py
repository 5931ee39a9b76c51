"""Files only the owner can read: the store, its WAL/SHM, backups, spools and caches.

The CLI also sets the process umask to 077 (``PRIVATE_UMASK``), so anything else it creates in
the home is private too; these helpers make the library safe when it is used without the CLI.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077


def private_mkdir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 folders; an existing folder is left alone."""
    if not path.is_dir():
        for parent in reversed(path.parents):
            if not parent.exists():
                parent.mkdir(mode=0o700, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
    return path


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (then :func:`tighten` it)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        tighten(path)


def tighten(*paths: Path) -> None:
    """Drop group and other permissions from each existing file (left by an older version)."""
    for path in paths:
        try:
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                os.chmod(path, mode & 0o700)
        except OSError:
            pass  # gone meanwhile, or not ours: nothing to tighten


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new or truncated 0600 file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
