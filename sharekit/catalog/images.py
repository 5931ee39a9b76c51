"""The image cache: product images downloaded once into ``cache/images/``, content-addressed.

Each image is fetched (in parallel, on a thread pool) with a size cap and a timeout, then
checked: the bytes must decode as an image (a truncated file fails ``load()``), and an image
with more pixels than ``max_pixels`` is refused before it is decoded (with Pillow's own
decompression-bomb warning turned into a refusal too). A good image is stored as
``images/<sha256[:2]>/<sha256>.<ext>`` under the cache folder, so the same picture behind two
URLs is kept once. Nothing here raises for a bad image: problems are returned, the caller
lists them.

``file://`` URLs and plain paths are read only under ``file_roots`` (a local feed's own folder
and the source's ``image_dirs``), after symlinks and ``..`` are resolved; a remote supplier can
never make sharekit read a local file. Downloads go to public addresses only (see
``core.netguard``) unless ``allow_private``.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..core.download import CancelToken
from ..core.limits import DEFAULT_IMAGE_MAX_MB, DEFAULT_IMAGE_TIMEOUT, megabytes, seconds
from ..core.private import private_mkdir, write_private

if TYPE_CHECKING:
    import httpx

DEFAULT_MAX_BYTES = DEFAULT_IMAGE_MAX_MB * 1024 * 1024
DEFAULT_TIMEOUT = DEFAULT_IMAGE_TIMEOUT   # the whole download of one image, not one read
DEFAULT_MAX_PIXELS = 40_000_000      # far above any product photo, below Pillow's own 89 MP warning
DEFAULT_WORKERS = 8
EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}  # MPO: phone JPEGs

_open_lock = threading.Lock()   # warnings.catch_warnings is process-global: one header parse at a time


class _PixelBudget:
    """Bounds the pixels being decoded at once across threads: a small file can decode to 100+ MB
    (a 6000×6000 PNG of a few KB), and eight of those at once would exhaust a small machine.
    An image larger than the budget decodes alone."""

    def __init__(self, pixels: int) -> None:
        self.pixels = pixels
        self._free = pixels
        self._cond = threading.Condition()

    def take(self, pixels: int) -> int:
        want = min(pixels, self.pixels)
        with self._cond:
            self._cond.wait_for(lambda: self._free >= want)
            self._free -= want
        return want

    def give(self, pixels: int) -> None:
        with self._cond:
            self._free += pixels
            self._cond.notify_all()


DECODE_BUDGET = _PixelBudget(16_000_000)   # ~48 MB of RGB being decoded at any moment


def _return_freed_memory_to_the_os() -> None:
    """glibc raises its mmap threshold after the first large free, so later 16 MB pixel blocks
    come from per-thread heaps that keep them: eight download threads each kept a 100 MB decode
    (1 GB peak in benchmarks/hostile_pull.py). A fixed 1 MB threshold makes large blocks mmaps
    again, returned to the system when an image is closed. Elsewhere (not glibc) this is a no-op."""
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
        if mallopt is not None:
            mallopt(-3, 1024 * 1024)   # M_MMAP_THRESHOLD
    except OSError:
        pass


_malloc_tuned = False


class ImageError(Exception):
    """Why one image cannot be cached (a short reason, no URL)."""


@dataclass(frozen=True)
class CachedImage:
    """An image in the cache: ``path`` is relative to the cache folder."""

    url: str
    path: str
    sha256: str
    format: str
    width: int
    height: int
    size: int
    reused: bool = False      # the same bytes were already in the cache


@dataclass(frozen=True)
class ImageProblem:
    """An image that could not be cached, and why."""

    url: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"url": self.url, "reason": self.reason}


@dataclass
class ImageBatch:
    """What a batch of fetches did: cached images by URL, and the problems."""

    cached: dict[str, CachedImage] = field(default_factory=dict)
    problems: list[ImageProblem] = field(default_factory=list)

    @property
    def downloaded(self) -> int:
        return sum(1 for c in self.cached.values() if not c.reused)

    @property
    def reused(self) -> int:
        return sum(1 for c in self.cached.values() if c.reused)


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def inspect_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[str, int, int]:
    """(format, width, height) of image bytes that fully decode; ImageError otherwise."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError("empty file")
    try:
        with _open_lock, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("too many pixels (decompression-bomb guard)") from None
    except UnidentifiedImageError:
        head = data[:200].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise ImageError("an HTML page, not an image") from None
        raise ImageError("not an image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"unreadable image ({exc})") from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise ImageError(f"{width}x{height} is over the {max_pixels:,}-pixel limit (decompression-bomb guard)")
        fmt = image.format or ""
        if fmt not in EXTENSIONS:
            raise ImageError(f"unsupported image format {fmt or 'unknown'}")
        taken = DECODE_BUDGET.take(width * height)
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            reason = str(exc) or type(exc).__name__
            if "truncated" in reason:
                raise ImageError("truncated image (does not fully decode)") from None
            raise ImageError(f"does not decode ({reason})") from None
        finally:
            image.close()   # the decoded pixels go before the next image may take the budget
            DECODE_BUDGET.give(taken)
    return fmt, width, height


class ImageCache:
    """Fetch and store product images under ``root`` (the home's ``cache/``)."""

    def __init__(self, root: Path, *, client: httpx.Client | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 timeout: float = DEFAULT_TIMEOUT, max_pixels: int = DEFAULT_MAX_PIXELS,
                 workers: int = DEFAULT_WORKERS, file_roots: Iterable[Path] = (),
                 allow_private: bool = False) -> None:
        self.root = root
        self._client = client
        self._own_client = client is None
        self.max_bytes = int(max_bytes)
        self.timeout = float(timeout)
        self.max_pixels = int(max_pixels)
        self.workers = max(1, int(workers))
        self.file_roots = tuple(Path(root).expanduser().resolve() for root in file_roots)
        self.allow_private = allow_private
        self._client_lock = threading.Lock()
        self.cancel = CancelToken()   # cancel() stops every download of this cache at once

    @property
    def client(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                from ..core.http import make_client
                from ..core.netguard import guard_hooks

                self._client = make_client(event_hooks=guard_hooks(self.allow_private))
            return self._client

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> ImageCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def file(self, relative: str) -> Path:
        """The absolute path of a cached image given its stored relative path."""
        return self.root / relative

    def has(self, relative: str | None) -> bool:
        return bool(relative) and (self.root / str(relative)).is_file()

    # one image -------------------------------------------------------------------------------
    def fetch(self, url: str) -> CachedImage:
        """Download or read ``url``, check it, store it; ImageError says why not."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            data = self._download(url)
        elif scheme == "file" or (not scheme and url):
            if not self.file_roots:
                raise ImageError("local file images are read only for a local feed")
            path = Path(url2pathname(unquote(parts.path))) if scheme == "file" else Path(url)
            data = self._read_file(self._confined(path))
        else:
            raise ImageError(f"unsupported URL scheme {scheme!r}" if scheme else "empty URL")
        fmt, width, height = inspect_image(data, self.max_pixels)
        return self._store(url, data, fmt, width, height)

    def _confined(self, path: Path) -> Path:
        """``path`` resolved (symlinks, ``..``), if it lies under one of the file roots."""
        real = (path if path.is_absolute() else self.file_roots[0] / path).resolve()
        if not any(real.is_relative_to(root) for root in self.file_roots):
            raise ImageError(f"{path} is outside the feed's folder (list other folders in the source's image_dirs)")
        return real

    def _too_big(self, size: int) -> ImageError:
        return ImageError(f"{_megabytes(size)} is over the {_megabytes(self.max_bytes)} cap")

    def _read_file(self, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise self._too_big(size)
            with open(path, "rb") as fh:
                return fh.read(self.max_bytes + 1)
        except FileNotFoundError:
            raise ImageError(f"no such file {path}") from None
        except IsADirectoryError:
            raise ImageError(f"{path} is a folder") from None
        except OSError as exc:
            raise ImageError(f"cannot read {path} ({exc.strerror})") from None

    def _download(self, url: str) -> bytes:
        from ..core.download import DownloadError, download

        try:
            data, response = download(self.client, url, max_bytes=self.max_bytes, timeout=self.timeout,
                                      cancel=self.cancel)
        except DownloadError as exc:
            raise ImageError(str(exc)) from None
        if response.status_code >= 400:
            raise ImageError(f"HTTP {response.status_code}")
        return data

    def _store(self, url: str, data: bytes, fmt: str, width: int, height: int) -> CachedImage:
        digest = hashlib.sha256(data).hexdigest()
        relative = f"images/{digest[:2]}/{digest}.{EXTENSIONS[fmt]}"
        target = self.root / relative
        reused = target.is_file() and target.stat().st_size == len(data)
        if not reused:
            private_mkdir(target.parent)
            tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.part")
            try:
                write_private(tmp, data)
                os.replace(tmp, target)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise ImageError(f"cannot write to the cache ({exc.strerror})") from None
        return CachedImage(url, relative, digest, fmt, width, height, len(data), reused)

    # many images -----------------------------------------------------------------------------
    def fetch_many(self, urls: Iterable[str], progress: Callable[[int, int], None] | None = None,
                   on_cached: Callable[[CachedImage], None] | None = None) -> ImageBatch:
        """Fetch distinct ``urls`` in parallel; never raises for an image, returns the problems.

        ``progress(done, total)`` and ``on_cached(image)`` run in the calling thread, as results
        arrive (so a caller can store paths as it goes, e.g. in its own database connection).
        """
        unique = list(dict.fromkeys(u for u in urls if u))
        batch = ImageBatch()
        total = len(unique)
        if not total:
            return batch
        _return_freed_memory_to_the_os()
        done = 0
        pool = ThreadPoolExecutor(max_workers=min(self.workers, total), thread_name_prefix="sharekit-img")
        try:
            futures = {pool.submit(self._fetch_safely, url): url for url in unique}
            for future in as_completed(futures):
                url = futures[future]
                result = future.result()
                if isinstance(result, CachedImage):
                    batch.cached[url] = result
                    if on_cached is not None:
                        on_cached(result)
                else:
                    batch.problems.append(ImageProblem(url, result))
                done += 1
                if progress is not None:
                    progress(done, total)
        except BaseException:
            # Ctrl-C (or a failing callback): drop what is queued, shut the sockets of the running
            # downloads so their threads return now, and do not wait for them.
            self.cancel.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        batch.problems.sort(key=lambda p: p.url)
        return batch

    def _fetch_safely(self, url: str) -> CachedImage | str:
        try:
            return self.fetch(url)
        except ImageError as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - a broken image must never fail the pull
            return f"{type(exc).__name__}: {exc}"


def image_settings(config: Any) -> dict[str, Any]:
    """ImageCache keyword arguments from ``[images]`` in config.toml (max_mb, timeout, workers, max_pixels)."""
    return {
        "max_bytes": megabytes(config, "images.max_mb", DEFAULT_IMAGE_MAX_MB),
        "timeout": seconds(config, "images.timeout", DEFAULT_IMAGE_TIMEOUT),
        "workers": int(config.get("images.workers", DEFAULT_WORKERS)),
        "max_pixels": int(config.get("images.max_pixels", DEFAULT_MAX_PIXELS)),
    }
