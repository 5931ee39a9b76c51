"""Installs like a tool: the built wheel, in a fresh venv, runs `sharekit demo` from an empty folder.

Offline and reasonably fast: the wheel is built without build isolation, the fresh venv has no pip
(the test's pip installs into it with ``--python``), and the runtime dependencies come from the test
environment's site-packages through a ``.pth`` file (a plain path: its own ``.pth`` files, such as
the editable install of this checkout, are not processed, so only the wheel's sharekit is importable).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import sharekit

ROOT = Path(__file__).resolve().parent.parent


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv, wheel): the wheel built from this checkout, installed alone into a fresh venv."""
    base = tmp_path_factory.mktemp("install")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAREKIT_", "PYTHON", "PIP_"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                 str(base / "dist"), str(ROOT)], base, env)
    assert built.returncode == 0, built.stderr
    wheel = next((base / "dist").glob("sharekit-*.whl"))
    venv = base / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base,
                    env).stdout.strip())
    (site / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index", "--no-deps",
                str(wheel)], base, env)
    assert done.returncode == 0, done.stderr
    env["HOME"] = str(base / "user")  # the platform home dir is not the developer's
    return venv, wheel, env


@pytest.mark.slow
def test_the_wheel_carries_the_demo_data_and_stays_small(installed):
    _, wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    data = [n for n in names if n.startswith("sharekit/demo/examples/")]
    for needed in ("catalog/products.csv", "catalog/images/sk1001.jpg", "jd-pdd/jd_order_row_query.json",
                   "jd-pdd/pdd_order_list_increment.json", "orders/demo-orders.csv", "posters/sale.toml",
                   "posters/logo.png", "reports/channels.toml", "tracking/demo_clicks.json"):
        assert f"sharekit/demo/examples/{needed}" in data, needed
    size = sum(i.file_size for i in zipfile.ZipFile(wheel).infolist() if i.filename in data)
    assert size < 400_000


@pytest.mark.slow
def test_installed_wheel_runs_the_demo_from_an_empty_folder_and_doctor_passes(installed, tmp_path):
    venv, _, env = installed
    bin_dir = venv / "bin"
    empty = tmp_path / "anywhere"
    empty.mkdir()
    where = run([str(bin_dir / "python"), "-c", "import sharekit; print(sharekit.__file__)"], empty, env)
    assert where.stdout.strip().startswith(str(venv)), where.stdout  # the wheel's copy, not this checkout
    version = run([str(bin_dir / "sharekit"), "--version"], empty, env)
    assert version.returncode == 0 and version.stdout.strip() == f"sharekit {sharekit.__version__}"
    as_module = run([str(bin_dir / "python"), "-m", "sharekit", "--version"], empty, env)
    assert as_module.stdout == version.stdout
    demo = run([str(bin_dir / "sharekit"), "demo"], empty, env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Demo done" in demo.stdout and "not built yet" not in demo.stdout
    home = empty / "sharekit-demo"
    assert (home / "sharekit.db").is_file() and any((home / "posters").rglob("*.jpg"))
    doctor = run([str(bin_dir / "sharekit"), "--home", str(home), "doctor", "--json"], empty, env)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    report = json.loads(doctor.stdout)
    assert [(c["name"], c["status"]) for c in report["checks"] if c["status"] != "ok"] == [
        ("server.base_url", "warn")]
    assert "127.0.0.1" in next(c for c in report["checks"] if c["name"] == "server.base_url")["detail"]
