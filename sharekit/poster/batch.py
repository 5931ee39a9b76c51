"""Batch rendering: products from the store to poster files, in a process pool.

The main process reads the store and makes the links (``ensure_link``), then hands each worker
a small self-contained job. Workers load fonts once (pool initializer) and templates once per
file, render, and write ``{product}-{channel}-{template}.{ext}`` plus the share text
``….txt`` beside it. A hidden ``.{name}.inputs`` file beside the output records the hash of
everything that went into it; a re-run with the same hash skips the poster (``force``
re-renders). A failing product is reported, never stops the batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.money import Money
from ..core.sanitize import clean_text
from ..errors import InputError, NotFoundError, SharekitError
from .placeholders import PLACEHOLDERS, check_template, fill, price_values
from .render import FORMATS, Brand, ProductRecord, Renderer, encode
from .results import BatchResult, PosterOutcome
from .templates import Template, load_template
from .text import FontChain

if TYPE_CHECKING:
    from ..store.workspace import Workspace

RENDER_VERSION = "2"  # 2: the price story (券后价 only with a usable coupon)
DEFAULT_SHARE_TEXT = "{title}\n【在售价】{sale_price}\n【券后价】{coupon_price}\n{coupon_line}\n{share_text}\n{link}"


@dataclass(frozen=True)
class PosterJob:
    """Everything one poster needs; picklable, no store access."""

    product: ProductRecord
    channel: str
    qr_text: str
    share_text: str
    template: str  # path of the template file
    out_path: str
    fmt: str
    quality: int
    brand: Brand
    input_hash: str


# -- naming, share text, hashing ----------------------------------------------------------------


def safe_name(text: str) -> str:
    """``jd:100012043978`` -> ``jd_100012043978``: safe on every filesystem."""
    return re.sub(r"[^0-9A-Za-z._\-\u4e00-\u9fff]", "_", text).strip("._") or "_"


def output_name(product_id: str, channel: str, template: str, fmt: str) -> str:
    ext = "jpg" if fmt.lower() in ("jpg", "jpeg") else fmt.lower()
    parts = [safe_name(product_id)] + ([safe_name(channel)] if channel else []) + [safe_name(template)]
    return "-".join(parts) + "." + ext


def qr_text_for(link: Any) -> str:
    """A short link carries ``?s=q`` so the server counts a poster scan apart from a click."""
    return f"{link.short_url}?s=q" if getattr(link, "short_url", None) else link.target_url


def check_share_text(template: str | None) -> None:
    """Raise InputError naming an unknown placeholder of a ``[poster] share_text`` template."""
    if template:
        check_template(template, "[poster] share_text", PLACEHOLDERS)


def app_values(product_extra: Mapping[str, Any] | None, link_extra: Mapping[str, Any] | None,
               link_share_text: str | None = None) -> dict[str, str]:
    """``tpwd``, ``wxa_path`` and ``wxa_appid`` of a share: the link's own (a Taobao 淘口令, PDD's
    ``we_app_info``) first, else the product's (a feed's ``tpwd``/``wxa_path``/``wxa_appid``)."""
    pe, le = product_extra or {}, link_extra or {}
    we_app = le.get("we_app_info") if isinstance(le.get("we_app_info"), Mapping) else {}
    return {"tpwd": str(link_share_text or pe.get("tpwd") or ""),
            "wxa_path": str(we_app.get("page_path") or pe.get("wxa_path") or ""),
            "wxa_appid": str(we_app.get("app_id") or pe.get("wxa_appid") or "")}


def share_text(product: ProductRecord, link_url: str, link_share_text: str | None, brand: Brand,
               template: str | None = None, apps: Mapping[str, str] | None = None) -> str:
    """The copy posted with the image: title, the price story, 淘口令 (when any) and the link.

    Default: ``【在售价】`` the selling price, ``【券后价】`` and ``【优惠券】`` only with a coupon
    usable at that price. ``template`` (``[poster] share_text``) may use every placeholder of
    :data:`~sharekit.poster.placeholders.PLACEHOLDERS`; an unknown one raises InputError.
    ``apps`` holds ``tpwd``/``wxa_path``/``wxa_appid`` (see :func:`app_values`); ``{share_text}``
    falls back to the product's own 淘口令."""
    text = template or DEFAULT_SHARE_TEXT
    check_share_text(text)
    apps = {"tpwd": link_share_text or "", "wxa_path": "", "wxa_appid": "", **(apps or {})}
    values = {**price_values(product), **apps, "share_text": link_share_text or apps["tpwd"], "link": link_url,
              "brand": brand.name, "slogan": brand.slogan}
    # rows stored before control characters were removed at ingest, and the brand from config
    text = fill(text, {key: clean_text(value) or "" for key, value in values.items()})
    lines = [line.rstrip() for line in text.splitlines()]
    # Drop lines whose value was empty ("【在售价】" with no price) and blank runs.
    kept = [line for line in lines if line and not re.fullmatch(r"【[^】]*】\s*", line)]
    return "\n".join(kept) + "\n"


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _file_stamp(path: str | None) -> list[Any]:
    if not path:
        return [None]
    try:
        st = os.stat(path)
    except OSError:
        return [path, None]
    return [path, st.st_size, st.st_mtime_ns]


