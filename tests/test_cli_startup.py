"""`sharekit --help` stays fast: heavy libraries load only in the commands that use them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("PIL", "httpx", "qrcode", "rich", "uvicorn")

PROBE = """
import json, sys
{setup}
print(json.dumps(sorted(m for m in sys.modules)))
"""


def loaded_after(setup: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library():
    modules = loaded_after("import sharekit.cli")
    assert not {m for m in modules if m.split(".")[0] in HEAVY}


def test_rendering_help_loads_no_heavy_library():
    setup = ("import io, contextlib\nfrom sharekit.cli import app\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    try:\n        app(['--help'], prog_name='sharekit')\n"
             "    except SystemExit:\n        pass")
    modules = loaded_after(setup)
    assert "sharekit.cli" in modules
    assert not {m for m in modules if m.split(".")[0] in HEAVY}


def test_the_package_loads_its_public_names_lazily():
    modules = loaded_after("import sharekit")
    assert not {"sharekit.store.workspace", "sharekit.store.db", "sharekit.store.config", "sharekit.core.money",
                "decimal", "sqlite3"} & modules
    modules = loaded_after("from sharekit import Money, Workspace, SharekitError, init_home")
    assert {"sharekit.core.money", "sharekit.store.workspace"} <= modules


def test_the_public_names_resolve():
    import sharekit

    assert sharekit.Money.parse("¥1") == sharekit.Money(100, "CNY")
    assert issubclass(sharekit.StoreError, sharekit.SharekitError)
    assert set(sharekit.__all__) <= set(dir(sharekit))
    try:
        sharekit.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("unknown names must raise AttributeError")


def test_the_source_interface_can_be_imported_without_httpx():
    # command modules import it at the top; httpx comes with the first source actually built
    modules = loaded_after("import sharekit.sources, sharekit.sources.base, sharekit.store.workspace, "
                           "sharekit.orders.store")
    assert not {m for m in modules if m.split(".")[0] in HEAVY}
