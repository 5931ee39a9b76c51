"""What a poster batch did: one outcome per poster, and the batch's summary warnings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PosterOutcome:
    product: str
    channel: str
    template: str
    path: str
    status: str  # rendered | skipped | failed
    warnings: tuple[str, ...] = ()
    error: str | None = None
    placeholder: bool = False          # drawn with a grey box instead of the product photo
    title: str = ""
    short_url: str | None = None       # what the QR and the share text carry
    share_text: str | None = None
    variant: str = ""                  # the template whose own short link it carries (`--variants`)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["warnings"] = list(self.warnings)
        data["share_text_path"] = str(Path(self.path).with_suffix(".txt")) if self.status != "failed" else None
        return data


@dataclass
class BatchResult:
    out_dir: str
    outcomes: list[PosterOutcome] = field(default_factory=list)
    share_warnings: list[str] = field(default_factory=list)  # one line per channel: repeats, volume
    unavailable: list[str] = field(default_factory=list)     # named products out of stock or delisted

    @property
    def rendered(self) -> int:
        return sum(o.status == "rendered" for o in self.outcomes)

    @property
    def skipped(self) -> int:
        return sum(o.status == "skipped" for o in self.outcomes)

    @property
    def failed(self) -> list[PosterOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def placeholders(self) -> list[str]:
        """Products whose poster shows a grey placeholder instead of the photo, once each."""
        return list(dict.fromkeys(o.product for o in self.outcomes if o.placeholder))

    @property
    def warnings(self) -> list[str]:
        """Summary lines (shares, unavailable products, placeholders), then every other distinct
        warning once (a missing logo would otherwise repeat per poster)."""
        lines = list(self.share_warnings)
        if self.unavailable:
            lines.append(f"{_some(self.unavailable)} {'is' if len(self.unavailable) == 1 else 'are'} out of "
                         "stock or no longer listed by the source: friends may not be able to buy.")
        few = len(self.placeholders) <= 3   # a few: say why each one; many: one line
        if self.placeholders and not few:
            lines.append(f"{len(self.placeholders)} poster(s) show a grey placeholder instead of the photo "
                         f"({_some(self.placeholders)}); run `sharekit pull` with images.")
        other = (w for o in self.outcomes if few or not o.placeholder for w in o.warnings)
        return list(dict.fromkeys([*lines, *other]))

    @property
    def strict_problems(self) -> bool:
        """What `--strict` refuses: an unavailable product or a placeholder photo."""
        return bool(self.unavailable or self.placeholders)

    def to_json(self) -> dict[str, Any]:
        return {"out_dir": self.out_dir, "rendered": self.rendered, "skipped": self.skipped,
                "failed": len(self.failed), "warnings": self.warnings, "unavailable": self.unavailable,
                "placeholders": self.placeholders, "posters": [o.to_json() for o in self.outcomes]}


def _some(items: list[str], shown: int = 3) -> str:
    """``a, b, c and 4 more``."""
    head = ", ".join(items[:shown])
    return head + (f" and {len(items) - shown} more" if len(items) > shown else "")
