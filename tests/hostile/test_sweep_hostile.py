"""Crashed and concurrent sweeps, stale results, hanging points, and sweep-file settings that
must not be trusted (Dask address, report folder, worker count, spreadsheet formulas)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.sweep import worker
from sim.sweep.config import load_sweep
from sim.sweep.executors import cap_workers
from sim.sweep.runner import run_sweep, store_lock
from sim.sweep.store import Store


def _ok_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with Store(db) as store:
            return store.counts().get("ok", 0)
    except Exception:  # the store may be mid-creation
        return 0


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        out |= frontier
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and prctl")
def test_killing_only_the_main_process_leaves_no_worker(make_sweep: Callable[..., Path],
                                                        tmp_path: Path) -> None:
    path = make_sweep("vary:\n  arch.rows: [4, 8, 16, 32]\n  arch.cols: [4, 8, 16, 32]\n"
                      "batch: 1\n", ops=60)
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from sim.cli import app; app()", "sweep", str(path), "-o",
           str(out), "--workers", "2", "--no-report"]
    proc = subprocess.Popen(cmd, env={**os.environ, "CI": "1"}, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while _ok_count(out / "results.sqlite") < 1 and proc.poll() is None:
            assert time.monotonic() < deadline, "sweep made no progress"
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        workers = _children(proc.pid)
        assert len(workers) >= 2, "the pool's workers should be running"
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, not its group
        proc.wait(30)
        deadline = time.monotonic() + 20
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [p for p in workers if _alive(p)], "a worker outlived the killed sweep"
    finally:
        os.killpg(proc.pid, signal.SIGKILL) if proc.poll() is None else None
        for pid in _children(proc.pid):
            os.kill(pid, signal.SIGKILL)


def test_one_store_one_writer(make_sweep: Callable[..., Path], tmp_path: Path,
                              sim_cli: Callable[..., object]) -> None:
    path = make_sweep("vary:\n  arch.rows: [4, 8]\nexecutor: local\n")
    out = tmp_path / "out"
    with store_lock(out):  # as a running sweep holds it
        with pytest.raises(SimError, match="already running"):
            run_sweep(path, out_dir=out, executor="inline")
        outcome = sim_cli("sweep", str(path), "-o", str(out), "--executor", "inline")
        assert outcome.code == 2 and "already running" in outcome.stderr  # type: ignore[attr-defined]
    assert not (out / "results.sqlite").exists(), "the refused sweep wrote nothing"
    done = run_sweep(path, out_dir=out, executor="inline")  # the lock is free again
    assert done.computed == 2


TENSOR_TRACE = """\
version: 1
name: t
tensors: t.npz
ops:
  - {name: g, kind: gemm, m: 8, n: 8, k: 8, tensors: {a: a}}
