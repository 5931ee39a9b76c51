"""Every command, group, option and argument has help text; every command ends with an example.

The command tree is walked from the real app, so commands added later are checked too.
"""

from __future__ import annotations

import pytest
import typer.main

from sharekit.cli import app


def _walk(command, path: tuple[str, ...]):
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, (*path, name))


def _tree():
    return list(_walk(typer.main.get_command(app), ("sharekit",)))


TREE = _tree()
IDS = [" ".join(path) for path, _ in TREE]


def _is_group(command) -> bool:
    return hasattr(command, "commands")


def _own_params(command):
    return [p for p in command.params if p.name != "help"]


def test_the_tree_has_the_foundation_commands():
    names = set(IDS)
    for expected in ("sharekit init", "sharekit config show", "sharekit config get", "sharekit config set",
                     "sharekit db check", "sharekit db backup", "sharekit demo"):
        assert expected in names


@pytest.mark.parametrize(("path", "command"), TREE, ids=IDS)
def test_every_command_and_group_has_help_text(path, command):
    assert (command.help or "").strip(), f"`{' '.join(path)}` has no help text"


@pytest.mark.parametrize(("path", "command"), TREE, ids=IDS)
def test_every_option_and_argument_has_help_text(path, command):
    missing = [p.name for p in _own_params(command) if not (getattr(p, "help", None) or "").strip()]
    assert not missing, f"`{' '.join(path)}`: no help for {missing}"


LEAVES = [(path, command) for path, command in TREE if not _is_group(command)]


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_help_ends_with_an_example(path, command, cli):
    lines = [line.strip() for line in (command.help or "").strip().splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Example: sharekit "), (
        f"`{' '.join(path)}`: the help must end with an `Example: sharekit ...` line")
    shown = cli([*path[1:], "--help"])
    assert shown.exit_code == 0, shown.output
    assert "Example: sharekit " in shown.stdout


INTERNAL = ("DESIGN.md", "STYLE.md", "shared/reference", "../shared")


@pytest.mark.parametrize(("path", "command"), TREE, ids=IDS)
def test_help_names_only_what_the_user_has(path, command, cli):
    """Help points at the README or a command, never at the team's internal documents."""
    texts = [command.help or "", *(getattr(p, "help", None) or "" for p in _own_params(command))]
    shown = cli([*path[1:], "--help"]).stdout
    for text in [*texts, shown]:
        assert not [word for word in INTERNAL if word in text], f"`{' '.join(path)}` mentions {text!r}"
