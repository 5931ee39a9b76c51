"""The individual doctor checks; each returns Check items (never raises for what it finds)."""

from __future__ import annotations

import ipaddress
import shutil
import sqlite3
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import SharekitError
from ..store.config import Config, is_secret_key, load_config
from ..store.home import Paths
from . import Check

CHINESE_SAMPLE = "好物分享券后价已售罄优惠券扫码购买"
DISK_FAIL_BYTES = 100 * 1024 * 1024
DISK_WARN_BYTES = 1024 * 1024 * 1024
SYNC_WARN_AGE = timedelta(days=2)
LOCK_STALE_AGE = timedelta(hours=2)
CLOCK_SKEW = timedelta(seconds=60)
WEBHOOK_LATE = timedelta(hours=1)
LOCAL_HOSTS = ("localhost", "localhost.localdomain", "")


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


# config ------------------------------------------------------------------------------------
def config_checks(paths: Paths, out: list[Check]) -> Config | None:
    """config.toml parses, and every source names an installed kind with its required keys."""
    try:
        config = load_config(paths.config)
    except SharekitError as exc:
        out.append(Check("config", "fail", str(exc), f"Edit {paths.config} and fix that line."))
        return None
    if not paths.config.exists():
        out.append(Check("config", "warn", f"No {paths.config}: the defaults are used.",
                         "Run `sharekit init` to write a starter config."))
    else:
        out.append(Check("config", "ok", f"{paths.config} parses."))
    from ..sources import load_kind

    for name in config.source_names():
        label = f"source {name}"
        try:
            settings = config.source(name)
            kind = str(settings.get("kind") or "")
            if not kind:
                out.append(Check(label, "fail", "no `kind`.", f"Set sources.{name}.kind in {paths.config}."))
                continue
            cls = load_kind(kind)
        except SharekitError as exc:
            out.append(Check(label, "fail", str(exc), f"Fix [sources.{name}] in {paths.config}."))
            continue
        missing = [k for k in cls.required_keys if settings.get(k) in (None, "")]
        if missing:
            env = "SHAREKIT_" + "".join(c if c.isalnum() else "_" for c in name).upper()
            out.append(Check(label, "fail", f"{kind}: missing {', '.join(missing)}.",
                             f"Set them in [sources.{name}] (secrets as \"${{VAR}}\") or as {env}_<KEY>."))
        else:
            out.append(Check(label, "ok", f"{kind}: every required key is set."))
    return config


def secret_files(paths: Paths, config: Config | None) -> list[Check]:
    """config.toml (may hold secrets) and visitor.salt must not be readable by other users."""
    found: list[Check] = []
    for path in (paths.config, paths.salt):
        if not path.exists():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            found.append(Check(f"permissions {path.name}", "fail",
                               f"{path} is mode {mode:03o}: other users can read it.", f"chmod 600 {path}"))
        else:
            found.append(Check(f"permissions {path.name}", "ok", f"{path} is mode {mode:03o}."))
    if config is not None:
        plain = [dotted for dotted, value in _walk(config.data)
                 if is_secret_key(dotted) and isinstance(value, str) and value and "${" not in value]
        if plain:
            found.append(Check("secrets in config", "warn", f"written in the file: {', '.join(plain[:4])}.",
                               "Prefer \"${ENV_VAR}\" references (the file then holds no secret)."))
    return found


def _walk(data: Any, prefix: str = ""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, f"{prefix}{key}.") if isinstance(value, dict) else [(f"{prefix}{key}", value)]


# database ----------------------------------------------------------------------------------
def database(paths: Paths, out: list[Check]) -> bool:
    """The db opens, integrity ok, WAL on, schema current (read-only: nothing is migrated)."""
    from ..store.db import check_db

    if not paths.db.exists():
        out.append(Check("database", "fail", f"No database at {paths.db}.", "Run `sharekit init`."))
        return False
    try:
        result = check_db(paths.db)
    except SharekitError as exc:
        out.append(Check("database", "fail", str(exc), "Restore a backup or move the file aside."))
        return False
    if result.integrity != "ok":
        out.append(Check("database", "fail", f"integrity check: {result.integrity}",
                         "Restore the newest `sharekit db backup` copy."))
        return False
    out.append(Check("database", "ok", f"{paths.db}: integrity ok."))
    try:
        conn = sqlite3.connect(f"file:{paths.db}?mode=ro", uri=True)
        try:
            journal = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        journal = f"unreadable ({exc})"
    if journal == "wal":
        out.append(Check("database WAL", "ok", "journal mode is WAL (the server and cron can write at once)."))
    else:
        out.append(Check("database WAL", "fail", f"journal mode is {journal}, not WAL.",
                         "Run any sharekit command that opens the store (e.g. `sharekit db check`)."))
    if result.pending:
        out.append(Check("database schema", "fail",
                         f"schema {result.schema_version}; {len(result.pending)} migration(s) pending.",
                         "Run `sharekit init` (it applies them; back up first with `sharekit db backup`)."))
    else:
        out.append(Check("database schema", "ok", f"schema {result.schema_version} is current."))
    return True


