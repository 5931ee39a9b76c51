"""File feeds: CSV, TSV, JSON, Google Merchant Center TSV and RSS 2.0 XML (``g:`` namespace).

``[sources.NAME]`` keys: ``kind = "feed"``, ``path`` (a local file; relative paths are read
from the home folder) or ``url``; optional ``format`` (``csv``, ``tsv``, ``json``, ``xml``;
else by extension, else sniffed), ``currency`` (for prices without one), ``encoding``
(else detected: UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030), ``strict``.

Column names follow the Merchant Center spec (``id, title, description, link, image_link,
additional_image_link, price, sale_price, availability, brand, gtin``; a ``g:`` prefix is
ignored), plus ``coupon`` (an amount, or ``满99减10``), ``coupon_link``, ``commission_rate``
(``0.05`` or ``5%``) and ``currency``; common Chinese headers (商品ID, 标题, 价格, 优惠券, ...)
are read as their English names. ``price`` is the list price, ``sale_price`` the sale price;
a product sells at the sale price (else the list price), and its coupon and threshold are kept
as stated: what the buyer pays is derived from them (:mod:`sharekit.core.pricing`).

A row without an id or title, or with a price that does not parse, is skipped and reported
with its line number (``skipped``); with ``strict`` the first bad row refuses the whole file
before a single product is yielded, so nothing is written.

Modules: :mod:`.decode` (bytes to text, format sniffing), :mod:`.fields` (header aliases, prices,
rates), :mod:`.parse` (records and products from CSV/TSV/JSON), :mod:`.rss` (RSS/Atom items),
:mod:`.fastpath` (the CSV/TSV row builder the import's speed rests on), :mod:`.source` (the kind).
"""

from .decode import decode_bytes, sniff_format
from .fields import BadRow, parse_commission, parse_price
from .parse import FeedParser
from .source import FeedSource

__all__ = ["BadRow", "FeedParser", "FeedSource", "decode_bytes", "parse_commission", "parse_price", "sniff_format"]
