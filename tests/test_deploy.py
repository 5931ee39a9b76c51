"""`sharekit deploy systemd`: the generated unit, timer, cron line and proxy files, checked line by
line and by the real tools where installed (systemd-analyze verify, nginx -t, caddy adapt)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sharekit.deploy import DeploySettings, render
from sharekit.store.config import set_value

SHAREKIT = str(Path(sys.executable).with_name("sharekit"))


def settings(tmp_path: Path, **kw) -> DeploySettings:
    values = dict(user="root", home=str(tmp_path / "shop home"), sharekit=SHAREKIT, host="s.example.com",
                  port=8181, workers=3)
    values.update(kw)
    return DeploySettings(**values)


def unit_sections(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as section -> key -> values (keys such as ExecStart may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        assert current is not None and value, line
        current.setdefault(key, []).append(value)
    return sections


def files(tmp_path: Path, **kw) -> dict[str, str]:
    return {f.name: f.text for f in render(settings(tmp_path, **kw))}


def test_serve_unit_restarts_on_failure_as_the_user_with_home_and_workers(tmp_path):
    unit = unit_sections(files(tmp_path)["sharekit-serve.service"])
    service = unit["Service"]
    assert service["Restart"] == ["on-failure"] and service["User"] == ["root"]
    home = str(tmp_path / "shop home")
    assert service["Environment"] == [f'"SHAREKIT_HOME={home}"', "FORWARDED_ALLOW_IPS=127.0.0.1"]
    assert service["ExecStart"] == [f'{SHAREKIT} --home "{home}" serve --host 127.0.0.1 --port 8181 --workers 3']
    assert service["KillSignal"] == ["SIGTERM"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_sync_timer_runs_sync_then_link_check_every_15_minutes(tmp_path):
    out = files(tmp_path)
    service = unit_sections(out["sharekit-sync.service"])["Service"]
    assert service["Type"] == ["oneshot"]
    home = str(tmp_path / "shop home")
    assert service["ExecStart"] == [f'{SHAREKIT} --home "{home}" sync', f'{SHAREKIT} --home "{home}" link check']
    timer = unit_sections(out["sharekit-sync.timer"])
    assert timer["Timer"]["OnUnitActiveSec"] == ["15min"] and timer["Timer"]["Persistent"] == ["true"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]


def test_without_an_order_source_the_timer_only_checks_links(tmp_path, ws, cli):
    out = files(tmp_path, sync_orders=False)
    service = unit_sections(out["sharekit-sync.service"])["Service"]
    assert [e.rsplit("\" ", 1)[1] for e in service["ExecStart"]] == ["link check"]
    cron = [x for x in out["sharekit.cron"].splitlines() if not x.startswith("#")][0]
    assert " sync" not in cron and cron.endswith("link check'")
    set_value(ws.config, "server.base_url", "https://go.example.com")
    assert "ExecStart=" in cli("deploy", "systemd").stdout and " sync\n" not in cli("deploy", "systemd").stdout
    set_value(ws.reload_config(), "sources.jd", {"kind": "jd", "app_key": "k", "app_secret": "s", "site_id": "1"})
    assert " sync\n" in cli("deploy", "systemd").stdout


def test_cron_line_skips_quietly_while_a_run_holds_the_lock(tmp_path):
    line = [x for x in files(tmp_path)["sharekit.cron"].splitlines() if not x.startswith("#")][0]
    fields = line.split(None, 5)
    assert fields[:5] == ["*/15", "*", "*", "*", "*"]
    assert fields[5].startswith("flock -n ") and "cron.lock" in fields[5]
    # run the command itself with a stand-in sharekit that records its arguments
    log = tmp_path / "calls.txt"
    fake = tmp_path / "sharekit"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\n")
    fake.chmod(0o755)
    (tmp_path / "shop home" / "locks").mkdir(parents=True)
    cmd = [x for x in files(tmp_path, sharekit=str(fake))["sharekit.cron"].splitlines() if not x.startswith("#")][0]
    done = subprocess.run(cmd.split(None, 5)[5], shell=True, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout == done.stderr == ""
    home = tmp_path / "shop home"
    assert log.read_text().splitlines() == [f"--home {home} sync", f"--home {home} link check"]
    # while another run holds the lock: nothing runs, nothing printed (cron mails nothing)
    import fcntl

    with open(home / "locks" / "cron.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        again = subprocess.run(cmd.split(None, 5)[5], shell=True, capture_output=True, text=True, check=False)
    assert again.returncode == 1 and again.stdout == again.stderr == ""
    assert len(log.read_text().splitlines()) == 2


def test_proxies_use_tls_for_the_host_and_overwrite_x_forwarded_for(tmp_path):
    out = files(tmp_path)
    caddy = [x.strip() for x in out["Caddyfile"].splitlines() if x.strip() and not x.startswith("#")]
    assert caddy == ["s.example.com {", "reverse_proxy 127.0.0.1:8181", "}"]
    nginx = out["sharekit-nginx.conf"]
    assert "proxy_pass http://127.0.0.1:8181;" in nginx
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
    assert "$proxy_add_x_forwarded_for" not in nginx  # appending would keep a forged client value
    assert "listen 443 ssl;" in nginx and "server_name s.example.com;" in nginx
    assert "ssl_certificate /etc/letsencrypt/live/s.example.com/fullchain.pem;" in nginx
    assert "return 301 https://$host$request_uri;" in nginx


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_units_pass_systemd_analyze_verify(tmp_path):
    folder = tmp_path / "units"
    folder.mkdir()
    (tmp_path / "shop home").mkdir()
    for f in render(settings(tmp_path)):
        if f.name.endswith((".service", ".timer")):
            (folder / f.name).write_text(f.text)
    done = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in folder.iterdir())],
                          capture_output=True, text=True, check=False)
    noise = [x for x in done.stderr.splitlines() if "sharekit" in x]  # lines about our files only
    assert done.returncode == 0 and not noise, done.stderr


@pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None, reason="nginx not installed")
def test_nginx_site_passes_nginx_t(tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=s.example.com", "-keyout", str(tmp_path / "privkey.pem"), "-out",
                    str(tmp_path / "fullchain.pem")], capture_output=True, check=True)
    site = tmp_path / "site.conf"
    site.write_text(files(tmp_path, cert_dir=str(tmp_path))["sharekit-nginx.conf"])
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n  include {site};\n}}\n")
    done = subprocess.run(["nginx", "-t", "-q", "-e", str(tmp_path / "error.log"), "-c", str(conf),
                           "-p", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    site.write_text(site.read_text().replace("proxy_pass", "proxy_passs"))
    bad = subprocess.run(["nginx", "-t", "-q", "-e", str(tmp_path / "error.log"), "-c", str(conf),
                          "-p", str(tmp_path)], capture_output=True, text=True, check=False)
    assert bad.returncode != 0  # nginx -t really reads the file


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy not installed")
def test_caddyfile_adapts_to_a_reverse_proxy_on_the_local_port(tmp_path):
    path = tmp_path / "Caddyfile"
    path.write_text(files(tmp_path)["Caddyfile"])
    done = subprocess.run(["caddy", "adapt", "--config", str(path), "--adapter", "caddyfile"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    text = json.dumps(config)
    assert "s.example.com" in text and "127.0.0.1:8181" in text and "reverse_proxy" in text


def test_cli_prints_or_writes_the_files_and_needs_a_base_url(ws, cli, tmp_path):
    result = cli("deploy", "systemd")
    assert result.exit_code == 1 and "server.base_url" in result.stderr
    set_value(ws.config, "server.base_url", "https://go.example.com")
    result = cli("deploy", "systemd", "--user", "shop", "--workers", "4")
    assert result.exit_code == 0, result.output
    assert "User=shop" in result.stdout and "--workers 4" in result.stdout and "go.example.com {" in result.stdout
    result = cli("deploy", "systemd", "--write", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["sharekit-serve.service", "sharekit-sync.service", "sharekit-sync.timer", "sharekit.cron", "Caddyfile",
         "sharekit-nginx.conf"])
    data = json.loads(cli("deploy", "systemd", "--json").stdout)
    assert data[0]["install_to"] == "/etc/systemd/system/sharekit-serve.service"
    assert cli("deploy", "systemd", "--workers", "0").exit_code == 1
