"""Layer shapes of the two sound-event-detection networks of the ICASSP 2024 SED paper.

The paper (Wu et al., arXiv 2404.04386) does not publish layer shapes, so both networks are
rebuilt from the architectures they name (modelling assumption, stated in the workload files):

* ``crnn``: the CRNN SED classifier, shaped after the DCASE 2020 Task 4 baseline CRNN
  (Turpault et al., DCASE 2019/2020: 7 conv blocks of 3x3 convolutions with 16-32-64-128-128-128-
  128 channels and pooling, a 2-layer bidirectional GRU of 128 units, a linear classifier) on a
  1 s log-mel input of 101 frames x 64 mel bands, 10 classes;
* ``mobilenetv2``: the HiSSNet embedding network's MobileNetV2 encoder (Sandler et al., CVPR 2018,
  Table 2 bottleneck settings; width multiplier 0.5, last 1x1 kept at 1280) on a 96 frame x
  64 mel log-mel patch, followed by a 128-d linear embedding.

Pooling, GRU gates and residual adds are ``eltwise`` ops (cluster); convolutions are ``conv2d``
(NCHW with H = time, W = mel); GRU and embedding matrices are ``gemm`` (M = time steps).

``python -m sim.models.gap9.networks`` rewrites ``workloads/gap9-*.yaml`` from these functions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Op = dict[str, Any]


def _make_div(v: float, divisor: int = 8) -> int:
    """MobileNetV2 channel rounding (multiple of 8, not below 90 % of v)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _conv(name: str, cin: int, cout: int, h: int, w: int, k: int, stride: int = 1,
          groups: int = 1) -> tuple[Op, int, int]:
    pad = k // 2
    op = {"name": name, "kind": "conv2d", "in_ch": cin, "out_ch": cout, "in_h": h, "in_w": w,
          "kernel_h": k, "kernel_w": k, "stride": stride, "padding": pad, "groups": groups}
    return op, (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1


def crnn_ops(frames: int = 101, mels: int = 64, classes: int = 10) -> list[Op]:
    """CRNN SED classifier ops (DCASE 2020 Task 4 baseline shape, see module docstring)."""
    chans = [16, 32, 64, 128, 128, 128, 128]
    pools = [(2, 2), (2, 2), (1, 2), (1, 2), (1, 2), (1, 2), (1, 1)]
    ops: list[Op] = []
    h, w, cin = frames, mels, 1
    for i, (c, (ph, pw)) in enumerate(zip(chans, pools, strict=True)):
        op, h, w = _conv(f"conv{i + 1}", cin, c, h, w, 3)
        ops.append(op)
        if ph * pw > 1:
            ops.append({"name": f"pool{i + 1}", "kind": "eltwise", "function": "maxpool",
                        "elements": h * w * c})
            h, w = h // ph, max(1, w // pw)
        cin = c
    feat = cin * w
    hidden = 128
    for layer in range(2):
        k_in = feat if layer == 0 else 2 * hidden
        for d in ("fw", "bw"):
            ops.append({"name": f"gru{layer + 1}_{d}_ih", "kind": "gemm", "m": h,
                        "n": 3 * hidden, "k": k_in})
            ops.append({"name": f"gru{layer + 1}_{d}_hh", "kind": "gemm", "m": h,
                        "n": 3 * hidden, "k": hidden})
            ops.append({"name": f"gru{layer + 1}_{d}_gates", "kind": "eltwise",
                        "function": "gru_gates", "elements": h * 3 * hidden})
    ops.append({"name": "classifier", "kind": "gemm", "m": h, "n": classes, "k": 2 * hidden})
    ops.append({"name": "sigmoid", "kind": "eltwise", "function": "sigmoid",
                "elements": h * classes})
    return ops


MBV2_SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                 (6, 160, 3, 2), (6, 320, 1, 1)]  # (expansion t, channels c, repeats n, stride s)


def mobilenetv2_ops(frames: int = 96, mels: int = 64, width: float = 0.5,
                    embedding: int = 128) -> list[Op]:
    """MobileNetV2 encoder + linear embedding (HiSSNet-style, see module docstring)."""
    ops: list[Op] = []
    c = _make_div(32 * width)
    op, h, w = _conv("stem", 1, c, frames, mels, 3, stride=2)
    ops.append(op)
    idx = 0
    for t, ch, n, s in MBV2_SETTINGS:
        cout = _make_div(ch * width)
        for r in range(n):
            idx += 1
            stride = s if r == 0 else 1
            hidden = c * t
            pre = f"b{idx}"
            if t != 1:
                op, _, _ = _conv(f"{pre}_expand", c, hidden, h, w, 1)
                ops.append(op)
            op, h2, w2 = _conv(f"{pre}_dw", hidden, hidden, h, w, 3, stride, groups=hidden)
            ops.append(op)
            op, _, _ = _conv(f"{pre}_project", hidden, cout, h2, w2, 1)
            ops.append(op)
            if stride == 1 and c == cout:
                ops.append({"name": f"{pre}_add", "kind": "eltwise", "function": "add",
                            "elements": h2 * w2 * cout})
            c, h, w = cout, h2, w2
    op, _, _ = _conv("head", c, 1280, h, w, 1)
    ops.append(op)
    ops.append({"name": "avgpool", "kind": "eltwise", "function": "avgpool",
                "elements": h * w * 1280})
    ops.append({"name": "embedding", "kind": "gemm", "m": 1, "n": embedding, "k": 1280})
    return ops


NETWORKS: dict[str, tuple[Callable[[], list[Op]], str]] = {
    "gap9-sed-crnn": (crnn_ops, "CRNN SED classifier (DCASE 2020 Task 4 baseline shape), "
                      "101 frames x 64 mel, 10 classes"),
    "gap9-hissnet-mnv2": (mobilenetv2_ops, "HiSSNet-style MobileNetV2 encoder (width 0.5) + "
                          "128-d embedding, 96 frames x 64 mel"),
}

SOURCES = {
    "gap9-sed-crnn": "Turpault et al., DCASE 2020 Task 4 baseline CRNN (7x conv3x3 16..128, "
                     "2-layer BiGRU 128, linear); the network class used as DCRNN in Wu et al., "
                     "ICASSP 2024 (arXiv 2404.04386), whose exact shapes are unpublished",
    "gap9-hissnet-mnv2": "Sandler et al., MobileNetV2 (CVPR 2018) Table 2; HiSSNet (ICASSP 2023) "
                         "uses a MobileNetV2 encoder; width 0.5 and input size are assumptions",
}


def workload_document(name: str) -> dict[str, Any]:
    """The workload file content (inline trace) of network ``name``."""
    fn, desc = NETWORKS[name]
    return {
        "version": 1,
        "name": f"{name} on GAP9 + NE16, 8-bit weights",
        "arch": "../arch/gap9.yaml",
        "trace": {"version": 1, "name": desc,
                  "provenance": {"source": SOURCES[name],
                                 "method": "generated by sim.models.gap9.networks"},
                  "ops": fn()},
        "seed": 0,
    }


def main(argv: list[str] | None = None) -> int:
    """Write ``workloads/gap9-*.yaml`` under the folder given (default ``workloads``)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "workloads")
    for name in NETWORKS:
        text = ("# Generated by `python -m sim.models.gap9.networks`; layer shapes and sources in "
                "sim/models/gap9/networks.py.\n")
        text += yaml.safe_dump(workload_document(name), sort_keys=False, width=100)
        (out / f"{name}.yaml").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