def input_hash(product: ProductRecord, qr_text: str, share: str, template: Template, brand: Brand, fmt: str,
               quality: int, fonts_digest: str) -> str:
    payload = {
        "v": RENDER_VERSION,
        "product": [product.id, product.title, _money(product.sale_price), _money(product.list_price),
                    _money(product.coupon), _money(product.threshold), _file_stamp(product.image_path)],
        "qr": qr_text, "share": share, "template": template.digest, "fmt": fmt, "quality": quality,
        "brand": [brand.name, brand.color, brand.slogan, _file_stamp(brand.logo or None)],
        "fonts": fonts_digest,
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def fonts_digest(fonts: FontChain) -> str:
    return hashlib.sha256(json.dumps([_file_stamp(p) for p in fonts.files]).encode()).hexdigest()


def _money(value: Money | None) -> list[Any] | None:
    return [value.minor, value.currency] if value else None


def hash_path(out_path: str | Path) -> Path:
    p = Path(out_path)
    return p.with_name(f".{p.name}.inputs")


def up_to_date(job: PosterJob) -> bool:
    out = Path(job.out_path)
    try:
        recorded = hash_path(out).read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return recorded == job.input_hash and out.is_file() and out.with_suffix(".txt").is_file()


# -- the worker -----------------------------------------------------------------------------------

_RENDERER: Renderer | None = None
_TEMPLATES: dict[str, Template] = {}


def init_worker(user_fonts: tuple[str, ...] | None) -> None:
    """Pool initializer: fonts loaded once per worker process."""
    global _RENDERER
    _RENDERER = Renderer(FontChain.build(list(user_fonts or ())))
    _TEMPLATES.clear()


def init_pool_worker(user_fonts: tuple[str, ...] | None, owner: int | None = None) -> None:
    """Pool initializer: end with the batch's process ``owner`` (even on ``kill -9``), then
    :func:`init_worker`."""
    from ..core.proc import die_with_parent

    die_with_parent(owner=owner)
    init_worker(user_fonts)


def _template(path: str) -> Template:
    tpl = _TEMPLATES.get(path)
    if tpl is None:
        tpl = _TEMPLATES[path] = load_template(path)
    return tpl


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def run_job(job: PosterJob) -> PosterOutcome:
    """Render and write one poster (in a worker); never raises for a product's own failure."""
    assert _RENDERER is not None, "init_worker() first"
    base = dict(product=job.product.id, channel=job.channel, template=Path(job.template).stem, path=job.out_path)
    try:
        rendered = _RENDERER.render(job.product, job.qr_text, _template(job.template), job.brand)
        data = encode(rendered.image, job.fmt, job.quality)
        out = Path(job.out_path)
        _write_atomic(out, data)
        _write_atomic(out.with_suffix(".txt"), job.share_text.encode("utf-8"))
        _write_atomic(hash_path(out), (job.input_hash + "\n").encode())
        return PosterOutcome(**base, status="rendered", warnings=tuple(rendered.warnings),
                             placeholder=rendered.placeholder)
    except SharekitError as exc:
        return PosterOutcome(**base, status="failed", error=str(exc))
    except Exception as exc:  # one broken product never stops the batch
        return PosterOutcome(**base, status="failed", error=f"{type(exc).__name__}: {exc}")


def run_jobs(jobs: list[PosterJob], workers: int, user_fonts: tuple[str, ...] = (),
             progress: Callable[[int, int], None] | None = None) -> Iterator[PosterOutcome]:
    """Outcomes in job order; ``workers`` > 1 uses a process pool with bounded in-flight work."""
    total = len(jobs)
    done = 0
    if workers <= 1 or total <= 1:
        init_worker(user_fonts)
        for job in jobs:
            outcome = run_job(job)
            done += 1
            if progress:
                progress(done, total)
            yield outcome
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    # forkserver: clean, fast-starting workers without fork()'s threads-and-locks hazards.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    window = workers * 4  # bounded queue: memory stays flat for 10,000 posters
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_pool_worker,
                             initargs=(user_fonts, os.getpid())) as pool:
        pending: deque[Any] = deque()
        it = iter(jobs)
        for job in it:
            pending.append(pool.submit(run_job, job))
            if len(pending) >= window:
                break
        while pending:
            outcome = pending.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(run_job, nxt))
            done += 1
            if progress:
                progress(done, total)
            yield outcome


