"""Poster batch throughput against a minimal pipeline measured in the same run.

    python benchmarks/posters.py                      # 500 posters, --jobs 1 and --jobs 2
    python benchmarks/posters.py --count 60           # quick run
    python benchmarks/posters.py --memory-count 10000 # also: peak RSS of a 10,000-poster batch

Posters are 1080x1920 JPEG (the `moments` template, brand logo in the QR) from generated
1500x1500 product photos. The baseline does only the unavoidable work per image: open the
photo, resize it, draw a QR code, encode the JPEG. Goals: full <= 1.5x baseline per image,
--jobs 2 >= 1.7x --jobs 1, peak memory (all processes together) < 300 MB for 10,000 posters.
Peak memory is sampled from /proc (sum of the RSS of this process and its descendants).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image, ImageDraw

from sharekit.core.money import Money
from sharekit.poster.batch import PosterJob, run_jobs
from sharekit.poster.qr import qr_matrix
from sharekit.poster.render import Brand, ProductRecord
from sharekit.poster.templates import load_template

PHOTOS = 24  # distinct photos, reused cyclically (each poster still opens and decodes one)
TITLES = [
    "【官方正品】Apple iPhone 15 Pro 256GB 黑色钛金属 5G手机 限时抢购，到手价更低",
    "小米 Redmi K70 至尊版 12GB+256GB 墨羽黑 天玑9200+ 旗舰芯",
    "三只松鼠 坚果大礼包 1.5kg/8袋 每日坚果 零食礼盒（新春款）",
    "优衣库 男装 摇粒绒拉链茄克 长袖 保暖外套 秋冬新品",
]


def make_photos(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        rnd = random.Random(i)
        size = (1500, 1500)
        img = Image.new("RGB", size, (rnd.randrange(180, 256), rnd.randrange(180, 256), rnd.randrange(180, 256)))
        d = ImageDraw.Draw(img)
        for _ in range(80):
            x, y, r = rnd.randrange(1500), rnd.randrange(1500), rnd.randrange(20, 320)
            d.ellipse((x - r, y - r, x + r, y + r), fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
        img = Image.blend(img, Image.effect_noise(size, 50).convert("RGB"), 0.2)  # photo-like grain
        path = folder / f"photo{i}.jpg"
        img.save(path, quality=90)
        paths.append(path)
    return paths


def make_jobs(count: int, photos: list[Path], out: Path, logo: Path) -> list[PosterJob]:
    tpl = load_template("moments")
    brand = Brand("小鹿好物铺", "#E4393C", "每日精选 · 放心购", str(logo))
    jobs = []
    for i in range(count):
        product = ProductRecord(f"bench:{i}", TITLES[i % len(TITLES)], Money(19900 + i, "CNY"), Money(29900, "CNY"),
                                Money(2000, "CNY"), str(photos[i % len(photos)]))
        jobs.append(PosterJob(product, "", f"https://s.example.cn/K{i:05d}?s=q", "share text\n", tpl.path,
                              str(out / f"bench_{i}-moments.jpg"), "jpg", 88, brand, str(i)))
    return jobs


def minimal(count: int, photos: list[Path], out: Path) -> tuple[float, float]:
    """The floor: open photo, resize, draw QR, encode JPEG. Returns (wall, CPU) seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        _minimal_one(i, photos, out)
    return time.perf_counter() - start, time.process_time() - cpu


def _minimal_one(i: int, photos: list[Path], out: Path) -> None:
    canvas = Image.new("RGB", (1080, 1920), (255, 255, 255))
    with Image.open(photos[i % len(photos)]) as im:
        canvas.paste(im.convert("RGB").resize((1080, 1080), Image.Resampling.BICUBIC), (0, 0))
    matrix = qr_matrix(f"https://s.example.cn/K{i:05d}?s=q", "H")
    n = len(matrix)
    qr = Image.frombytes("L", (n, n), bytes(0 if c else 255 for row in matrix for c in row))
    canvas.paste(qr.resize((n * 10, n * 10), Image.Resampling.NEAREST), (680, 1280))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=88)
    (out / f"min_{i}.jpg").write_bytes(buf.getvalue())


