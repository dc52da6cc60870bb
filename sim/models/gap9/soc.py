"""Timeline of one tiled layer on the shared event engine (:mod:`sim.core.engine`): cluster DMA
(L2 <-> L1) and the compute engine, double buffered, so that the transfers of tile i+1 (and the
store of tile i-1) overlap compute of tile i.

Tasks per tile i:

* ``load i`` (DMA): the tile's weight load (when its k tile changes) and its input load; it waits
  for ``load i-1`` and for a free L1 buffer slot, i.e. for ``store i-buffers`` (2 slots = double
  buffering);
* ``compute i`` (engine): NE16 or cluster cycles, after ``load i`` and ``compute i-1``;
* ``store i`` (DMA): the output transfer after ``compute i``; it frees the slot.

One DMA channel serves loads and stores in request order (the cluster DMA shares one L2 port).
All durations are integer cycles (the engine's one-cycle clock), so the timeline is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.core.engine import Engine, Task


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
    engine = Engine()
    engine.add_unit("dma")
    engine.add_unit("engine")
    tasks = []
    for i, job in enumerate(jobs):
        load_deps = [f"load{i - 1}"] if i else []
        if i >= buffers:  # a buffer slot frees when the store of tile i - buffers has finished
            load_deps.append(f"store{i - buffers}")
        tasks += [Task(f"load{i}", "dma", job.load, load_deps),
                  Task(f"compute{i}", "engine", job.compute,
                       [f"load{i}", *([f"compute{i - 1}"] if i else [])]),
                  Task(f"store{i}", "dma", job.store, [f"compute{i}"])]
    engine.run(tasks)
    computes = sorted((s.start_ps, s.end_ps) for s in engine.spans if s.task.unit == "engine")
    ready = [0] + [end for _, end in computes[:-1]]  # when the engine asked for each tile
    return Timeline(cycles=engine.makespan_ps, compute_busy=engine.units["engine"].busy_ps,
                    dma_busy=engine.units["dma"].busy_ps,
                    stall=sum(start - t for (start, _), t in zip(computes, ready, strict=True)))
