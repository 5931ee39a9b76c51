"""The README's 80-column captures (`orders list`, `link list`, `report channels`) are what the
commands print in the demo's home today (short codes differ per run and are compared as a shape)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
CODE = re.compile(r"(?<![A-Za-z0-9])[A-Z0-9]{6}(?![A-Za-z0-9])")
WEEK = re.compile(r"\b\d{4}-W\d{2}\b")   # `progress is this week (2026-W49 …)` moves with the clock


def _captures() -> list[tuple[list[str], list[str]]]:
    text = README.read_text(encoding="utf-8")
    block = text.split("At 80 columns, from the demo's home:", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    runs: list[tuple[list[str], list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ sharekit "):
            runs.append((shlex.split(line[len("$ sharekit "):]), []))
        else:
            runs[-1][1].append(line)
    return runs


def _shape(line: str) -> str:
    return WEEK.sub("WEEK", CODE.sub("CODE", " ".join(line.split())))


def test_the_readme_shows_what_the_commands_print_at_80_columns(cli, tmp_path, monkeypatch):
    runs = _captures()
    assert [args[:2] for args, _ in runs] == [["orders", "list"], ["link", "list"], ["report", "channels"]]
    home = tmp_path / "demo-home"
    assert cli(["--home", str(home), "demo"]).exit_code == 0
    monkeypatch.setenv("COLUMNS", "80")
    import sharekit.commands._common as common

    for args, shown in runs:
        common._out = None   # a console of 80 columns
        result = cli(["--home", str(home), *args])
        common._out = None
        assert result.exit_code == 0, result.output
        printed = [_shape(ln) for ln in result.stdout.splitlines()]
        wanted = [_shape(ln) for ln in shown if ln != "…"]
        assert all(w in printed for w in wanted), (args, [w for w in wanted if w not in printed])
        if "…" not in shown:
            assert printed == wanted, args
        assert all(len(ln) <= 80 for ln in shown)