def disk_space(paths: Paths) -> Check:
    free = shutil.disk_usage(paths.home).free
    text = f"{free / 1024 ** 3:.1f} GB free in {paths.home}."
    fix = "Free disk space (old posters in posters/, cache/)."
    if free < DISK_FAIL_BYTES:
        return Check("disk space", "fail", text, fix)
    if free < DISK_WARN_BYTES:
        return Check("disk space", "warn", text, fix)
    return Check("disk space", "ok", text)


# server ------------------------------------------------------------------------------------
def is_local_host(host: str) -> bool:
    """True for loopback, private and link-local addresses (a phone on the internet cannot reach them)."""
    if host.lower() in LOCAL_HOSTS or host.lower().endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


def base_url(config: Config | None, http_client: Any, seen: dict[str, Any]) -> list[Check]:
    """``server.base_url`` is set, public, and answers HEAD /healthz from this machine.

    The server's ``Date`` header, when it answered, goes into ``seen["date"]`` for the clock check.
    """
    if config is None:
        return []
    url = str(config.get("server.base_url") or "").rstrip("/")
    if not url:
        return [Check("server.base_url", "fail", "not set: posters carry the supplier's long link, no clicks count.",
                      "sharekit config set server.base_url https://YOUR.HOST")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Check("server.base_url", "fail", f"{url!r} is not an http(s) URL.",
                      "sharekit config set server.base_url https://YOUR.HOST")]
    answered, why = _head_healthz(url, http_client, seen)
    local = is_local_host(parts.hostname)
    if local:
        state = "the server answers" if answered else f"no server answers now: {why}"
        return [Check("server.base_url", "warn",
                      f"{url} is this machine or your LAN only ({state}): phones scanning a poster cannot open it.",
                      "On a public host: sharekit config set server.base_url https://YOUR.HOST "
                      "(see `sharekit deploy systemd`).")]
    found = []
    if parts.scheme != "https":
        found.append(Check("server.base_url https", "warn", f"{url} is plain http: WeChat may warn buyers.",
                           "Put Caddy or nginx with TLS in front (`sharekit deploy systemd` prints both)."))
    if answered:
        found.insert(0, Check("server.base_url", "ok", f"{url}/healthz answers."))
    else:
        found.insert(0, Check("server.base_url", "fail", f"{url}/healthz does not answer ({why}).",
                              "Start the server (`systemctl start sharekit-serve`) and check the proxy and DNS."))
    return found


def _head_healthz(url: str, client: Any, seen: dict[str, Any]) -> tuple[bool, str]:
    import httpx

    own = client is None
    if own:
        host = urlsplit(url).hostname or ""
        client = httpx.Client(timeout=5, trust_env=not is_local_host(host))
    try:
        response = client.head(url + "/healthz")
    except httpx.HTTPError as exc:
        return False, type(exc).__name__
    finally:
        if own:
            client.close()
    date = response.headers.get("date")
    if date:
        try:
            seen["date"] = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            pass
    if response.status_code != 200:
        return False, f"HTTP {response.status_code}"
    return True, "ok"


# posters -----------------------------------------------------------------------------------
def fonts(config: Config | None, paths: Paths) -> Check:
    """The poster fonts have (and draw) every character of a Chinese sample."""
    from ..poster.batch import user_fonts
    from ..poster.text import FontChain

    try:
        chain = FontChain.build(user_fonts(config, paths.home) if config is not None else ())
        missing = []
        for ch in CHINESE_SAMPLE:
            face = chain.face_for(ch, False)
            box = chain.font(face, 32).getbbox(ch) if face is not None else None
            if not box or box[2] <= box[0]:
                missing.append(ch)
    except (SharekitError, OSError) as exc:
        return Check("fonts", "fail", f"cannot load the poster fonts: {exc}", "Fix `poster.font` in config.toml.")
    if missing:
        return Check("fonts", "fail", f"no glyph for {''.join(missing)}.",
                     "Add a Chinese font: sharekit config set poster.font /path/to/NotoSansCJK.otf")
    return Check("fonts", "ok", f"Chinese text renders ({len(chain.files)} font file(s)).")


