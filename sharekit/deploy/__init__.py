"""`sharekit deploy systemd`: the files that run the click server and the syncs on a Linux host.

- ``sharekit-serve.service``: ``sharekit serve`` on 127.0.0.1 behind the proxy, restarted on
  failure, as the given user, with the home and ``--workers``. uvicorn trusts
  ``X-Forwarded-For`` only from 127.0.0.1 (``FORWARDED_ALLOW_IPS``), and both proxy snippets
  overwrite that header with the real peer address, so a client cannot forge its own IP.
- ``sharekit-sync.service`` + ``.timer``: ``sharekit sync`` then ``sharekit link check`` every
  15 minutes (a oneshot unit never runs twice at once; sync also holds its own lock). Without
  any source that has an order API, only ``link check`` (a sync would fail every run).
- A crontab line for hosts without systemd: ``flock -n`` skips a run silently while the last one
  still runs; sharekit itself is quiet unless something failed, so cron mails only failures.
- ``Caddyfile`` and ``nginx`` site: TLS for the base URL's host (Caddy fetches certificates
  itself; nginx uses certbot's Let's Encrypt paths).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError

SERVE_UNIT = "sharekit-serve.service"
SYNC_UNIT = "sharekit-sync.service"
SYNC_TIMER = "sharekit-sync.timer"
CADDY_FILE = "Caddyfile"
NGINX_FILE = "sharekit-nginx.conf"
CRON_FILE = "sharekit.cron"
SYNC_EVERY_MINUTES = 15


@dataclass(frozen=True)
class DeployFile:
    """One generated file: its name, where it is installed, and its text."""

    name: str
    install_to: str
    text: str


@dataclass(frozen=True)
class DeploySettings:
    """What the files are generated for."""

    user: str
    home: str
    sharekit: str          # absolute path of the sharekit executable
    host: str              # the public host name of server.base_url
    port: int              # where sharekit serve listens on 127.0.0.1
    workers: int
    cert_dir: str = ""     # nginx: folder with fullchain.pem and privkey.pem (default: certbot's)
    sync_orders: bool = True  # False when no source has an order API: the timer only checks links

    @property
    def certs(self) -> str:
        return self.cert_dir or f"/etc/letsencrypt/live/{self.host}"


def public_host(base_url: str) -> str:
    """The host name of ``server.base_url``; an InputError when it is not set or not a URL."""
    parts = urlsplit(base_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"server.base_url {base_url!r} is not an http(s) URL with a host.",
                         hint="sharekit config set server.base_url https://YOUR.HOST")
    if parts.path.strip("/"):
        raise InputError(f"server.base_url {base_url!r} has a path; the proxy snippets serve the whole host.",
                         hint="Use a host of its own, e.g. https://s.example.com")
    return parts.hostname


def _quote_unit(arg: str) -> str:
    """An ExecStart argument: systemd splits on spaces and reads quotes like a shell."""
    if arg and all(c.isalnum() or c in "/._-:=@+," for c in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _exec(s: DeploySettings, *args: str) -> str:
    return " ".join(_quote_unit(a) for a in (s.sharekit, "--home", s.home, *args))


def serve_unit(s: DeploySettings) -> str:
    return f"""[Unit]
Description=sharekit click server (short links for {s.host})
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
User={s.user}
WorkingDirectory={s.home}
Environment={_quote_unit('SHAREKIT_HOME=' + s.home)}
Environment=FORWARDED_ALLOW_IPS=127.0.0.1
ExecStart={_exec(s, "serve", "--host", "127.0.0.1", "--port", str(s.port), "--workers", str(s.workers))}
Restart=on-failure
RestartSec=2
# SIGTERM lets the server write every queued click before it exits
KillSignal=SIGTERM
TimeoutStopSec=40
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=full

[Install]
WantedBy=multi-user.target
"""


def sync_unit(s: DeploySettings) -> str:
    return f"""[Unit]
