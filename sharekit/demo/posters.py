"""Demo step: posters for every demo product, the first one also in the other templates."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..poster.batch import make_posters
from ..store.config import write_config

if TYPE_CHECKING:
    from ..store.workspace import Workspace


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Posters for every product in the demo home into its posters/ folder; the first also in the other templates."""
    count = ws.db.execute("SELECT COUNT(*) FROM products WHERE available = 1").fetchone()[0]
    if not count:
        say("posters: no products in the store yet (the catalog step pulls them); skipped")
        return {"step": "posters", "done": False, "rendered": 0}
    logo = examples / "posters" / "logo.png"
    if not ws.config.get("brand.logo") and logo.is_file():
        data = dict(ws.config.data)
        data["brand"] = {**dict(data.get("brand") or {}), "logo": str(logo)}
        if not data["brand"].get("slogan"):
            data["brand"]["slogan"] = "每日精选 · 放心购"
        write_config(ws.paths.config, data)
        ws.reload_config()
    jobs = min(2, os.cpu_count() or 1)
    result = make_posters(ws, all_products=True, template="moments", jobs=jobs)
    first = ws.db.execute("SELECT id FROM products WHERE available = 1 ORDER BY id LIMIT 1").fetchone()[0]
    names = ["square", "card"] + ([str(examples / "posters" / "sale.toml")]
                                  if (examples / "posters" / "sale.toml").is_file() else [])
    extra = [make_posters(ws, [first], template=name, jobs=1) for name in names]
    rendered = result.rendered + sum(r.rendered for r in extra)
    failed = len(result.failed) + sum(len(r.failed) for r in extra)
    say(f"posters: {rendered} rendered, {result.skipped} up to date, {failed} failed, in {result.out_dir}")
    for warning in result.warnings[:5]:
        say(f"  warning: {warning}")
    return {"step": "posters", "done": failed == 0, "rendered": rendered, "skipped": result.skipped,
            "failed": failed, "out_dir": result.out_dir}
