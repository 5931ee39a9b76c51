"""The exceptions sharekit raises, and the exit codes the CLI maps them to.

Tree::

    SharekitError               base: any failure the user can act on (exit 1)
    ├── ConfigError             config.toml unreadable, invalid TOML, a key of the wrong type
    ├── UsageError              a mistyped name or value on the command line (exit 2)
    ├── HomeError               the home folder is missing or not writable
    ├── StoreError              the database cannot be opened, is locked, is not SQLite, is newer
    ├── InputError              a file or value given by the user is malformed (names file/line)
    ├── NotFoundError           a product, link, channel or source that does not exist
    ├── SourceError             a supplier call failed (names the source and what came back)
    │   ├── SourceAuthError     permanent: bad key, bad signature, no permission
    │   └── SourceThrottled     transient: rate limited or degraded; retried before raised
    └── LockedError             another run holds the lock (sync, batch)

Messages never contain secrets: sources build them from safe fields only.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes: a stable contract for scripts and cron."""

    OK = 0
    ERROR = 1  # a failure the user must act on (bad input, a source that failed)
    USAGE = 2  # Typer/Click usage error
    INTERRUPTED = 130  # Ctrl-C


class SharekitError(Exception):
    """Raised for any failure the user can act on; the CLI prints it in one line, exit 1."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None, params: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # The library arguments the message names as `name`; the CLI shows its own flag there.
        self.params = params

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class ConfigError(SharekitError):
    """Raised when config.toml cannot be read or a key has the wrong type or value."""


class UsageError(SharekitError):
    """Raised when a name or value typed on the command line is not a valid choice (exit 2)."""

    exit_code = ExitCode.USAGE


class HomeError(SharekitError):
    """Raised when the home folder is missing, not a folder, or not writable."""


class StoreError(SharekitError):
    """Raised when the database cannot be opened, is locked, is not SQLite or is too new."""


class InputError(SharekitError):
    """Raised when a file or value supplied by the user is malformed."""


class NotFoundError(SharekitError):
    """Raised when a named product, link, channel or source does not exist."""


class SourceError(SharekitError):
    """Raised when a supplier call fails; the message names the source and what came back."""

    def __init__(self, source: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{source}: {message}", hint=hint)
        self.source = source


class SourceAuthError(SourceError):
    """Raised on a permanent supplier error: bad key, bad signature, missing permission."""


class SourceThrottled(SourceError):
    """Raised when a supplier keeps rate limiting after the retries ran out."""


class LockedError(SharekitError):
    """Raised when another sharekit run holds the lock."""
