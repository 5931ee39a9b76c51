"""Rewrite README.md's table of config keys from the schema (sharekit/store/config_schema.py)."""

from __future__ import annotations

import re
from pathlib import Path

from sharekit.store.config_schema import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"

text = README.read_text(encoding="utf-8")
new, count = re.subn(r"(<!-- config-keys:start -->\n).*?(\n<!-- config-keys:end -->)",
                     lambda m: m.group(1) + markdown_table() + m.group(2), text, flags=re.S)
if count != 1:
    raise SystemExit("README.md lacks the <!-- config-keys:start/end --> markers")
README.write_text(new, encoding="utf-8")
print("README.md: config key table updated")
