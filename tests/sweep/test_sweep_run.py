"""Running sweeps: failed points are recorded and the sweep goes on; after Ctrl-C and kill -9 a
sweep resumes without recomputing, losing or duplicating a point."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.sweep import worker
from sim.sweep.runner import run_sweep
from sim.sweep.store import Store

KILL_SWEEP = "vary:\n  arch.rows: [4, 8, 16, 32]\n  arch.cols: [4, 8, 16, 32]\n"
POINTS = 16


def stored(folder: Path) -> dict[str, Any]:
    with Store(folder / "results.sqlite") as store:
        return {r.key: r for r in store.rows()}


def test_failed_point_is_recorded_and_sweep_goes_on(make_sweep: Callable[..., Path],
                                                    tmp_path: Path) -> None:
    path = make_sweep("vary:\n  arch.rows: [8, 0, 16]\n")
    out = run_sweep(path, out_dir=tmp_path / "out", executor="inline")
    assert out.counts == {"ok": 2, "failed": 1}
    rows = sorted(stored(tmp_path / "out").values(), key=lambda r: r.idx)
    assert [r.status for r in rows] == ["ok", "failed", "ok"]
    assert "rows: input should be greater than or equal to 1" in rows[1].error
    assert rows[1].metrics == {} and rows[0].metrics["cycles"] > 0
    again = run_sweep(path, out_dir=tmp_path / "out", executor="inline")
    assert again.computed == 0  # failed points are retried only on request
    retried = run_sweep(path, out_dir=tmp_path / "out", executor="inline",
                        retry_failed=True)
    assert retried.computed == 1
    attempts = [r.attempts for r in sorted(stored(tmp_path / "out").values(),
                                           key=lambda r: r.idx)]
    assert attempts == [1, 2, 1]


def test_any_exception_is_a_failed_point(make_sweep: Callable[..., Path], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = worker.simulate

    def flaky(workload: Any) -> Any:
        if workload.arch.rows == 16:
            raise ZeroDivisionError("model bug")
        return real(workload)

    monkeypatch.setattr(worker, "simulate", flaky)
    path = make_sweep("vary:\n  arch.rows: [8, 16, 32]\n")
    out = run_sweep(path, out_dir=tmp_path / "out", executor="inline")
    assert out.counts == {"ok": 2, "failed": 1}
    failed = [r for r in stored(tmp_path / "out").values() if r.status == "failed"]
    assert failed[0].params == {"arch.rows": 16}
    assert failed[0].error.startswith("ZeroDivisionError: model bug (at test_sweep_run.py:")


def test_linked_fields_run_as_settings(make_sweep: Callable[..., Path], tmp_path: Path) -> None:
    path = make_sweep("vary:\n  arch.rows: [8, 16]\nlinked:\n  - arch.cols: [4, 32]\n"
                      "    arch.dataflow: [OS, WS]\n")
    out = run_sweep(path, out_dir=tmp_path / "out", executor="inline")
    assert out.counts == {"ok": 4}
    params = sorted((r.params["arch.rows"], r.params["arch.cols"], r.params["arch.dataflow"])
                    for r in stored(tmp_path / "out").values())
    assert params == [(8, 4, "OS"), (8, 32, "WS"), (16, 4, "OS"), (16, 32, "WS")]
    with Store(tmp_path / "out" / "results.sqlite") as store:
        assert store.meta()["vary"] == ["arch.rows", "arch.cols", "arch.dataflow"]


def _cli(path: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "sim.cli", "sweep", str(path), "--out", str(out),
            "--workers", "2", "--batch", "1", "--no-report"]


def _ok_count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        try:
            return int(con.execute("SELECT COUNT(*) FROM points WHERE status = 'ok'")
                       .fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def _default_sigint() -> None:
    """Ctrl-C as in a terminal: a shell starts background jobs (``pytest &``) with SIGINT
    ignored, and the sweep would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_after(path: Path, out: Path, done: int, sig: signal.Signals) -> int:
    """Start ``sim sweep``, send ``sig`` to it and its workers once ``done`` points are stored;
    returns the exit status."""
    env = {**os.environ, "CI": "1"}
    proc = subprocess.Popen(_cli(path, out), env=env, start_new_session=True,
                            preexec_fn=_default_sigint, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _ok_count(out / "results.sqlite") < done and proc.poll() is None:
        assert time.monotonic() < deadline, "sweep made no progress"
        time.sleep(0.01)
    assert proc.poll() is None, (
        f"the sweep ended (status {proc.returncode}, {_ok_count(out / 'results.sqlite')} points "
        f"stored) before {done} stored points were seen")
    os.killpg(proc.pid, sig)
    return proc.wait(60)


def test_sigkill_then_resume_matches_uninterrupted(make_sweep: Callable[..., Path],
                                                   tmp_path: Path) -> None:
    path = make_sweep(KILL_SWEEP, ops=60)
    out = tmp_path / "killed"
    env = {**os.environ, "CI": "1"}
    # Ctrl-C first: the sweep stops cleanly (exit 130) and keeps what it finished
    assert _interrupt_after(path, out, 3, signal.SIGINT) == 130
    interrupted = {k for k, r in stored(out).items() if r.status == "ok"}
    assert 3 <= len(interrupted) < POINTS
    # then kill -9 the resumed sweep and its workers, mid-way
    status = _interrupt_after(path, out, len(interrupted) + 3, signal.SIGKILL)
    assert status == -signal.SIGKILL
    before = {k: r for k, r in stored(out).items() if r.status == "ok"}
    assert interrupted < set(before), "the resumed sweep kept the earlier points"
    assert len(before) < POINTS, "the kill must land mid-way"

    resumed = subprocess.run(_cli(path, out), env=env, capture_output=True, text=True,
                             timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"computed {POINTS - len(before)} now" in resumed.stdout
    after = stored(out)
    con = sqlite3.connect(out / "results.sqlite")
    counted = con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM points").fetchone()
    con.close()
    assert counted == (POINTS, POINTS)
    assert all(r.status == "ok" and r.attempts == 1 for r in after.values())
    for key, row in before.items():  # finished points were not recomputed
        assert after[key].finished == row.finished and after[key].worker == row.worker

    reference = run_sweep(path, out_dir=tmp_path / "clean", executor="inline")
    assert reference.counts == {"ok": POINTS}
    clean = stored(tmp_path / "clean")
    assert set(clean) == set(after)
    for key, row in clean.items():
        assert after[key].metrics == row.metrics
        assert after[key].params == row.params
        assert after[key].breakdown == row.breakdown
