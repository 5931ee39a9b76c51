"""The offline demo: the whole loop on the bundled examples, in a home of its own."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

from ..errors import SharekitError
from ..store.config import set_value
from ..store.workspace import Workspace, init_home

EXAMPLES = Path(__file__).resolve().parent / "examples"  # package data (the repo's examples/ links here)

# (name, "module:function") in loop order; each is demo_step(ws, examples, say) -> dict.
STEPS: tuple[tuple[str, str], ...] = (
    ("pull", "sharekit.demo.catalog:demo_step"),
    ("links and clicks", "sharekit.demo.tracking:demo_step"),
    ("posters", "sharekit.demo.posters:demo_step"),
    ("orders", "sharekit.demo.orders:demo_step"),
    ("sync", "sharekit.demo.sync:demo_step"),
    ("report", "sharekit.demo.reports:demo_step"),
    ("self-purchase", "sharekit.demo.econ_self:demo_step"),
    ("two-level payout", "sharekit.demo.econ_levels:demo_step"),
    ("group progress", "sharekit.demo.econ_group:demo_step"),
    ("attribution", "sharekit.demo.attribution:demo_step"),
    ("today", "sharekit.demo.today:demo_step"),
)

DEMO_SETTINGS: dict[str, Any] = {
    "brand.name": "小王好物",
    "brand.slogan": "每天一款 · 真实好价",
    "brand.color": "#E4393C",
    "server.base_url": "http://127.0.0.1:8080",
}


def _resolve(target: str) -> Callable[..., dict[str, Any]] | None:
    module_name, _, attr = target.partition(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    return getattr(module, attr, None)


def run_demo(home: Path, progress: Callable[[str], None] | None = None,
             examples: Path | None = None) -> dict[str, Any]:
    """Initialise ``home``, brand it, and run every step of the loop on the bundled examples."""
    say = progress or (lambda _msg: None)
    examples = examples or EXAMPLES
    if not examples.is_dir():
        raise SharekitError(f"The bundled examples are not at {examples}.",
                            hint="This installation lacks its package data: reinstall sharekit.")
    init = init_home(home)
    say(f"home ready at {init.home}")
    report: dict[str, Any] = {"home": init.home, "steps": []}
    with Workspace.open(home) as ws:
        for key, value in DEMO_SETTINGS.items():
            if ws.config.get(key, resolve=False) != value:
                set_value(ws.config, key, value)
                ws.reload_config()
        for name, target in STEPS:
            step = _resolve(target)
            if step is None:
                say(f"{name}: not built yet; skipped")
                report["steps"].append({"step": name, "done": False})
                continue
            result = step(ws, examples, say)
            report["steps"].append({"step": name, "done": True, "result": result})
    return report
