"""GAP9 + NE16 timing model: per layer, engine choice, L1 tiling, double-buffered DMA/compute
(SimPy), cluster fallback, action ledger; layers run one after another.

Cluster fallback estimate (modelling assumption, documented in the arch schema):
``cycles = kernel_overhead + ceil(MACs / (cores * mac_per_cycle_per_core * efficiency))`` for
conv/gemm (``depthwise_efficiency`` for depthwise convolutions),
``kernel_overhead + ceil(elements / (cores * eltwise_per_cycle_per_core))`` for element-wise ops;
the cluster reads sub-byte weights unpacked, so its compute does not depend on the weight width.
Data moves through L1 in chunks of a quarter of the tiling budget, double buffered like NE16
tiles.

L3: if the NE16-packed weights of the whole network plus the largest layer's activations exceed
the L2 data budget, every layer's weights are first copied L3 -> L2 (not overlapped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.core.errors import SimError, UnsupportedOpError
from sim.core.ledger import Ledger
from sim.core.result import OpRecord, Result
from sim.models.gap9 import cycles as cy
from sim.models.gap9.arch import Gap9Arch
from sim.models.gap9.area import ne16_inventory
from sim.models.gap9.layers import SUPPORTED_KINDS, Layer, layer_from_op
from sim.models.gap9.soc import TileJob, Timeline, run_tiles
from sim.models.gap9.tiling import Tiling, candidate_tilings, dma_cycles, nq_config
from sim.workload.trace import Trace

TILINGS_TIMED = 3  # tilings per layer timed with SimPy


@dataclass
class LayerRun:
    """Simulated layer: latency, unit, ledger and details for reporting."""

    layer: Layer
    unit: str
    cycles: int
    compute: int
    ledger: Ledger
    detail: dict[str, Any] = field(default_factory=dict)


def cluster_compute_cycles(layer: Layer, arch: Gap9Arch) -> int:
    """Cluster cycles of a layer (see module docstring)."""
    c = arch.cluster
    if layer.kind == "eltwise":
        rate = c.cores * c.eltwise_per_cycle_per_core
        return c.kernel_overhead_cycles + int(-(-layer.elements // rate))
    eff = c.depthwise_efficiency if layer.depthwise else c.efficiency
    rate = c.cores * c.mac_per_cycle_per_core * eff
    return c.kernel_overhead_cycles + int(-(-layer.macs // rate))


def _chunk_jobs(total_bytes: int, compute: int, arch: Gap9Arch) -> list[TileJob]:
    """Split a cluster layer's traffic into L1 chunks; compute divided evenly."""
    chunk = max(1, arch.l1.tiling_budget_bytes // 4)
    n = max(1, -(-total_bytes // chunk))
    jobs = []
    for i in range(n):
        nb = min(chunk, total_bytes - i * chunk) if total_bytes else 0
        share = compute // n + (1 if i < compute % n else 0)
        half = nb // 2
        jobs.append(TileJob(load=int(dma_cycles(nb - half, 1, arch.dma)), compute=share,
                            store=int(dma_cycles(half, 1, arch.dma))))
    return jobs


def ne16_jobs(layer: Layer, tiling: Tiling, arch: Gap9Arch) -> list[TileJob]:
    """Tile jobs in loop order (k tiles outermost; weights loaded with the first tile of each)."""
    by_shape = {(t.h, t.w, t.k): t for t in tiling.kinds}
    jobs = []
    for ki in range(tiling.n_k):
        tk = min(tiling.k, layer.k_out - ki * tiling.k)
        for hi in range(tiling.n_h):
            th = min(tiling.h, layer.h_out - hi * tiling.h)
            for wi in range(tiling.n_w):
                tw = min(tiling.w, layer.w_out - wi * tiling.w)
                t = by_shape[(th, tw, tk)]
                load = int(dma_cycles(t.in_bytes, t.in_rows, arch.dma))
                if hi == 0 and wi == 0:
                    load += int(dma_cycles(t.w_bytes, 1, arch.dma))
                jobs.append(TileJob(load=load, compute=t.compute,
                                    store=int(dma_cycles(t.out_bytes, t.out_rows, arch.dma))))
    return jobs


def ne16_l1_reads(layer: Layer, arch: Gap9Arch) -> tuple[int, int]:
    """(input bytes, weight bytes) the NE16 streamer reads from L1 for the whole layer."""
    geo = cy.Geometry(arch.ne16.side, arch.ne16.lanes)
    ho, wo = (2 * layer.h_out, 2 * layer.w_out) if layer.stride == 2 else (layer.h_out,
                                                                           layer.w_out)
    if layer.mode == "linear":
        n_sp, n_in = ho * wo, cy.ceil_div(layer.k_in, cy.LIN_INPUTS)
        pix_bytes = cy.LIN_INPUTS
        n_k = cy.ceil_div(layer.k_out, cy.K_SUB)
    else:
        n_sp = cy.ceil_div(ho, geo.side) * cy.ceil_div(wo, geo.side)
        n_in = 1 if layer.mode == "dw" else cy.ceil_div(layer.k_in, geo.lanes)
        pixels = geo.columns if layer.mode == "1x1" else (geo.side + 2) ** 2
        pix_bytes = pixels * geo.lanes
        n_k = cy.ceil_div(layer.k_out, geo.lanes if layer.mode == "dw" else cy.K_SUB)
    return n_sp * n_k * n_in * pix_bytes, n_sp * layer.weight_bytes()


class Gap9Model:
    """GAP9 SoC + NE16 model built from a validated :class:`Gap9Arch`."""

    def __init__(self, arch: Gap9Arch) -> None:
        self.arch = arch
        self.ns_per_cycle = 1e3 / arch.clock_mhz
        # ledger keys of the memories: per-bit SRAM energy depends on the array size (the tech
        # tables interpolate sram_<size> rows); L1 is accessed one bank at a time
        bank = arch.l1.size_bytes // arch.l1.banks
        self.l1_key = f"gap9_l1.sram_{bank}B"
        self.l2_key = f"gap9_l2.sram_{arch.l2.size_bytes}B"

    # ------------------------------------------------------------------ per layer
    def simulate_layer(self, layer: Layer, from_l3: bool = False) -> LayerRun:
        """Simulate one layer on the engine the arch's mapping picks."""
        arch = self.arch
        ne16 = arch.ne16.enabled and layer.ne16_ok and arch.mapping != "cluster"
        run_ne = self._ne16(layer) if ne16 else None
        run_cl = None
        if run_ne is None or arch.mapping == "auto":
            run_cl = self._cluster(layer)
        best = run_ne if run_cl is None or (run_ne is not None and run_ne.cycles <= run_cl.cycles) \
            else run_cl
        assert best is not None
        if from_l3 and layer.weight_bytes() > 0:
            extra, led = self.l3_extra(layer)
            best.cycles += extra
            best.ledger.merge(led)
            best.detail["l3_cycles"] = extra
        return best

    def l3_extra(self, layer: Layer) -> tuple[int, Ledger]:
        """Cycles and actions of copying a layer's weights L3 -> L2 before it runs."""
        wb = layer.weight_bytes()
        led = Ledger()
        if wb == 0:
            return 0, led
        l3 = self.arch.l3
        led.add("gap9_l3.read_bit", 8 * wb)
        led.add(f"{self.l2_key}.write_bit", 8 * wb)
        return l3.latency_cycles + int(-(-wb // l3.bandwidth_bytes_per_cycle)), led

    def _ledger_common(self, led: Ledger, tl: Timeline, l2_in: int, l2_out: int) -> None:
        led.add("gap9_dma.active_ns", tl.dma_busy * self.ns_per_cycle)
        led.add(f"{self.l2_key}.read_bit", 8 * l2_in)
        led.add(f"{self.l2_key}.write_bit", 8 * l2_out)
        led.add(f"{self.l1_key}.write_bit", 8 * l2_in)
        led.add(f"{self.l1_key}.read_bit", 8 * l2_out)

    def _ne16(self, layer: Layer) -> LayerRun:
        # the SimPy pipeline times the few best tilings of the closed-form estimate exactly
        timed = [(run_tiles(ne16_jobs(layer, t, self.arch)), t)
                 for t in candidate_tilings(layer, self.arch, top=TILINGS_TIMED)]
        tl, tiling = min(timed, key=lambda p: (p[0].cycles, p[1].estimate))
        l2_in = sum(t.count * t.in_bytes for t in tiling.kinds)
        l2_in += self._weight_traffic(layer, tiling)
        l2_out = sum(t.count * t.out_bytes for t in tiling.kinds)
        led = Ledger()
        led.add("ne16.active_ns", tl.compute_busy * self.ns_per_cycle)
        self._ledger_common(led, tl, l2_in, l2_out)
        rd_in, rd_w = ne16_l1_reads(layer, self.arch)
        led.add(f"{self.l1_key}.read_bit", 8 * (rd_in + rd_w))
        led.add(f"{self.l1_key}.write_bit", 8 * l2_out)
        nq = nq_config(self.arch)
        geo = cy.Geometry(self.arch.ne16.side, self.arch.ne16.lanes)
        whole = cy.LayerShape(layer.mode, layer.k_in, layer.k_out, layer.h_out, layer.w_out,
                              layer.qw, layer.stride)
        detail: dict[str, Any] = {
            "engine": "ne16", "mode": layer.mode, "qw": layer.qw,
            "tile": [tiling.h, tiling.w, tiling.k], "tiles": tiling.tiles,
            "l1_bytes": tiling.l1_bytes, "compute_cycles": tl.compute_busy,
            "dma_busy_cycles": tl.dma_busy, "exposed_dma_cycles": tl.exposed_dma,
            "weight_bytes": layer.weight_bytes(), "l2_read_bytes": l2_in,
            "l2_write_bytes": l2_out,
            "phases_untiled": cy.layer_breakdown(whole, nq, geo),
        }
        return LayerRun(layer, "ne16", tl.cycles, tl.compute_busy, led, detail)

    @staticmethod
    def _weight_traffic(layer: Layer, tiling: Tiling) -> int:
        """Weight + normquant parameter bytes moved L2 -> L1 (once per k tile)."""
        seen: dict[int, int] = {}
        for t in tiling.kinds:
            seen[t.k] = t.w_bytes
        full = layer.k_out // tiling.k
        rem = layer.k_out % tiling.k
        return full * seen[tiling.k] + (seen[rem] if rem else 0)

    def _cluster(self, layer: Layer) -> LayerRun:
        comp = cluster_compute_cycles(layer, self.arch)
        l2_in = layer.in_bytes() + layer.weight_bytes()
        l2_out = layer.out_bytes()
        tl = run_tiles(_chunk_jobs(l2_in + l2_out, comp, self.arch))
        led = Ledger()
        led.add("gap9_cluster.active_ns", tl.compute_busy * self.ns_per_cycle)
        self._ledger_common(led, tl, l2_in, l2_out)
        # the cores read every operand once per MAC pair from L1 (one byte each) and write outputs
        reads = 2 * layer.macs if layer.kind != "eltwise" else layer.elements
        led.add(f"{self.l1_key}.read_bit", 8 * reads)
        led.add(f"{self.l1_key}.write_bit", 8 * l2_out)
        detail: dict[str, Any] = {
            "engine": "cluster", "mode": layer.mode or "cluster", "qw": layer.qw,
            "compute_cycles": tl.compute_busy, "dma_busy_cycles": tl.dma_busy,
            "exposed_dma_cycles": tl.exposed_dma, "weight_bytes": layer.weight_bytes(),
            "l2_read_bytes": l2_in, "l2_write_bytes": l2_out,
        }
        return LayerRun(layer, "cluster", tl.cycles, tl.compute_busy, led, detail)

    # ------------------------------------------------------------------ network
    def layers(self, trace: Trace) -> list[Layer]:
        """The trace's ops as layers (UnsupportedOpError for other kinds)."""
        out = []
        for op in trace.ops:
            if op.kind not in SUPPORTED_KINDS:
                raise UnsupportedOpError(
                    f"op {op.name!r} of kind {op.kind!r} is not supported by family gap9",
                    accepted=", ".join(SUPPORTED_KINDS))
            out.append(layer_from_op(op, self.arch.default_weight_bits))
        return out

    def weights_in_l3(self, layers: list[Layer]) -> bool:
        """Whether the network's weights plus the largest activations overflow the L2 budget."""
        weights = sum(ly.weight_bytes() for ly in layers)
        acts = max((ly.in_bytes() + ly.out_bytes() for ly in layers), default=0)
        return weights + acts > self.arch.l2.data_bytes

    def run(self, trace: Trace, seed: int = 0) -> Result:
        """Simulate the trace layer by layer; cycles of the 370 MHz (default) cluster clock."""
        layers = self.layers(trace)
        l3 = self.weights_in_l3(layers)
        ledger = Ledger()
        ops: list[OpRecord] = []
        now = 0
        busy = {"ne16": 0, "cluster": 0, "dma": 0}
        for layer in layers:
            lr = self.simulate_layer(layer, from_l3=l3)
            ops.append(OpRecord(name=layer.name, kind=layer.kind, unit=lr.unit, start=now,
                                end=now + lr.cycles, macs=layer.macs, ledger=lr.ledger.as_dict(),
                                detail=lr.detail))
            ledger.merge(lr.ledger)
            busy[lr.unit] += lr.compute
            busy["dma"] += int(lr.detail["dma_busy_cycles"])
            now += lr.cycles
        if now <= 0:
            raise SimError("empty trace")
        weight_total = sum(ly.weight_bytes() for ly in layers)
        metrics = {
            "latency_s": now / (self.arch.clock_mhz * 1e6),
            "weight_bytes": float(weight_total),
            "ne16_cycles": float(busy["ne16"]), "cluster_cycles": float(busy["cluster"]),
            "dma_busy_cycles": float(busy["dma"]),
            "mac_per_cycle": sum(ly.macs for ly in layers) / now,
            "weights_in_l3": float(l3),
        }
        inventory = {
            **ne16_inventory(),  # the engine inventory checked against Yosys (sim rtl synth)
            "gap9_l1.sram": float(self.arch.l1.size_bytes * 8),
            "gap9_l2.sram": float(self.arch.l2.size_bytes * 8),
        }
        util = {k: v / now for k, v in busy.items()}
        return Result.new(name=trace.name, cycles=now, freq_hz=self.arch.clock_mhz * 1e6,
                          ops=ops, ledger=ledger, inventory=inventory, utilisation=util,
                          metrics=metrics, clock="cluster")
