"""SimPy timeline of one tiled layer: cluster DMA (L2 <-> L1) and the compute engine, double
buffered, so that the transfers of tile i+1 (and the store of tile i-1) overlap compute of tile i.

Processes:

* ``loader``: for each tile, waits for a free L1 buffer slot (2 slots = double buffering), then
  holds the DMA channel for the tile's weight load (when its k tile changes) and its input load;
* ``engine``: waits until tile i is loaded, computes it (NE16 or cluster cycles), then starts a
  ``store`` process;
* ``store``: holds the DMA channel for the output transfer, then frees the slot.

One DMA channel serves loads and stores in request order (the cluster DMA shares one L2 port).
All durations are integer cycles, so the SimPy clock is exact.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy


@dataclass(frozen=True)
class TileJob:
    """One tile: DMA cycles of its loads and store, and compute cycles."""

    load: int  # input (+ weights when the k tile changes) transfer cycles
    compute: int
    store: int


@dataclass(frozen=True)
class Timeline:
    """Outcome of a layer run: total cycles and busy cycles per unit."""

    cycles: int
    compute_busy: int
    dma_busy: int
    stall: int  # cycles the engine waited for data

    @property
    def exposed_dma(self) -> int:
        """Cycles not covered by compute."""
        return self.cycles - self.compute_busy


def run_tiles(jobs: list[TileJob], buffers: int = 2) -> Timeline:
    """Simulate the double-buffered pipeline of ``jobs``; returns the layer's timeline.

    With ``buffers=1`` nothing overlaps (load, compute, store strictly in sequence).
    """
    env = simpy.Environment()
    dma = simpy.Resource(env, capacity=1)
    slots = simpy.Container(env, capacity=buffers, init=buffers)
    loaded = [env.event() for _ in jobs]
    busy = {"dma": 0, "compute": 0, "stall": 0}

    def loader() -> Generator[Any, Any, None]:
        for i, job in enumerate(jobs):
            yield slots.get(1)
            with dma.request() as req:
                yield req
                yield env.timeout(job.load)
                busy["dma"] += job.load
            loaded[i].succeed()

    def store(job: TileJob) -> Generator[Any, Any, None]:
        with dma.request() as req:
            yield req
            yield env.timeout(job.store)
            busy["dma"] += job.store
        yield slots.put(1)

    def engine() -> Generator[Any, Any, None]:
        for i, job in enumerate(jobs):
            t0 = env.now
            yield loaded[i]
            busy["stall"] += int(env.now - t0)
            yield env.timeout(job.compute)
            busy["compute"] += job.compute
            env.process(store(job))

    env.process(loader())
    env.process(engine())
    env.run()  # runs until every load, compute and store has finished
    return Timeline(cycles=int(env.now), compute_busy=busy["compute"], dma_busy=busy["dma"],
                    stall=busy["stall"])