Description=sharekit order sync and offer check
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
User={s.user}
WorkingDirectory={s.home}
Environment={_quote_unit('SHAREKIT_HOME=' + s.home)}
{_sync_exec(s)}ExecStart={_exec(s, "link", "check")}
NoNewPrivileges=true
PrivateTmp=true
"""


def _sync_exec(s: DeploySettings) -> str:
    return f"ExecStart={_exec(s, 'sync')}\n" if s.sync_orders else ""


def sync_timer(s: DeploySettings) -> str:
    return f"""[Unit]
Description=Run sharekit sync every {SYNC_EVERY_MINUTES} minutes

[Timer]
OnBootSec=2min
OnUnitActiveSec={SYNC_EVERY_MINUTES}min
RandomizedDelaySec=60
Persistent=true

[Install]
WantedBy=timers.target
"""


def cron_line(s: DeploySettings) -> str:
    lock = shlex.quote(str(Path(s.home) / "locks" / "cron.lock"))
    cmd = f"{shlex.quote(s.sharekit)} --home {shlex.quote(s.home)}"
    steps = f"{cmd} sync && {cmd} link check" if s.sync_orders else f"{cmd} link check"
    run = f"flock -n {lock} sh -c {shlex.quote(steps)}"
    what = "sync orders and check offers" if s.sync_orders else "check offers"
    return (f"# sharekit: {what} every {SYNC_EVERY_MINUTES} minutes (crontab -e as {s.user});\n"
            "# quiet unless something failed, so cron mails only failures\n"
            f"*/{SYNC_EVERY_MINUTES} * * * * {run.replace('%', chr(92) + '%')}\n")  # % ends a cron command


def caddyfile(s: DeploySettings) -> str:
    return f"""# /etc/caddy/Caddyfile: Caddy gets and renews the TLS certificate for {s.host} itself.
# reverse_proxy sets X-Forwarded-For to the peer address (a header sent by the client is not trusted).
{s.host} {{
\treverse_proxy 127.0.0.1:{s.port}
}}
"""


def nginx_site(s: DeploySettings) -> str:
    return f"""# /etc/nginx/sites-available/sharekit (link it into sites-enabled). Certificates from certbot:
#   certbot certonly --webroot -w /var/www/html -d {s.host}
server {{
    listen 80;
    listen [::]:80;
    server_name {s.host};
    location /.well-known/acme-challenge/ {{ root /var/www/html; }}
    location / {{ return 301 https://$host$request_uri; }}
}}

server {{
    listen 443 ssl;
    listen [::]:443 ssl;
    server_name {s.host};
    ssl_certificate {s.certs}/fullchain.pem;
    ssl_certificate_key {s.certs}/privkey.pem;

    location / {{
        proxy_pass http://127.0.0.1:{s.port};
        proxy_set_header Host $host;
        # set, not appended: the visitor's address as nginx saw it, never one the client sent
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_redirect off;
    }}
}}
"""


def render(s: DeploySettings) -> list[DeployFile]:
    """Every file, in the order a person installs them."""
    if s.workers < 1:
        raise InputError(f"`workers` {s.workers} must be at least 1.", params=("workers",))
    if not 0 < s.port < 65536:
        raise InputError(f"`port` {s.port} is not a TCP port (1-65535).", params=("port",))
    return [
        DeployFile(SERVE_UNIT, f"/etc/systemd/system/{SERVE_UNIT}", serve_unit(s)),
        DeployFile(SYNC_UNIT, f"/etc/systemd/system/{SYNC_UNIT}", sync_unit(s)),
        DeployFile(SYNC_TIMER, f"/etc/systemd/system/{SYNC_TIMER}", sync_timer(s)),
        DeployFile(CRON_FILE, f"crontab -e (as {s.user})", cron_line(s)),
        DeployFile(CADDY_FILE, "/etc/caddy/Caddyfile", caddyfile(s)),
        DeployFile(NGINX_FILE, "/etc/nginx/sites-available/sharekit", nginx_site(s)),
    ]


def write_files(files: list[DeployFile], folder: Path) -> list[Path]:
    """Write ``files`` into ``folder`` (created); existing files are replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        path = folder / f.name
        path.write_text(f.text, encoding="utf-8")
        written.append(path)
    return written
