"""QR codes that survive WeChat: whole pixels per module, a 4-module white quiet zone, level H
whenever a logo covers the middle (logo side at most 25% of the symbol, on a white pad)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from PIL import Image

QUIET_ZONE = 4  # modules, as the spec asks
LOGO_MAX_RATIO = 0.25  # logo side / symbol side
MIN_MODULE_PX = 3  # below this, phones struggle after WeChat's re-encode


@dataclass(frozen=True)
class QrInfo:
    version: int
    modules: int  # symbol side in modules, quiet zone excluded
    module_px: int
    side_px: int  # whole image side, quiet zone included
    level: str
    logo_px: int


def qr_matrix(data: str, level: str) -> list[list[bool]]:
    """The module matrix (quiet zone included) of the smallest QR symbol holding ``data``."""
    import qrcode
    from qrcode.exceptions import DataOverflowError

    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
    code = qrcode.QRCode(version=None, error_correction=levels[level], box_size=1, border=QUIET_ZONE)
    code.add_data(data)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError):
        raise InputError(f"The link is too long for a QR code ({len(data)} characters).",
                         hint="Configure server.base_url so posters carry a short link.") from None
    return code.get_matrix()


def qr_image(data: str, max_side: int, logo: Image.Image | None = None,
             fitted: Callable[[int], Image.Image] | None = None) -> tuple[Image.Image, QrInfo]:
    """A QR image (greyscale; RGB with a logo) no wider than ``max_side``, drawn at a whole number of px per module.

    ``fitted(side)`` may supply the logo already scaled to ``side`` (a per-batch cache).
    The matrix is scaled with nearest-neighbour by an integer factor, so every module is an
    exact square of identical pixels (no resampling blur).
    """
    from PIL import Image

    level = "H" if logo is not None else "M"
    matrix = qr_matrix(data, level)
    n = len(matrix)
    px = max_side // n
    if px < 1:
        raise InputError(f"A QR block of {max_side}px cannot hold a {n}-module code.",
                         hint="Make the template's qr size bigger or use a short link.")
    small = Image.frombytes("L", (n, n), bytes(0 if cell else 255 for row in matrix for cell in row))
    img = small.resize((n * px, n * px), Image.Resampling.NEAREST)
    symbol_px = (n - 2 * QUIET_ZONE) * px
    logo_px = 0
    if logo is not None:
        logo_px = int(symbol_px * LOGO_MAX_RATIO)
        pad = max(2, logo_px // 10)
        inner = logo_px - 2 * pad
        if inner > 8:
            from PIL import ImageOps

            art = fitted(inner) if fitted else ImageOps.contain(logo.convert("RGBA"), (inner, inner),
                                                                Image.Resampling.LANCZOS)
            plate = Image.new("RGB", (logo_px, logo_px), (255, 255, 255))
            plate.paste(art, ((logo_px - art.width) // 2, (logo_px - art.height) // 2), art)
            img = img.convert("RGB")
            at = (img.width - logo_px) // 2
            img.paste(plate, (at, at))
        else:
            logo_px = 0
    version = (n - 2 * QUIET_ZONE - 17) // 4
    return img, QrInfo(version, n - 2 * QUIET_ZONE, px, n * px, level, logo_px)
