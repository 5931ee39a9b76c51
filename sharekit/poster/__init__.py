"""Share posters: templates, Chinese text shaping, QR codes, rendering and batch runs.

Library use without the store::

    from sharekit.core.money import Money
    from sharekit.poster import Brand, ProductRecord, Renderer, encode, load_template

    poster = Renderer().render(ProductRecord("jd:1", "标题", Money(1990, "CNY")), "https://s.example.cn/AB3CDE",
                               load_template("moments"), Brand("小鹿好物铺"))
    open("poster.jpg", "wb").write(encode(poster.image))

With the store: ``sharekit.poster.batch.make_posters(ws, ["jd:1"], channels=["wx-group-1"])``.
Importing this package does not import Pillow or qrcode (they load on first render).
"""

from __future__ import annotations

from .render import Brand, ProductRecord, Rendered, Renderer, encode, render_poster
from .templates import Template, list_templates, load_template

__all__ = ["Brand", "ProductRecord", "Rendered", "Renderer", "Template", "encode", "list_templates",
           "load_template", "render_poster"]
