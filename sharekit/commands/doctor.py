"""`sharekit doctor`: a checklist of what must work, with a fix for each problem."""

from __future__ import annotations

import typer

from ._common import home_option, out, print_json

_MARK = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[bold red]FAIL[/]"}


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


def doctor(ctx: typer.Context,
           json_out: bool = typer.Option(False, "--json", help="Print the checks as JSON.")) -> None:
    """Check the config, secrets, database, disk, server URL, fonts, sync and clock.

    Prints one line per check and, for each problem, the command or step that fixes it.
    Exit 1 when something must be fixed (warnings alone exit 0).

    Example: sharekit doctor --json
    """
    from rich.markup import escape

    from ..doctor import run_doctor

    report = run_doctor(home_option(ctx))
    if json_out:
        print_json(report.to_json())
    else:
        con = out()
        con.print(f"Home: {escape(report.home)}")
        for check in report.checks:
            con.print(f"{_MARK.get(check.status, check.status)} {escape(check.name)}: {escape(check.detail)}")
            if check.fix and check.status != "ok":
                con.print(f"      fix: {escape(check.fix)}", soft_wrap=True)
        fails = sum(c.status == "fail" for c in report.checks)
        warns = len(report.warnings)
        con.print("All good." if not fails and not warns else
                  f"{fails} to fix, {warns} warning(s).")
    if not report.ok:
        raise typer.Exit(1)
