"""The exit-code contract: 0 ok, 1 a failure to act on (one line on stderr), 2 usage, 130 Ctrl-C."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager

import pytest

from sharekit import __version__
from sharekit.cli import app
from sharekit.errors import ExitCode, NotFoundError, SourceError


def test_exit_code_values_are_the_documented_contract():
    assert [int(c) for c in (ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.INTERRUPTED)] == [0, 1, 2, 130]


@contextmanager
def temporary_command(fn):
    """Add a command to the real app for one test; removed again in finally."""
    app.command(fn.__name__.replace("_", "-"))(fn)
    added = app.registered_commands[-1]
    try:
        yield
    finally:
        app.registered_commands.remove(added)


def _raise(exc: BaseException):
    def boom_test() -> None:
        """Raise for a test.

        Example: sharekit boom-test
        """
        raise exc

    return boom_test


def one_line(text: str) -> str:
    line = text.strip()
    assert line and "\n" not in line and "Traceback" not in line, text
    return line


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (NotFoundError("No product jd:1.", hint="Run `sharekit pull jd` first."),
         "Error: No product jd:1. Run `sharekit pull jd` first."),
        (SourceError("jd", "bad signature (code 1002)."), "Error: jd: bad signature (code 1002)."),
        (sqlite3.OperationalError("database is locked"),
         "Error: The database is locked by another process (a long write is running). "
         "Wait for it to finish and retry."),
        (sqlite3.OperationalError("database or disk is full"),
         "Error: No disk space left to write the database. Free some disk space and retry."),
        (PermissionError(13, "Permission denied", "/srv/out.jpg"),
         "Error: Permission denied (/srv/out.jpg). Run with --debug for details."),
    ],
)
def test_failures_exit_1_with_one_plain_line_on_stderr(cli, exc, message):
    with temporary_command(_raise(exc)):
        result = cli(["boom-test"])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert one_line(result.stderr) == message


def test_a_secret_like_markup_in_a_message_is_printed_verbatim(cli):
    with temporary_command(_raise(NotFoundError("No channel [bold]x[/bold]."))):
        result = cli(["boom-test"])
    assert one_line(result.stderr) == "Error: No channel [bold]x[/bold]."


def test_ctrl_c_exits_130(cli):
    with temporary_command(_raise(KeyboardInterrupt())):
        result = cli(["boom-test"])
    assert result.exit_code == 130


@pytest.mark.parametrize("bug", [RuntimeError("a bug"), sqlite3.OperationalError("no such table: prodcts"),
                                 sqlite3.IntegrityError("UNIQUE constraint failed: links.code")])
def test_a_bug_is_not_disguised_as_a_user_error(cli, bug):
    with temporary_command(_raise(bug)):
        result = cli(["boom-test"])
    assert result.exit_code == 1
    assert result.exception is bug


def test_debug_lets_the_library_error_through(cli):
    with temporary_command(_raise(NotFoundError("No product jd:1."))):
        result = cli(["--debug", "boom-test"])
    assert isinstance(result.exception, NotFoundError)


def run_sharekit(*argv: str, home) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHAREKIT_HOME": str(home), "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "sharekit", *argv], capture_output=True, text=True, env=env,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_debug_shows_the_traceback_in_a_real_process(home):
    plain = run_sharekit("config", "show", home=home)
    assert plain.returncode == 1
    assert one_line(plain.stderr) == f"Error: Home {home} does not exist. Run `sharekit init` first."
    debug = run_sharekit("--debug", "config", "show", home=home)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "HomeError" in debug.stderr
    assert "ensure_home" in debug.stderr


@pytest.mark.parametrize(
    "argv",
    [["no-such-command"], ["init", "--no-such-option"], ["config", "get"], ["config", "set", "brand.name"],
     ["db", "backup"], ["--home"]],
)
def test_usage_errors_stay_exit_2(cli, argv):
    result = cli(argv)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr or "Error" in result.stderr


def test_no_arguments_shows_help(cli):
    result = cli([])
    assert result.exit_code in (0, 2)
    assert "Usage: " in result.output and "init" in result.output


def test_version(cli, home):
    result = cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"sharekit {__version__}\n"
    assert not home.exists()  # --version touches nothing


def test_success_is_exit_0(cli):
    assert cli(["init"]).exit_code == 0
    assert cli(["config", "get", "currency"]).exit_code == 0