# -- from the store ---------------------------------------------------------------------------------


def product_record(row: Any, cache_dir: Path) -> ProductRecord:
    """A store row (products table) as the renderer's plain record."""
    def money(minor: int | None) -> Money | None:
        return Money(int(minor), row["currency"]) if minor is not None else None

    image = str(cache_dir / row["image_path"]) if row["image_path"] else None
    return ProductRecord(id=row["id"], title=row["title"], sale_price=money(row["sale_price_minor"]),
                         list_price=money(row["original_price_minor"]), coupon=money(row["coupon_minor"]),
                         image_path=image, threshold=money(row["coupon_threshold_minor"]),
                         coupon_url=row["coupon_url"])


def select_products(ws: Workspace, product_ids: Iterable[str], *, all_products: bool = False,
                    source: str | None = None) -> list[Any]:
    """Rows for the named products (in the given order), or every available one (``all_products``)."""
    conn = ws.db
    ids = list(dict.fromkeys(product_ids))
    if all_products:
        sql, args = "SELECT * FROM products WHERE available = 1", []
        if source:
            sql, args = sql + " AND source = ?", [source]
        rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        if source and not rows:
            raise NotFoundError(f"No products from source `{source}` in the store.",
                                hint=f"Run `sharekit pull {source}` first.")
        return rows
    if not ids:
        raise InputError("Name at least one product (SOURCE:ID) or set `all_products`.", params=("all_products",))
    rows = []
    for pid in ids:
        row = conn.execute("SELECT * FROM products WHERE id = ?", (pid,)).fetchone()
        if row is None:
            raise NotFoundError(f"No product {pid} in the store.", hint="See `sharekit products list`.")
        if source and row["source"] != source:
            raise InputError(f"Product {pid} is not from source `{source}`.")
        rows.append(row)
    return rows


def user_fonts(config: Any, home: Path | None = None) -> tuple[str, ...]:
    """``[poster] font``: one path or a list; relative paths are relative to the home folder."""
    value = config.get("poster.font")
    if not value:
        return ()
    paths = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
    if home is None:
        return paths
    return tuple(p if Path(p).expanduser().is_absolute() else str(home / p) for p in paths)


def load_templates(names: str) -> list[Template]:
    """``moments,square``: the templates named (built-in names or .toml paths), in order, once each;
    two different templates with one name are refused (a variant is named after its template)."""
    tpls: dict[str, Template] = {}
    for item in (n.strip() for n in names.split(",")):
        if not item:
            continue
        tpl = load_template(item)
        seen = tpls.get(tpl.name)
        if seen is not None and seen.path != tpl.path:
            raise InputError(f"Templates {seen.path} and {tpl.path} are both named {tpl.name!r}: "
                             "give one another `name`.", params=("template",))
        tpls[tpl.name] = tpl
    if not tpls:
        raise InputError(f"No template named in {names!r}.", params=("template",))
    return list(tpls.values())


