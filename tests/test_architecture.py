"""The import rules of the layout, checked over every module's imports (top level, in functions and
under TYPE_CHECKING alike): what a folder may use is what its place says."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sharekit"
UI_LIBRARIES = {"typer", "rich", "click"}
CLI_LAYER = ("sharekit.commands", "sharekit.cli", "sharekit.__main__")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in ``path``; ``from . import x`` counts as ``pkg.x``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            if not node.module:  # from . import a, b: the submodules among the names
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names
                          if is_module(f"{target}.{alias.name}")]
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))
ALL_IMPORTS = {module_name(p): (p, imports_of(p)) for p in MODULES}


def under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def violations(rule) -> list[str]:
    bad = []
    for name, (path, found) in ALL_IMPORTS.items():
        for line, target in found:
            if rule(name, target):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    return bad


def own(target: str) -> bool:
    return under(target, "sharekit") and target != "sharekit"   # the root package itself (version) is fine


def test_the_walk_sees_relative_and_function_level_imports():
    found = dict((t, n) for n, t in ALL_IMPORTS["sharekit.catalog.pull"][1])
    assert "sharekit.catalog.store" in found and "sharekit.sources" in found   # the latter inside a function


def test_core_imports_nothing_of_sharekit_but_errors():
    assert violations(lambda m, t: under(m, "sharekit.core") and own(t)
                      and not under(t, "sharekit.core", "sharekit.errors")) == []


def test_store_imports_only_core_and_errors():
    assert violations(lambda m, t: under(m, "sharekit.store") and own(t)
                      and not under(t, "sharekit.store", "sharekit.core", "sharekit.errors")) == []


def test_sources_never_import_the_domains_or_the_store():
    assert violations(lambda m, t: under(m, "sharekit.sources") and own(t)
                      and not under(t, "sharekit.sources", "sharekit.core", "sharekit.errors")) == []


BASE_DOMAINS = {"sharekit.catalog": (), "sharekit.orders": ("sharekit.events",), "sharekit.tracking": ()}


def test_catalog_orders_and_tracking_build_only_on_the_layers_below():
    below = ("sharekit.core", "sharekit.errors", "sharekit.store", "sharekit.sources")
    assert violations(lambda m, t: any(under(m, d) and own(t) and not under(t, d, *below, *extra)
                                       for d, extra in BASE_DOMAINS.items())) == []


def test_nothing_below_the_cli_layer_imports_commands():
    assert violations(lambda m, t: not under(m, *CLI_LAYER) and under(t, *CLI_LAYER)) == []


def test_only_the_cli_layer_imports_typer_rich_or_click():
    assert violations(lambda m, t: not under(m, *CLI_LAYER) and t.split(".")[0] in UI_LIBRARIES) == []


@pytest.mark.parametrize("rule", ["core", "store", "sources"])
def test_a_planted_violation_is_caught(rule, tmp_path, monkeypatch):
    """The checks would see a bad import: an import of the store from a source, say."""
    planted = {"core": ("sharekit.core.x", "sharekit.catalog.pull"),
               "store": ("sharekit.store.x", "sharekit.sources.base"),
               "sources": ("sharekit.sources.x", "sharekit.store.workspace")}[rule]
    monkeypatch.setitem(ALL_IMPORTS, planted[0], (PACKAGE / "planted.py", [(1, planted[1])]))
    check = {"core": test_core_imports_nothing_of_sharekit_but_errors,
             "store": test_store_imports_only_core_and_errors,
             "sources": test_sources_never_import_the_domains_or_the_store}[rule]
    with pytest.raises(AssertionError):
        check()
