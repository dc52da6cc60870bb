"""A family from another package: installed through its entry point only, it runs with ``sim
run``, is listed (and its bench run) by ``sim rtl``, and sweeps, without any file under ``sim/``
naming it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.family import ENTRY_POINT_GROUP

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "toyfam"

WORKLOAD = """\
version: 1
name: toy run
arch: {version: 1, family: toy, lanes: 8}
trace: {generator: toy_gemms, count: 3, size: 16}
seed: 0
"""

SWEEP = """\
version: 1
base: toy.yaml
vary:
  arch.lanes: [4]
workers: 1
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the toy package and its distribution metadata, as pip would install it
    (``toyfam-0.1.dist-info`` with ``entry_points.txt``)."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(FIXTURE / "toyfam", root / "toyfam")
    info = root / "toyfam-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toyfam\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\ntoy = toyfam:FAMILY\n")
    return root


def sim(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``sim`` in a child process that sees the toy distribution on its path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get(
        "PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_run_validate_sweep_and_list(site: Path, tmp_path: Path) -> None:
    (tmp_path / "toy.yaml").write_text(WORKLOAD)
    (tmp_path / "toy.sweep.yaml").write_text(SWEEP)

    run = sim(site, tmp_path, "run", "toy.yaml", "-o", "out")
    assert run.returncode == 0, run.stderr
    assert "toy lanes" in run.stdout  # the family's own summary line
    assert "1,536" in run.stdout  # 3 GEMMs of 16^3 MACs on 8 lanes: 3 * 512 cycles
    assert (tmp_path / "out" / "result.json").is_file()

    assert "workload (toy, 3 ops)" in sim(site, tmp_path, "validate", "toy.yaml").stdout

    listed = sim(site, tmp_path, "rtl", "list")
    assert listed.returncode == 0 and "toy_mac [toy," in listed.stdout
    assert "systolic [systolic, systolic]" in listed.stdout  # the built-in ones beside it

    swept = sim(site, tmp_path, "sweep", "toy.sweep.yaml", "-o", "sw", "--no-report")
    assert swept.returncode == 0, swept.stderr
    assert "1 points (1 ok)" in swept.stdout
    report = sim(site, tmp_path, "report", "sw")
    assert report.returncode == 0, report.stderr
    assert "toyfam" in (tmp_path / "sw" / "index.html").read_text()  # its reference hook


def test_unknown_family_lists_the_installed_ones(site: Path, tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text(WORKLOAD.replace("family: toy", "family: tyo"))
    bad = sim(site, tmp_path, "run", "w.yaml")
    assert bad.returncode == 2
    assert "unknown family 'tyo'" in bad.stderr and "toy" in bad.stderr and "gap9" in bad.stderr


@pytest.mark.rtl
@pytest.mark.skipif(importlib.util.find_spec("cocotb") is None, reason="needs the rtl extra")
def test_rtl_bench_of_the_plugin_runs(site: Path, tmp_path: Path) -> None:
    bench = sim(site, tmp_path, "rtl", "test", "toy_mac")
    assert bench.returncode == 0, bench.stdout + bench.stderr
    assert "PASS accumulates_dot_products" in bench.stdout


def test_nothing_under_sim_names_the_plugin() -> None:
    """The whole change to add this family lives in its own package."""
    for path in (REPO / "sim").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".yaml", ".toml", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert "toyfam" not in text and "toy_gemms" not in text, path
