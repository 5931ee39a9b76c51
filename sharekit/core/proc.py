"""Child processes that end with their parent (server workers, poster render workers)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed process stays a zombie until its own parent reaps it
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except (OSError, IndexError):
        return False


def die_with_parent(sig: int = signal.SIGTERM, *, owner: int | None = None, poll: float = 0.5) -> None:
    """Send ``sig`` to this process as soon as its parent, or ``owner``, dies (``kill -9`` included).

    ``owner`` is the process that started the pool when the parent is a go-between such as
    multiprocessing's forkserver (which itself only exits once its children did). On Linux the
    kernel signals a dead parent (``PR_SET_PDEATHSIG``); everywhere a daemon thread polls every
    ``poll`` seconds, which also covers a parent that died before this call.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: the thread below still does it

    def watch() -> None:
        while os.getppid() == parent and (owner is None or not _gone(owner)):
            time.sleep(poll)
        os.kill(os.getpid(), sig)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()