def make_posters(ws: Workspace, product_ids: Iterable[str] = (), *, all_products: bool = False,
                 source: str | None = None,
                 template: str | None = None, channels: Iterable[str] = ("",), out: str | Path | None = None,
                 fmt: str | None = None, quality: int | None = None, jobs: int | None = None, force: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 unseen_list_price: Collection[str] = (), quiet_repeats: bool = False,
                 variants: bool = False) -> BatchResult:
    """Render posters (and share texts) for products and channels; the one call behind `sharekit poster`.

    ``template`` may name several templates, comma-separated (``moments,square``): each product and
    channel gets one poster per template. With ``variants`` each template's poster carries a short
    link of its own (the link's ``variant`` is the template's name), so its scans, orders and
    earnings are told apart (`report --by template`); without it they all carry the ordinary link.

    Products named in ``unseen_list_price`` show no list price (nothing struck, no 原价 line):
    `sharekit today` passes those whose list price the store never saw charged. Repeat and
    volume warnings come as one summary line per channel (``quiet_repeats`` drops the first).
    """
    from ..tracking.links import ensure_link, link_extra
    from ..tracking.shares import ShareNotes

    config = ws.config
    notes = ShareNotes.from_config(ws, quiet_repeats=quiet_repeats)
    fmt = (fmt or str(config.get("poster.format") or "jpg")).lower()
    if fmt not in FORMATS:
        raise InputError(f"Unknown poster format {fmt!r} (use jpg, png or webp).")
    quality = int(quality or config.get("poster.quality") or 88)
    tpls = load_templates(template or str(config.get("poster.template") or "moments"))
    brand = Brand.from_config(config)
    if brand.logo and not Path(brand.logo).is_absolute():  # relative to the home folder
        brand = replace(brand, logo=str(ws.home / brand.logo))
    fonts_cfg = user_fonts(config, ws.home)
    fonts = FontChain.build(list(fonts_cfg))  # a broken [poster] font fails here, before the batch
    digest = fonts_digest(fonts)
    out_dir = Path(out).expanduser() if out else ws.paths.posters
    out_dir.mkdir(parents=True, exist_ok=True)
    text_template = config.get("poster.share_text") or None
    check_share_text(text_template)  # a typo fails before any link or poster is made
    rows = select_products(ws, product_ids, all_products=all_products, source=source)
    channel_list = list(dict.fromkeys(channels)) or [""]
    result = BatchResult(out_dir=str(out_dir))
    todo: list[PosterJob] = []
    about: dict[str, dict[str, Any]] = {}   # poster path -> what a script needs to post the share
    for row in rows:
        product = product_record(row, ws.paths.cache)
        if not row["available"]:
            result.unavailable.append(product.id)
        if product.id in unseen_list_price:
            product = replace(product, list_price=None)
        for channel in channel_list:
            notes.check(product.id, channel)
            shared = False
            for tpl in tpls:
                path = out_dir / output_name(product.id, channel, tpl.name, fmt)
                variant = tpl.name if variants else ""
                try:
                    link = ensure_link(ws, product.id, channel, variant=variant)
                except SharekitError as exc:
                    result.outcomes.append(PosterOutcome(product.id, channel, tpl.name, str(path), "failed",
                                                         error=str(exc), title=product.title, variant=variant))
                    continue
                if not shared:
                    notes.record(product.id, channel, "poster")
                    shared = True
                qr = qr_text_for(link)
                apps = app_values(_json_object(row["extra"]), link_extra(ws.db, link.code), link.share_text)
                share = share_text(product, link.share_url, link.share_text, brand, text_template, apps)
                about[str(path)] = {"title": product.title, "short_url": link.share_url, "share_text": share,
                                    "variant": variant}
                job = PosterJob(product, channel, qr, share, tpl.path, str(path), fmt, quality, brand,
                                input_hash(product, qr, share, tpl, brand, fmt, quality, digest))
                if not force and up_to_date(job):
                    photo = bool(product.image_path and Path(product.image_path).is_file())
                    result.outcomes.append(PosterOutcome(product.id, channel, tpl.name, str(path), "skipped",
                                                         placeholder=not photo, **about[str(path)]))
                else:
                    todo.append(job)
    result.share_warnings = notes.warnings()
    if variants and not config.get("server.base_url"):
        result.share_warnings.append(
            "--variants: no server.base_url, so the posters carry the supplier's link, not short links of "
            "their own; scans cannot be told apart (set it: `sharekit config set server.base_url URL`).")
    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    already = len(result.outcomes)
    total = already + len(todo)
    if progress and already:
        progress(already, total)
    for outcome in run_jobs(todo, workers, fonts_cfg,
                            (lambda done, _t: progress(already + done, total)) if progress else None):
        result.outcomes.append(replace(outcome, **about.get(outcome.path, {})))
    return result
