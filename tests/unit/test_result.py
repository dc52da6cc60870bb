"""Result JSON round trip and determinism of whole runs."""

from __future__ import annotations

import json
from pathlib import Path

from sim import api
from sim.core.result import Result


def test_result_json_round_trip(repo: Path, tmp_path: Path) -> None:
    result = api.run(repo / "workloads/quickstart.yaml", write=False).result
    text = result.to_json()
    again = Result.from_json(text)
    assert again == result
    assert again.to_json() == text
    assert again.seconds == result.seconds


def test_same_inputs_give_byte_identical_json_apart_from_timestamp(repo: Path,
                                                                  tmp_path: Path) -> None:
    texts = []
    for i in range(2):
        api.run(repo / "workloads/quickstart.yaml", out_dir=tmp_path / str(i))
        data = json.loads((tmp_path / str(i) / "result.json").read_text())
        data["provenance"]["created"] = ""
        texts.append(json.dumps(data, sort_keys=True))
    assert texts[0] == texts[1]
    assert (tmp_path / "0/ops.csv").read_bytes() == (tmp_path / "1/ops.csv").read_bytes()


def test_provenance_names_inputs(repo: Path) -> None:
    result = api.run(repo / "workloads/quickstart.yaml", write=False).result
    prov = result.provenance
    assert prov.family == "systolic"
    assert len(prov.arch_hash) == 16 and len(prov.trace_hash) == 16
    assert prov.tool_version
    other = api.run(repo / "workloads/quickstart.yaml", overrides={"arch.rows": 32},
                    write=False).result
    assert other.provenance.arch_hash != prov.arch_hash
    assert other.provenance.trace_hash == prov.trace_hash


def test_energy_scale_metric_gives_energy_per_unit(repo: Path) -> None:
    """A family metric ``energy_scale_per_token`` turns the run's energy into J per token."""
    workload = api.load_workload(repo / "workloads/quickstart.yaml")
    result = api.simulate(workload)
    result.metrics["energy_scale_per_token"] = 0.25
    costing = api.apply_costing(result, workload)
    energy_j = costing.total_energy_pj * 1e-12
    assert energy_j > 0
    assert result.metrics["energy_per_token_j"] == energy_j * 0.25