def _minimal_part(args: tuple[int, int, list[Path], Path]) -> None:
    start, stop, photos, out = args
    for i in range(start, stop):
        _minimal_one(i, photos, out)


def minimal_two(count: int, photos: list[Path], out: Path) -> float:
    """The same minimal pipeline split over 2 processes: the speed-up this machine allows right now."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        list(pool.map(_minimal_part, [(0, 2, photos, out), (2, 4, photos, out)]))  # start workers, warm up
        start = time.perf_counter()
        list(pool.map(_minimal_part, [(0, count // 2, photos, out), (count // 2, count, photos, out)]))
        return time.perf_counter() - start


def full(jobs: list[PosterJob], workers: int) -> tuple[float, float]:
    """The real batch path (``run_jobs``). Returns (wall, CPU of this process) seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    failed = [o for o in run_jobs(jobs, workers) if o.status != "rendered"]
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    if failed:
        raise SystemExit(f"{len(failed)} posters failed, e.g. {failed[0].error}")
    return elapsed


class RssSampler:
    """Peak of (this process + all descendants) RSS, and the largest single process, from /proc."""

    def __init__(self) -> None:
        self.peak_total = 0
        self.peak_single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                    parents[int(entry)] = int(fields[1])
                except (OSError, IndexError, ValueError):
                    continue
        tree, frontier = [os.getpid()], [os.getpid()]
        while frontier:
            frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
            tree.extend(frontier)
        return tree

    def _rss(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
                return int(fh.read().split()[1]) * self._page
        except (OSError, IndexError, ValueError):
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = [self._rss(pid) for pid in self._tree()]
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_single = max(self.peak_single, max(sizes, default=0))
            self._stop.wait(0.25)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500, help="posters per measured run (default 500)")
    parser.add_argument("--memory-count", type=int, default=0,
                        help="also render this many posters with --jobs 2 and report peak RSS (e.g. 10000)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sharekit-bench-"))
    try:
        photos = make_photos(work, min(PHOTOS, args.count))
        logo = work / "logo.png"
        Image.new("RGBA", (256, 256), (228, 57, 60, 255)).save(logo)
        out = work / "out"
        out.mkdir()
        jobs = make_jobs(args.count, photos, out, logo)
        full(jobs[:4], 1)  # warm the page cache and imports
        base, base_cpu = minimal(args.count, photos, out)
        one, one_cpu = full(jobs, 1)
        two, _ = full(jobs, 2)
        base_two = minimal_two(args.count, photos, out)
        n = args.count
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"posters: {n} x 1080x1920 JPEG q88 (moments, logo QR), photos 1500x1500, {os.cpu_count()} cores,"
              f" load average at the end {load}")
        print(f"minimal pipeline (1 process): {n / base:7.1f} posters/s  {1000 * base / n:6.1f} ms/poster")
        print(f"full, --jobs 1:               {n / one:7.1f} posters/s  {1000 * one / n:6.1f} ms/poster")
        print(f"full, --jobs 2:               {n / two:7.1f} posters/s  {1000 * two / n:6.1f} ms/poster")
        print(f"CPU per poster (1 process):   minimal {1000 * base_cpu / n:.1f} ms, full {1000 * one_cpu / n:.1f} ms"
              f" -> {one_cpu / base_cpu:.2f}x")
        print(f"full / minimal per image:     {one / base:5.2f}x  (goal <= 1.5x)")
        print(f"minimal pipeline, 2 processes:{n / base_two:7.1f} posters/s  (the speed-up this machine allows now:"
              f" {base / base_two:.2f}x)")
        print(f"--jobs 2 / --jobs 1 speed-up: {one / two:5.2f}x  (goal >= 1.7x; "
              f"{(one / two) / (base / base_two):.0%} of the minimal pipeline's own 2-process speed-up)")
        if args.memory_count:
            shutil.rmtree(out)
            out.mkdir()
            many = make_jobs(args.memory_count, photos, out, logo)
            with RssSampler() as rss:
                elapsed, _ = full(many, 2)
            print(f"memory: {args.memory_count} posters with --jobs 2 in {elapsed:.0f} s; peak RSS all processes "
                  f"{rss.peak_total / 2**20:.0f} MB, largest process {rss.peak_single / 2**20:.0f} MB (goal < 300 MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
