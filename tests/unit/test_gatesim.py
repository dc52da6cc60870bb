"""sim.rtlcheck.gatesim on a hand-written netlist: a toggle flop with enable and sync reset,
an XOR of its state with an input, and a MUX; toggles derived by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.rtlcheck import gatesim

# nets: 2 clk, 3 en, 4 rst, 5 x, 6 q, 7 nq (= NOT q), 8 y (= q XOR x), 9 m (= x ? y : q)
NETLIST = {"modules": {"top": {
    "attributes": {"top": "00000000000000000000000000000001"},
    "ports": {"clk": {"direction": "input", "bits": [2]}, "en": {"direction": "input", "bits": [3]},
              "rst": {"direction": "input", "bits": [4]}, "x": {"direction": "input", "bits": [5]},
              "y": {"direction": "output", "bits": [8]}},
    "cells": {
        "ff": {"type": "$_SDFFE_PP0P_", "connections": {"C": [2], "D": [7], "E": [3], "Q": [6],
                                                       "R": [4]}},
        "inv": {"type": "$_NOT_", "connections": {"A": [6], "Y": [7]}},
        "xor": {"type": "$_XOR_", "connections": {"A": [6], "B": [5], "Y": [8]}},
        "mux": {"type": "$_MUX_", "connections": {"A": [6], "B": [8], "S": [5], "Y": [9]}},
    }}}}


def _net(tmp_path: Path) -> gatesim.Netlist:
    path = tmp_path / "n.json"
    path.write_text(json.dumps(NETLIST))
    return gatesim.load_netlist(path, "top")


def test_toggle_flop_counts_by_hand(tmp_path: Path) -> None:
    net = _net(tmp_path)
    # edges: en 1 1 0 1 1 ; rst 0 0 0 1 0 ; x 0 0 1 1 0
    # q after edges: 1 0 0 0 1 -> q toggles 1,1,0,0,1 = 3 ; nq the same 3
    # y = q ^ x: 1 0 1 1 1 (from 0) -> toggles 1,1,1,0,0 = 3
    # m = x ? y : q: 1 0 1 1 1 -> 3
    stim = {"en": np.array([[1], [1], [0], [1], [1]]), "rst": np.array([[0], [0], [0], [1], [0]]),
            "x": np.array([[0], [0], [1], [1], [0]])}
    toggles = gatesim.simulate(net, stim)[:, 0]
    names = [name for name, _, _ in net.cells]
    got = dict(zip(names, toggles.tolist(), strict=True))
    # the initial settled state has nq = 1 (q = 0): nq's first toggle is to 0
    assert got == {"ff": 3, "inv": 3, "xor": 3, "mux": 3}
    assert net.flop_cells == [names.index("ff")]


def test_lanes_are_independent(tmp_path: Path) -> None:
    """Two lanes: the second never enabled toggles nothing but the x-driven gates."""
    net = _net(tmp_path)
    stim = {"en": np.array([[1, 0]] * 4), "rst": np.zeros((4, 2), dtype=np.int64),
            "x": np.array([[0, 1], [0, 0], [0, 1], [0, 0]])}
    toggles = gatesim.simulate(net, stim)
    names = [name for name, _, _ in net.cells]
    assert toggles[names.index("ff")].tolist() == [4, 0]
    assert toggles[names.index("xor")].tolist() == [4, 4]


def test_unsupported_cells_are_errors(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(NETLIST))
    bad["modules"]["top"]["cells"]["inv"]["type"] = "$_AOI3_"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(SimError, match="unsupported cell"):
        gatesim.load_netlist(path, "top")
