"""Shared fixtures: every test gets its own home; CLI output is deterministic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sharekit.commands._common  # noqa: F401  (as in the CLI: config checks each source kind's own keys)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SHAREKIT_HOME", str(home))
    monkeypatch.setenv("SHAREKIT_PLUGINS", "")  # no third-party kinds under test
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for key in list(os.environ):
        if key.startswith("SHAREKIT_") and key not in ("SHAREKIT_HOME", "SHAREKIT_PLUGINS"):
            monkeypatch.delenv(key)
    return home


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    return _isolated_home


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner):
    """Invoke the CLI: ``cli("init")`` or ``cli(["config", "get", "x"])``; returns the Result."""
    from sharekit.cli import app

    def invoke(*args: str | list[str], input: str | None = None):
        argv: list[str] = []
        for a in args:
            argv.extend(a if isinstance(a, list) else a.split(" ") if " " in a and len(args) == 1 else [a])
        return runner.invoke(app, argv, input=input)

    return invoke


@pytest.fixture
def ws(home: Path):
    """An initialised Workspace in the test's home."""
    from sharekit import Workspace, init_home

    init_home(home)
    workspace = Workspace.open(home)
    yield workspace
    workspace.close()


@pytest.fixture
def serve():
    """Start local protocol servers (``serve(app)``, see catalog_fakes.FakeServer); all closed after the test."""
    from catalog_fakes import FakeServer

    servers: list = []

    def start(app):
        server = FakeServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def client():
    """An httpx client that ignores proxy settings from the environment (tests talk to 127.0.0.1)."""
    import httpx

    with httpx.Client(trust_env=False) as c:
        yield c