"""


def test_npz_edit_then_resume_recomputes(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TENSOR_TRACE, encoding="utf-8")
    np.savez(tmp_path / "t.npz", a=np.ones((8, 8), np.int8))
    (tmp_path / "w.yaml").write_text(
        "version: 1\nname: w\narch: {version: 1, family: systolic, rows: 8, cols: 8, "
        "dataflow: WS}\ntrace: t.yaml\n", encoding="utf-8")
    sweep = tmp_path / "s.sweep.yaml"
    sweep.write_text("version: 1\nbase: w.yaml\nvary:\n  arch.rows: [4, 8]\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_sweep(sweep, out_dir=out, executor="inline").computed == 2
    assert run_sweep(sweep, out_dir=out, executor="inline").computed == 0  # control: unchanged
    np.savez(tmp_path / "t.npz", a=np.full((8, 8), 3, np.int8))  # same shape, new contents
    again = run_sweep(sweep, out_dir=out, executor="inline")
    assert again.computed == 2, "edited tensors must invalidate the stored points"
    with Store(out / "results.sqlite") as store:
        assert len(store.rows()) == 2  # only the current points are reported


def test_request_log_named_by_an_override_is_in_the_key(make_sweep: Callable[..., Path],
                                                         tmp_path: Path) -> None:
    path = make_sweep("vary:\n  name: [a.csv, b.csv]\n")
    (tmp_path / "a.csv").write_text("seq_len\n1\n")
    (tmp_path / "b.csv").write_text("seq_len\n2\n")
    sweep = load_sweep(path)
    first = [sweep.point_key({"name": n}) for n in ("a.csv", "b.csv")]
    (tmp_path / "a.csv").write_text("seq_len\n3\n")
    second = [load_sweep(path).point_key({"name": n}) for n in ("a.csv", "b.csv")]
    assert first[0] != second[0] and first[1] == second[1]


def test_point_timeout_is_a_failed_point(make_sweep: Callable[..., Path], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = worker.simulate

    def slow(workload: Any) -> Any:
        if workload.arch.rows == 8:
            time.sleep(30)
        return real(workload)

    monkeypatch.setattr(worker, "simulate", slow)
    path = make_sweep("vary:\n  arch.rows: [4, 8, 16]\ntimeout_s: 0.5\n")
    clock = time.monotonic()
    out = run_sweep(path, out_dir=tmp_path / "out", executor="inline")
    assert time.monotonic() - clock < 20
    assert out.counts == {"ok": 2, "failed": 1}
    with Store(tmp_path / "out" / "results.sqlite") as store:
        failed = [r for r in store.rows() if r.status == "failed"]
    assert "timed out after 0.5 s" in failed[0].error


def test_dask_address_not_taken_from_a_sweep_file(make_sweep: Callable[..., Path]) -> None:
    path = make_sweep("vary:\n  arch.rows: [4, 8]\nexecutor: dask\n"
                      "address: tcp://203.0.113.9:8786\n")
    with pytest.raises(SimError, match="--address"):
        load_sweep(path)


def test_workers_capped_unless_given_on_the_command_line() -> None:
    cpus = os.cpu_count() or 1
    assert cap_workers(1048576, forced=False) == cpus
    assert cap_workers(1, forced=False) == 1
    assert cap_workers(cpus + 3, forced=True) == cpus + 3


@pytest.mark.parametrize("folder", ["../outside", "/tmp/abs", "a/../../b", "~/x"])
def test_report_dir_stays_under_cwd(folder: str, make_sweep: Callable[..., Path],
                                    tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    sweep = make_sweep(f"vary:\n  arch.rows: [4]\nreport: {{dir: '{folder}'}}\n")
    bad = sim_cli("validate", str(sweep))
    assert bad.code == 2 and "working directory" in bad.stderr  # type: ignore[attr-defined]
    text = (tmp_path / "tiny.yaml").read_text() + f"report: {{dir: '{folder}'}}\n"
    (tmp_path / "tiny.yaml").write_text(text)
    bad = sim_cli("validate", str(tmp_path / "tiny.yaml"))
    assert bad.code == 2 and "working directory" in bad.stderr  # type: ignore[attr-defined]


def test_csv_formulas_neutralised(make_sweep: Callable[..., Path], tmp_path: Path,
                                  sim_cli: Callable[..., object]) -> None:
    path = make_sweep("vary:\n  name: ['=HYPERLINK(\"x\")', '@SUM(1)', '+1', plain]\n")
    run_sweep(path, out_dir=tmp_path / "out", executor="inline")
    with (tmp_path / "out" / "results.csv").open(newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@")], cells
    assert "'=HYPERLINK(\"x\")" in cells and "plain" in cells
    assert any(c.startswith("-") is False for c in cells)
    text = (tmp_path / "tiny.yaml").read_text().replace("name: g0,", "name: '=cmd|x',")
    (tmp_path / "tiny.yaml").write_text(text)
    outcome = sim_cli("run", str(tmp_path / "tiny.yaml"), "-o", str(tmp_path / "run"))
    assert outcome.code == 0, outcome.stderr  # type: ignore[attr-defined]
    ops = (tmp_path / "run" / "ops.csv").read_text()
    assert "'=cmd|x" in ops and "\n=cmd" not in ops
