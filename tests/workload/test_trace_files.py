"""Trace files: deterministic writing, committed traces, malformed traces and tensor files."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.evaluation.committed import COMMITTED, TRACES_DIR, regenerate
from sim.workload.load import load_trace_file, tensor_file, trace_hash
from sim.workload.trace import Trace
from sim.workload.trace_io import npz_bytes, write_trace

GEMM_TRACE = {"version": 1, "name": "t", "tensors": "t.npz",
              "provenance": {"source": "test", "method": "hand", "details": {"x": 1.5}},
              "ops": [{"name": "g", "kind": "gemm", "m": 2, "n": 3, "k": 4,
                       "tensors": {"a": "g.a", "b": "g.b", "b_scale": "g.s"}},
                      {"name": "c", "kind": "conv2d", "in_ch": 2, "out_ch": 4, "in_h": 5,
                       "in_w": 5, "kernel_h": 3, "kernel_w": 3, "groups": 2, "deps": ["g"],
                       "tensors": {"b": "c.w"}}]}


def good_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"g.a": rng.integers(-127, 128, (2, 4), dtype=np.int8),
            "g.b": rng.integers(-127, 128, (4, 3), dtype=np.int8),
            "g.s": np.ones(3, np.float32),
            "c.w": rng.integers(-127, 128, (4, 1, 3, 3), dtype=np.int8)}


def write(tmp_path: Path, arrays: dict[str, np.ndarray] | None = None) -> Path:
    path = tmp_path / "t.yaml"
    write_trace(Trace.model_validate(GEMM_TRACE), path, arrays or good_arrays(), "test")
    return path


def test_written_trace_round_trips_and_is_byte_identical(tmp_path: Path) -> None:
    first = write(tmp_path / "a")
    second = write(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".npz").read_bytes() == second.with_suffix(".npz").read_bytes()
    trace = load_trace_file(first)
    assert trace == Trace.model_validate(GEMM_TRACE)
    npz = tensor_file(trace, first.parent, None)  # type: ignore[arg-type]
    header = re.search(r"content_hash: (\w+)", first.read_text())
    assert header and header.group(1) == trace_hash(trace, npz)


def test_npz_is_readable_by_numpy() -> None:
    arrays = {"x": np.arange(6, dtype=np.int8).reshape(2, 3), "s": np.float32(2.5)}
    import io

    with np.load(io.BytesIO(npz_bytes(arrays))) as loaded:
        assert sorted(loaded.files) == ["s", "x"]
        assert np.array_equal(loaded["x"], arrays["x"]) and loaded["s"].shape == ()


@pytest.mark.parametrize("entry", [c for c in COMMITTED if not c.needs_models],
                         ids=lambda c: c.file)
def test_committed_generated_traces_regenerate_byte_identically(entry: object) -> None:
    rows = regenerate(TRACES_DIR, check=True, only=[entry.file])  # type: ignore[attr-defined]
    assert rows and all(same for _, _, same in rows), rows


@pytest.mark.parametrize("entry", COMMITTED, ids=lambda c: c.file)
def test_committed_traces_carry_provenance_and_hash(entry: object) -> None:
    path = TRACES_DIR / entry.file  # type: ignore[attr-defined]
    trace = load_trace_file(path)
    assert trace.provenance.source and trace.provenance.method
    npz = path.with_suffix(".npz") if trace.tensors else None
    header = re.search(r"content_hash: (\w+)", path.read_text())
    assert header and header.group(1) == trace_hash(trace, npz)


def test_committed_traces_are_small() -> None:
    total = sum((TRACES_DIR / name).stat().st_size for entry in COMMITTED
                for name in (entry.file, Path(entry.file).with_suffix(".npz").name)
                if (TRACES_DIR / name).exists())
    assert total < 4 * 2**20


Sim = Callable[..., object]


def one_line_error(outcome: object, pattern: str) -> None:
    assert outcome.code == 2, outcome.stdout + outcome.stderr  # type: ignore[attr-defined]
    lines = outcome.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and "Traceback" not in lines[0], outcome.stderr  # type: ignore
    assert re.search(pattern, lines[0]), lines[0]


@pytest.mark.parametrize(("mutate", "pattern"), [
    (lambda t: t[: len(t) // 2], r"t\.yaml:\d+: "),                         # truncated mid-op
    (lambda t: t.replace('"m": 2', '"m": 0'), r"t\.yaml:\d+: ops\[0\]\.m: input should be"),
    (lambda t: t.replace('"kind": "gemm"', '"kind": "gemmm"'), r"unknown kind 'gemmm'"),
    (lambda t: t.replace('"deps": ["g"]', '"deps": ["x"]'), r"dependency 'x' does not name"),
    (lambda t: t.replace("version: 1", "version: 2"), r"t\.yaml:\d+: version: "),
    (lambda t: t + "  - {oops\n", r"t\.yaml:\d+: invalid YAML"),
    (lambda t: "", r"t\.yaml:1: file is empty"),
])
def test_malformed_trace_files(mutate: Callable[[str], str], pattern: str, tmp_path: Path,
                               sim_cli: Sim) -> None:
    path = write(tmp_path)
    path.write_text(mutate(path.read_text()))
    one_line_error(sim_cli("validate", str(path)), pattern)
    one_line_error(sim_cli("trace", "info", str(path)), pattern)


BAD_ARRAYS = {
    "wrong shape": ({"g.a": np.zeros((4, 2), np.int8)},
                    r"t\.yaml:\d+: ops\[0\]\.tensors\.a: array 'g\.a' has shape \(4, 2\), "
                    r"expected \(2, 4\)"),
    "wrong scale shape": ({"g.s": np.ones(4, np.float32)}, r"ops\[0\]\.tensors\.b_scale: .*\(4,\)"),
    "wrong dtype": ({"g.b": np.zeros((4, 3), np.float32)}, r"dtype float32, expected int8"),
    "out of range": ({"g.b": np.full((4, 3), 200, np.uint8).view(np.uint8)}, None),
    "grouped conv": ({"c.w": np.zeros((4, 2, 3, 3), np.int8)},
                     r"ops\[1\]\.tensors\.b: array 'c\.w' has shape \(4, 2, 3, 3\), expected "
                     r"\(4, 1, 3, 3\)"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARRAYS))
def test_npz_with_wrong_arrays(case: str, tmp_path: Path, sim_cli: Sim) -> None:
    change, pattern = BAD_ARRAYS[case]
    if pattern is None:  # uint8 200 is fine for 8 bits; make the op 4-bit instead
        GEMM = {**GEMM_TRACE, "ops": [{**GEMM_TRACE["ops"][0], "b_bits": 4},  # type: ignore
                                      GEMM_TRACE["ops"][1]]}  # type: ignore[index]
        path = tmp_path / "t.yaml"
        write_trace(Trace.model_validate(GEMM), path, {**good_arrays(), **change})
        pattern = r"ops\[0\]\.tensors\.b: array 'g\.b' holds values 200\.\.200, outside the 4-bit"
    else:
        path = write(tmp_path, {**good_arrays(), **change})
    one_line_error(sim_cli("validate", str(path)), pattern)
    one_line_error(sim_cli("trace", "info", str(path)), pattern)


def test_npz_missing_array(tmp_path: Path, sim_cli: Sim) -> None:
    arrays = good_arrays()
    del arrays["g.b"]
    path = write(tmp_path, arrays)
    one_line_error(sim_cli("validate", str(path)),
                   r"ops\[0\]\.tensors\.b: array 'g\.b' is not in t\.npz \(accepted: c\.w, g\.a")


@pytest.mark.parametrize(("damage", "pattern"), [
    (lambda b: b[: len(b) // 2], r"t\.yaml:\d+: tensors: tensor file t\.npz is not a valid \.npz"),
    (lambda b: b"not a zip at all", r"tensor file t\.npz is not a valid \.npz"),
    (lambda b: b"", r"tensor file t\.npz is not a valid \.npz"),
])
def test_truncated_or_corrupt_npz(damage: Callable[[bytes], bytes], pattern: str,
                                  tmp_path: Path, sim_cli: Sim) -> None:
    path = write(tmp_path)
    npz = path.with_suffix(".npz")
    npz.write_bytes(damage(npz.read_bytes()))
    one_line_error(sim_cli("validate", str(path)), pattern)


def test_corrupt_member_inside_npz(tmp_path: Path, sim_cli: Sim) -> None:
    path = write(tmp_path)
    npz = path.with_suffix(".npz")
    with zipfile.ZipFile(npz, "w") as archive:   # a member that is not an .npy array
        archive.writestr("g.a.npy", b"\x93NUMPY garbage")
    one_line_error(sim_cli("validate", str(path)),
                   r"ops\[0\]\.tensors\.a: array 'g\.a' in t\.npz is unreadable")


def test_missing_npz(tmp_path: Path, sim_cli: Sim) -> None:
    path = write(tmp_path)
    path.with_suffix(".npz").unlink()
    one_line_error(sim_cli("validate", str(path)), r"tensor file 't\.npz' not found")


def test_tensor_check_runs_on_sim_run(tmp_path: Path, sim_cli: Sim, repo: Path) -> None:
    write(tmp_path, {**good_arrays(), "g.a": np.zeros((3, 4), np.int8)})
    workload = tmp_path / "w.yaml"
    workload.write_text(f"version: 1\nname: w\narch: {repo / 'arch/systolic-16x16.yaml'}\n"
                        f"trace: t.yaml\n")
    one_line_error(sim_cli("run", str(workload), "-o", str(tmp_path / "out")),
                   r"t\.yaml:\d+: ops\[0\]\.tensors\.a: array 'g\.a' has shape \(3, 4\)")


def test_generate_command_errors(tmp_path: Path, sim_cli: Sim) -> None:
    one_line_error(sim_cli("trace", "generate", "cnn", "-o", str(tmp_path / "x.yaml"),
                           "--set", "model=resnet-50", "--set", "bits=0"),
                   r"<command line>:\d+: bits: input should be greater than or equal to 1")
    one_line_error(sim_cli("trace", "generate", "nope", "-o", str(tmp_path / "x.yaml")),
                   r"unknown trace generator 'nope' \(accepted: .*cnn.*transformer")
    one_line_error(sim_cli("trace", "generate", "cnn", "-o", str(tmp_path / "x.yaml"),
                           "--set", "model"), r"--set 'model': expected FIELD=VALUE")


def test_generate_and_requests_commands(tmp_path: Path, sim_cli: Sim) -> None:
    out = tmp_path / "m.yaml"
    done = sim_cli("trace", "generate", "cnn", "-o", str(out), "--set", "model=mobilenetv2")
    assert done.code == 0 and "53 ops" in done.stdout  # type: ignore[attr-defined]
    assert len(load_trace_file(out).ops) == 53
    csv = tmp_path / "r.csv"
    done = sim_cli("trace", "requests", "sharegpt", "--batch", "8", "--out", str(csv))
    assert done.code == 0 and csv.read_text().count("\n") == 9  # type: ignore[attr-defined]


def test_sim_error_from_tensor_check_has_no_newline(tmp_path: Path) -> None:
    from sim.spec.yamlio import load_yaml
    from sim.workload.tensors import check_tensors

    path = write(tmp_path, {**good_arrays(), "g.a": np.zeros((1,), np.int8)})
    trace = load_trace_file(path)
    with pytest.raises(SimError) as info:
        check_tensors(trace, path.with_suffix(".npz"), load_yaml(path))
    assert "\n" not in str(info.value)


def test_missing_optional_package_is_a_sim_error() -> None:
    from sim.workload.extras import require

    with pytest.raises(SimError, match=r"needs the Python package 'no_such_pkg_x' \(the 'models'"):
        require("no_such_pkg_x", "extraction")


def test_requests_to_stdout(sim_cli: Sim) -> None:
    done = sim_cli("trace", "requests", "alpaca", "--batch", "3", "--seed", "1", "--channels", "2")
    lines = done.stdout.split()  # type: ignore[attr-defined]
    assert done.code == 0 and lines[0] == "seq_len,ch_idx" and len(lines) == 4  # type: ignore
    assert [line.split(",")[1] for line in lines[1:]] == ["0", "1", "0"]