# sync --------------------------------------------------------------------------------------
def sync_lock(paths: Paths, now: datetime) -> Check:
    """The sync lock is free, or held by a run that is not hours old."""
    from filelock import FileLock, Timeout

    lock_path = paths.locks / "sync.lock"
    if not lock_path.exists():
        return Check("sync lock", "ok", "no sync is running.")
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        held = now - datetime.fromtimestamp(lock_path.stat().st_mtime, UTC)
        if held > LOCK_STALE_AGE:
            return Check("sync lock", "fail", f"a sync has held {lock_path} for {_age(held)}: it looks hung.",
                         "Find it (`pgrep -af 'sharekit sync'`) and stop it; the lock frees when it exits.")
        return Check("sync lock", "ok", f"a sync is running (for {_age(held)}).")
    except OSError as exc:
        return Check("sync lock", "fail", f"cannot take {lock_path}: {exc.strerror}.",
                     f"Check the permissions of {paths.locks}.")
    lock.release()
    return Check("sync lock", "ok", "no sync is running (the lock is free).")


def last_syncs(paths: Paths, config: Config, now: datetime) -> list[Check]:
    """Per configured source with an order API: its last successful sync and its age."""
    from ..sources import load_kind

    try:
        conn = sqlite3.connect(f"file:{paths.db}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        rows = {r["source"]: r for r in conn.execute("SELECT * FROM sync_checkpoints")}
        conn.close()
    except sqlite3.Error:
        return []
    found = []
    for name in config.source_names():
        try:
            cls = load_kind(str(config.source(name).get("kind") or ""))
        except SharekitError:
            continue
        if cls.order_window is None:
            continue
        row = rows.get(name)
        label = f"sync {name}"
        if row is None or not row["last_ok_at"]:
            error = f" (last error: {row['last_error']})" if row is not None and row["last_error"] else ""
            found.append(Check(label, "warn" if not error else "fail", f"never synced successfully{error}.",
                               f"Run `sharekit sync {name}` and schedule it (`sharekit deploy systemd`)."))
            continue
        age = now - datetime.fromisoformat(row["last_ok_at"])
        if row["last_error"]:
            found.append(Check(label, "fail", f"last run failed: {row['last_error']} (last ok {_age(age)} ago).",
                               f"Fix what the error says, then `sharekit sync {name}`."))
        elif age > SYNC_WARN_AGE:
            found.append(Check(label, "warn", f"last successful sync {_age(age)} ago.",
                               "Schedule `sharekit sync` (`sharekit deploy systemd` prints a timer)."))
        else:
            found.append(Check(label, "ok", f"last successful sync {_age(age)} ago."))
    return found


# notify ------------------------------------------------------------------------------------
def webhook(paths: Paths, config: Config, now: datetime) -> list[Check]:
    """With ``[notify] webhook`` set: no event has waited for delivery for more than an hour."""
    if not config.get("notify.webhook"):
        return []
    try:
        conn = sqlite3.connect(f"file:{paths.db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT count(*), min(created_at), max(last_error) FROM events"
                               " WHERE delivered_at IS NULL").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return []
    waiting, oldest, error = row
    if waiting and now - datetime.fromisoformat(oldest) > WEBHOOK_LATE:
        return [Check("webhook", "warn", f"{waiting} event(s) undelivered since {oldest[:16]} ({error or 'not sent'}).",
                      "Check the receiver, then `sharekit events --send`.")]
    return [Check("webhook", "ok", "every event was delivered." if not waiting else f"{waiting} event(s) queued.")]


# clock -------------------------------------------------------------------------------------
def clock(paths: Paths, config: Config | None, now: datetime, db_ok: bool, server: datetime | None) -> list[Check]:
    """The timezone is known; the clock agrees with the server (Date header), NTP, and the store."""
    found = []
    tz = config.timezone if config is not None else "Asia/Shanghai"
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(tz))
    found.append(Check("timezone", "ok", f"{tz}: now {local:%Y-%m-%d %H:%M} there ({now:%H:%M} UTC)."))
    problems = []
    if server is not None and abs(server - now) > CLOCK_SKEW:
        problems.append(f"the server's clock differs by {_age(abs(server - now))}")
    if db_ok:
        newest = _newest_stored(paths.db)
        if newest is not None and newest - now > CLOCK_SKEW:
            problems.append(f"the store has times {_age(newest - now)} in the future (the clock went back?)")
    synced = _ntp_synchronized()
    if problems:
        found.append(Check("clock", "fail", "; ".join(problems) + ".",
                           "Turn on time sync: sudo timedatectl set-ntp true"))
    elif synced is False:
        found.append(Check("clock", "warn", "the system clock is not synchronised (NTP off).",
                           "sudo timedatectl set-ntp true"))
    else:
        found.append(Check("clock", "ok", "the clock agrees" + (" (NTP synchronised)." if synced else ".")))
    return found


def _newest_stored(db: Path) -> datetime | None:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT max(fetched_at) FROM orders").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def _ntp_synchronized() -> bool | None:
    if not shutil.which("timedatectl"):
        return None
    try:
        done = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"], capture_output=True,
                              text=True, timeout=3, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip().lower()
    return {"yes": True, "no": False}.get(value) if done.returncode == 0 else None


