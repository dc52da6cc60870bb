"""RTL names and folders: ``sim rtl test`` and ``sim rtl synth`` take the same names (kernel
or folder); sources and build caches come from the current project (or --rtl-dir / the env),
and the installed package's folder is never written into."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.core.errors import SimError
from sim.rtlcheck import bench
from sim.rtlcheck.synth import synth_cache_root, targets_for


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (bench.RTL_DIR_ENV, bench.CACHE_ENV, "SIM_SYNTH_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_one_naming_for_test_and_synth() -> None:
    assert bench.kernels_named("sc") == ["bin_roberts", "sc_roberts"]
    assert bench.kernels_named("sc_roberts") == ["sc_roberts"]
    assert "tpe_os" in bench.kernels_named("tpe")
    assert targets_for("sc_roberts") == targets_for("sc")
    assert targets_for("tpe_os") == targets_for("tpe")
    with pytest.raises(SimError, match="or a folder: gap9, pim, sc, systolic, tpe"):
        bench.kernels_named("nonsense")


def test_sources_and_cache_of_the_current_project(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clone" / "rtl" / "sc").mkdir(parents=True)
    (tmp_path / "clone" / "docs").mkdir()
    monkeypatch.chdir(tmp_path / "clone" / "docs")  # a sub-folder of the other clone
    assert bench.rtl_root() == (tmp_path / "clone" / "rtl").resolve()
    assert bench.cache_root() == (tmp_path / "clone" / "build" / "rtl").resolve()
    assert synth_cache_root() == (tmp_path / "clone" / "build" / "synth").resolve()
    assert bench.package_rtl().parent not in bench.cache_root().parents


def test_outside_any_project_the_package_folder_is_not_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if bench.project_rtl() is not None:
        pytest.skip("a parent of the temporary folder holds rtl/")
    monkeypatch.setattr(bench, "USER_CACHE", tmp_path / "cache")
    assert bench.rtl_root() == bench.package_rtl().resolve()
    assert bench.cache_root() == tmp_path / "cache" / "rtl"
    assert synth_cache_root() == tmp_path / "cache" / "synth"


def test_rtl_dir_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sim import api

    (tmp_path / "mine" / "rtl").mkdir(parents=True)
    monkeypatch.setenv(bench.RTL_DIR_ENV, "")  # restored after the test (use_rtl_dir sets it)
    api.use_rtl_dir(tmp_path / "mine" / "rtl")
    assert bench.rtl_root() == (tmp_path / "mine" / "rtl").resolve()
    assert bench.cache_root() == (tmp_path / "mine" / "build" / "rtl").resolve()
    monkeypatch.setenv(bench.RTL_DIR_ENV, str(tmp_path / "missing"))
    with pytest.raises(SimError, match="not found"):
        bench.rtl_root()
