"""Smoke tests of the foundation: init, config, db check."""

from __future__ import annotations

import stat


def test_init_creates_private_config_and_db_and_is_idempotent(cli, home):
    first = cli(["init"])
    assert first.exit_code == 0, first.output
    config = home / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    before = (config.read_bytes(), (home / "sharekit.db").stat().st_size)
    second = cli(["init"])
    assert second.exit_code == 0, second.output
    assert "kept" in second.stdout
    assert (config.read_bytes(), (home / "sharekit.db").stat().st_size) == before


def test_config_secret_is_masked_and_env_reference_resolved(cli, home, monkeypatch):
    assert cli(["init"]).exit_code == 0
    monkeypatch.setenv("MY_JD_SECRET", "s3cr3t-value")
    assert cli(["config", "set", "sources.jd.app_secret", "${MY_JD_SECRET}"]).exit_code == 0
    shown = cli(["config", "show"])
    assert "s3cr3t-value" not in shown.stdout
    assert "********" in shown.stdout
    revealed = cli(["config", "get", "sources.jd.app_secret", "--reveal"])
    assert revealed.stdout.strip() == "s3cr3t-value"
    assert "s3cr3t-value" not in (home / "config.toml").read_text()
