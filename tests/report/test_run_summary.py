"""What ``sim run`` prints: each family's main metric through its family record (npu_pim
tokens/s and energy per token, stochastic F1/SSIM/PSNR), with SI-scaled units."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sim.core.units import number, si

NPU_PIM = """\
version: 1
name: tiny decode
arch: {arch}
trace: {{generator: llm_decode, model: gpt3-7b, batch: 8, layers: 1}}
"""
STOCHASTIC = """\
version: 1
name: tiny roberts
arch: {arch}
trace:
  version: 1
  name: roberts
  ops: [{{name: r, kind: image_filter, filter: roberts, height: 64, width: 64,
          tensors: {{image: "skimage:camera"}}}}]
"""


def summary(sim_cli: Any, repo: Path, tmp_path: Path, text: str, arch: str) -> str:
    path = tmp_path / "w.yaml"
    path.write_text(text.format(arch=repo / "arch" / arch), encoding="utf-8")
    done = sim_cli("run", str(path), "-o", str(tmp_path / "out"))
    assert done.code == 0, done.stderr
    return str(done.stdout)


def test_npu_pim_prints_tokens_per_second_and_energy_per_token(
        sim_cli: Any, repo: Path, tmp_path: Path) -> None:
    out = summary(sim_cli, repo, tmp_path, NPU_PIM, "neupims.yaml")
    assert re.search(r"tokens/s\s+│\s+[\d,.]+", out)
    assert re.search(r"energy/token\s+│\s+[\d.]+ [munp]?J", out)
    assert not re.search(r"\d{1,3},\d{3},\d{3}\.\d+ uJ", out)  # no millions of microjoules


def test_stochastic_prints_quality_not_macs(sim_cli: Any, repo: Path, tmp_path: Path) -> None:
    out = summary(sim_cli, repo, tmp_path, STOCHASTIC, "stochastic-memristor.yaml")
    for label in ("F1 stochastic / binary", "SSIM stochastic / binary",
                  "PSNR stochastic / binary"):
        assert label in out
    assert "MACs" not in out and "GOPS" not in out  # stochastic logic does no MACs


def test_si_scaling() -> None:
    assert si(1.132899486, "J") == "1.133 J"
    assert si(1132899.486e-6, "J") == "1.133 J"
    assert si(7.5e-4, "s") == "750 us"
    assert si(999.96, "W") == "1 kW"
    assert si(0.0, "J") == "0 J"
    assert number(6.801e9) == "6.801 G"
    assert number(1234) == "1,234"
    assert number(0.5) == "0.5"
