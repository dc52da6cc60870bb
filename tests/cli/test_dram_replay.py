"""``sim dram replay`` through the installed console script."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sim.hw.dram.address import encode
from sim.hw.dram.config import make_config
from sim.hw.dram.trace import read_trace_dramsim3, write_trace_dramsim3
from tests.cli.test_quickstart import sim_script


def test_replay_prints_the_summary(tmp_path: Path) -> None:
    org = make_config("dramsim3_hbm2_8ch").org
    path = tmp_path / "t.trc"
    # closed bank (31 from acceptance), row conflict (45), and a write on channel 1 that waits
    # in the buffer until the trace is over (accepted 201: ACT 202, WRITE 216 -> finish 217)
    write_trace_dramsim3(path, [0, 100, 200], [encode(org, row=3), encode(org, row=4),
                                                encode(org, channel=1, row=4)],
                         [False, False, True])
    assert read_trace_dramsim3(path)[2].tolist() == [False, False, True]
    done = subprocess.run([sim_script(), "dram", "replay", str(path), "--preset",
                           "dramsim3_hbm2_8ch", "--path", "reference"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "3 requests (1 writes)" in text
    assert "cycles to finish: 217" in text
    assert "mean 38.0, p50 31, p90 45, p99 45, max 45" in text
    assert "commands: ACT 3, PRE 1, RD 2, WR 1, REF 0" in text
    assert "energy:" in text and "uJ" in text


def test_replay_bad_trace_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.trc"
    path.write_text("0x40 READ 0\n0x80 FETCH 1\n")
    done = subprocess.run([sim_script(), "dram", "replay", str(path), "--preset",
                           "dramsim3_hbm2_8ch"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "bad.trc:2" in done.stderr and "bad DRAM trace line" in done.stderr
