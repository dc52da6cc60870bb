"""ResNet-18 WS/OS experiment: its layers, SCALE-Sim 3.0.0's committed figures, and the memory
mechanisms the report relies on. SCALE-Sim is never run or imported here."""

from __future__ import annotations

import dataclasses

import pytest

from sim.hw.systolic import fold_counts
from sim.models.systolic import resnet18 as r18
from sim.models.systolic.model import SystolicArch, SystolicModel

R = C = 256


@pytest.fixture(scope="module")
def ref() -> dict[tuple[str, str, str], r18.ScaleSimRow]:
    return r18.load_scalesim()


@pytest.fixture(scope="module")
def fast_rows() -> list[r18.LayerRow]:
    """Every layer, every variant, DRAM in the loop with the fast mode (the bytes of the event
    mode come from the same fold planner)."""
    return r18.resnet18_layers(modes=("fast",))


def test_network_is_resnet18() -> None:
    names = [op["name"] for op in r18.RESNET18_NETWORK]
    assert len(names) == len(set(names)) == 21
    assert sum(op["kind"] == "conv2d" for op in r18.RESNET18_NETWORK) == 20
    assert set(r18.SIX_LAYERS) <= set(names)
    macs = sum(s.m * s.n * s.k for s in map(r18.layer_gemm, names))
    assert 1.79e9 < macs < 1.83e9  # ResNet-18 at 224 x 224: about 1.8 GMAC
    assert r18.layer_gemm("layer4.1.conv2") == r18.layer_gemm("layer4.0.conv2")
    assert (r18.layer_gemm("conv1").m, r18.layer_gemm("fc").m) == (112 * 112, 1)


def test_scalesim_reference_covers_the_network_with_our_gemms(ref) -> None:
    """Every layer x dataflow x bandwidth mode is there, and SCALE-Sim lowered each layer to the
    same GEMM as we do (so the padded ifmap sides given to it were right)."""
    for op in r18.RESNET18_NETWORK:
        shape = r18.layer_gemm(op["name"])
        for df in ("WS", "OS"):
            for mode in ("CALC", "USER"):
                row = ref[op["name"], df, mode]
                assert (row.m, row.n, row.k) == (shape.m, shape.n, shape.k)
    assert len(ref) == 21 * 2 * 2


def test_scalesim_compute_cycles_differ_from_ours_by_the_known_terms(ref) -> None:
    """Compute-only: SCALE-Sim's Total Cycles = ours - 1 (last cycle index vs count) for WS, and
    ours - 1 - R for OS with the overlapped drain (SCALE-Sim does not count the final drain)."""
    trace = r18.resnet18_trace()
    for df, drain, extra in (("WS", "serial", 1), ("OS", "overlapped", 1 + R)):
        arch = SystolicArch.model_validate({**r18.RESNET18_ARCH, "dataflow": df,
                                            "os_drain": drain})
        result = SystolicModel(arch).run(trace, seed=0)
        for op in result.ops:
            assert op.cycles - extra == ref[op.name, df, "CALC"].total, (op.name, df)


def test_dram_bytes_match_scalesim_through_the_named_mechanisms(ref, fast_rows) -> None:
    checks = r18.byte_check(fast_rows, ref)
    assert len(checks) == 21 * 2 * 3
    assert all(c[4] == c[5] for c in checks), [c for c in checks if c[4] != c[5]]


def test_byte_check_fails_without_each_mechanism(ref, fast_rows) -> None:
    """Negative controls: drop WS's per-fold partial-sum writes, or the fold padding, and the
    prediction misses SCALE-Sim on the layers where that mechanism acts."""
    ws_multi = [op["name"] for op in r18.RESNET18_NETWORK
                if fold_counts(r18.layer_gemm(op["name"]), R, C, "WS")[0] > 1]
    assert ws_multi
    for name in ws_multi:
        shape = r18.layer_gemm(name)
        assert shape.m * shape.n != ref[name, "WS", "USER"].ofmap_writes
    padded = [op["name"] for op in r18.RESNET18_NETWORK if r18.layer_gemm(op["name"]).k % R]
    assert padded
    for name in padded:
        shape = r18.layer_gemm(name)
        unpadded = -(-shape.m * shape.k // 10) * 10
        assert unpadded < ref[name, "WS", "USER"].ifmap_reads


def test_scalesim_user_mode_never_stalls_and_its_fill_precedes_compute(ref) -> None:
    """What SCALE-Sim's bandwidth mode does at google.cfg: the operand fills (at most 3 MiB at
    10 words per cycle) happen before cycle 0, so 'Total Cycles' equals the compute-only figure
    and only 'incl. prefetch' pays for the DRAM."""
    for (layer, df, mode), row in ref.items():
        if mode != "USER":
            continue
        assert row.stall == 0
        assert row.total == ref[layer, df, "CALC"].total
        fill = max(row.ifmap_reads, row.filter_reads) // 10
        assert row.total_incl_prefetch >= fill + row.total


def test_ours_is_bounded_by_the_dram_at_10_gbs(fast_rows) -> None:
    """One shared 10 B/cycle DRAM: no layer ends before all its bytes have moved, and every
    layer stalls (unlike SCALE-Sim's 'Total Cycles', which has separate ports and hides the
    fill)."""
    for r in fast_rows:
        moved = r.a_bytes + r.b_bytes + r.psum_read_bytes + r.write_bytes
        assert r.fast >= moved / 10, r
        assert r.fast > r.compute, r


def test_ours_tends_to_compute_with_ample_bandwidth() -> None:
    previous = None
    for bw in (10.0, 100.0, 1000.0, 4000.0):
        rows = r18.resnet18_layers(r18.SIX_LAYERS, 6144, bw, modes=("fast",))
        t = r18.totals(rows)
        for row in t.values():
            assert row.fast >= row.compute
        if previous is not None:
            assert all(t[k].fast <= previous[k].fast for k in t)
        previous = t
    assert previous is not None
    assert all(row.fast < 1.05 * row.compute for row in previous.values())


def test_report_has_every_setting_layer_and_reference(ref, fast_rows, monkeypatch) -> None:
    """The report's structure, with the fast totals standing in for the event ones (speed)."""
    rows = [dataclasses.replace(r, event=r.fast) for r in fast_rows]
    monkeypatch.setattr(r18, "resnet18_layers", lambda *a, **k: [
        r for r in rows if not a or a[0] is None or r.layer in a[0]])
    monkeypatch.setattr(r18, "GRID_SRAM_KIB", (6144,))
    monkeypatch.setattr(r18, "GRID_BANDWIDTH_GBS", (10.0,))
    text = r18.resnet18_text()
    for needle in ("21.0%", "30.1%", "SCALE-Sim 3.0.0, Total Cycles (incl. prefetch)",
                   "ours, OS overlapped drain", "network (21)", "resnet18_google.csv",
                   f"for {21 * 2 * 3} of {21 * 2 * 3}"):
        assert needle in text, needle
    for op in r18.RESNET18_NETWORK:
        assert f"| {op['name']} |" in text
    findings = r18.findings(rows, ref, r18.SIX_LAYERS)
    assert set(findings) == {"ours, OS serial drain", "ours, OS overlapped drain",
                             "SCALE-Sim 3.0.0, Total Cycles",
                             "SCALE-Sim 3.0.0, Total Cycles (incl. prefetch)"}
