"""hwlib.kernels: correctness against torch on awkward sizes, input checks, the load model.

Without CUDA these run under Triton's interpreter (hwlib.kernels sets TRITON_INTERPRET=1
on import), which is slow: sizes stay small but are never multiples of the blocks. On a
GPU machine the same tests run the compiled kernels on CUDA tensors. The CPU-side logic of
benchmarks/bench_kernels.py is tested at the end.
"""

import importlib.util
import math
import os
from pathlib import Path

import pytest
import torch

from hwlib import kernels
from hwlib.kernels import (
    TileConfig,
    default_tile_config,
    doublify,
    kernel_device,
    matmul_global_loads,
    matmul_naive,
    matmul_tiled,
)

ROOT = Path(__file__).resolve().parents[1]
DEV = kernel_device()
cpu_only = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the interpreter set-up without CUDA")


def rel_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out.double() - ref).norm() / ref.norm())


def rand(*shape, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype).to(DEV)


@cpu_only
def test_interpreter_is_chosen_without_cuda():
    assert kernels.INTERPRETED and os.environ["TRITON_INTERPRET"] == "1" and DEV == torch.device("cpu")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.float64])
def test_doublify_matches_torch_on_an_awkward_size(dtype):
    x = rand(33, 31, dtype=dtype)  # 1023 elements: 16 blocks of 64, the last one partial
    out = torch.full_like(x, math.nan)
    y = doublify(x, out=out, block_size=64)
    assert y is out and torch.equal(y, 2 * x)  # doubling is exact in floating point
    assert doublify(torch.empty(0, device=DEV)).numel() == 0


def test_doublify_rejects_bad_input():
    with pytest.raises(TypeError, match="dtype torch.int64"):
        doublify(torch.arange(5, device=DEV))
    with pytest.raises(ValueError, match="contiguous"):
        doublify(rand(4, 6).t())
    with pytest.raises(ValueError, match="power of two"):
        doublify(rand(8), block_size=100)
    with pytest.raises(ValueError, match="out must have shape"):
        doublify(rand(8), out=torch.empty(9, device=DEV))
    with pytest.raises(ValueError, match="is on meta"):
        doublify(torch.empty(8, device="meta"))
    with pytest.raises(TypeError, match="torch.Tensor"):
        doublify([1.0, 2.0])
    if kernels.INTERPRETED:
        with pytest.raises(TypeError, match="interpreter computes bfloat16 wrongly"):
            doublify(rand(8, dtype=torch.bfloat16))


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-6), (torch.float16, 2e-3)])
def test_naive_matmul_matches_torch(dtype, tol):
    a, b = (
        rand(5, 37, dtype=dtype, seed=1),
        rand(37, 3, dtype=dtype, seed=2),
    )  # K = 37: 3 steps of 16, last masked
    ref = a.double() @ b.double()
    out = torch.full((5, 3), math.nan, dtype=dtype, device=DEV)
    assert rel_error(matmul_naive(a, b, out=out, block_k=16), ref) < tol
    assert not out.isnan().any()


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-6), (torch.float16, 2e-3)])
def test_tiled_matmul_matches_torch_on_awkward_sizes(dtype, tol):
    # 70 x 45 @ 45 x 39 with 32 x 32 x 16 tiles: 3 x 2 tiles, partial at both edges, and
    # a K loop of 3 steps with the last one masked; group_m=2 leaves a partial last group.
    a, b = rand(70, 45, dtype=dtype, seed=3), rand(45, 39, dtype=dtype, seed=4)
    ref = a.double() @ b.double()
    out = torch.full((70, 39), math.nan, dtype=dtype, device=DEV)
    c = matmul_tiled(a, b, out=out, config=TileConfig(32, 32, 16, group_m=2, num_stages=1))
    assert c is out and not c.isnan().any() and c.dtype == dtype
    assert rel_error(c, ref) < tol
    # any strides: a transposed view gives the same product
    at = a.t().contiguous().t()
    assert not at.is_contiguous()
    assert rel_error(matmul_tiled(at, b, config=TileConfig(32, 32, 16, group_m=2)), ref) < tol


def test_tiled_matmul_default_config_and_tiny_inputs():
    a, b = rand(3, 1, seed=5), rand(1, 2, seed=6)  # far smaller than one tile
    assert rel_error(matmul_tiled(a, b), a.double() @ b.double()) < 1e-6
    assert isinstance(default_tile_config(torch.float32), TileConfig)


def test_matmul_rejects_bad_input():
    a = rand(4, 5)
    with pytest.raises(ValueError, match="inner dimensions differ"):
        matmul_tiled(a, rand(4, 5))
    with pytest.raises(ValueError, match="two matrices"):
        matmul_naive(a, rand(5))
    with pytest.raises(TypeError, match="convert both"):
        matmul_tiled(a, rand(5, 2, dtype=torch.float16))
    with pytest.raises(TypeError, match="float64"):
        matmul_tiled(a.double(), rand(5, 2).double())
    with pytest.raises(ValueError, match="empty matrix"):
        matmul_naive(rand(0, 5), rand(5, 2))
    with pytest.raises(ValueError, match=r"out must have shape \(4, 2\)"):
        matmul_tiled(a, rand(5, 2), out=torch.empty(2, 4, device=DEV))
    with pytest.raises(TypeError, match="TileConfig"):
        matmul_tiled(a, rand(5, 2), config=(32, 32, 16))
    with pytest.raises(ValueError, match="power of two"):
        matmul_naive(a, rand(5, 2), block_k=24)


def test_tile_config_validation():
    with pytest.raises(ValueError, match="block_k must be a power of two >= 16"):
        TileConfig(32, 32, 8)
    with pytest.raises(ValueError, match="num_stages"):
        TileConfig(num_stages=0)


def simulate_loads(m, n, k, bm, bn, bk):
    """Walk the kernels' loops and count every unmasked element load (the independent route)."""
    naive = 0
    for _i in range(m):
        for _j in range(n):
            for k0 in range(0, k, bk):
                naive += 2 * min(bk, k - k0)  # a row chunk of A and a column chunk of B
    tiled = 0
    for _tm in range(math.ceil(m / bm)):
        for _tn in range(math.ceil(n / bn)):
            for k0 in range(0, k, bk):
                live_k = min(bk, k - k0)
                tiled += bm * live_k + live_k * bn  # full tiles: edge rows wrap, K lanes past the end masked
    return naive, tiled


@pytest.mark.parametrize(
    "m, n, k, bm, bn", [(70, 39, 45, 32, 32), (64, 64, 64, 16, 16), (5, 130, 17, 64, 32)]
)
def test_load_model_matches_a_walk_through_the_loops(m, n, k, bm, bn):
    loads = matmul_global_loads(m, n, k, bm, bn)
    assert (loads.naive, loads.tiled) == simulate_loads(m, n, k, bm, bn, 16)
    assert loads.minimum == m * k + k * n and loads.minimum <= loads.tiled <= loads.naive


def test_load_model_ratio_is_the_tile_size_for_square_tiles():
    loads = matmul_global_loads(4096, 4096, 4096, 128, 128)
    assert loads.ratio == 128.0
    assert loads.as_row()["naive / tiled"] == 128.0 and loads.as_row()["tile"] == "128x128"
    with pytest.raises(ValueError, match="block_m must be a positive int"):
        matmul_global_loads(4, 4, 4, 0)


@cpu_only
def test_compiled_mode_without_cuda_names_the_fix(monkeypatch):
    # as if TRITON_INTERPRET=0 had been set before the import on this CUDA-less machine
    monkeypatch.setattr(kernels, "INTERPRETED", False)
    with pytest.raises(RuntimeError, match=r"TRITON_INTERPRET=0 .* NVIDIA GPU, or unset TRITON_INTERPRET"):
        doublify(torch.ones(3))


# --------------------------------------------------------------------------- benchmarks/bench_kernels.py


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_kernels", ROOT / "benchmarks" / "bench_kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_arguments(bench):
    args = bench.parse_args([])
    assert (
        args.sizes == [512, 1024, 2048, 4096] and args.dtypes == ["fp32", "fp16"] and args.doublify_log2 == 28
    )
    args = bench.parse_args(["--sizes", "1024,256,256", "--dtypes", "fp16,tf32"])
    assert args.sizes == [256, 1024] and args.dtypes == ["fp16", "tf32"]
    for bad in (
        ["--sizes", "0,4"],
        ["--sizes", "a"],
        ["--dtypes", "fp8"],
        ["--doublify-log2", "40"],
        ["--repeats", "0"],
    ):
        with pytest.raises(SystemExit):
            bench.parse_args(bad)


def test_bench_tables_from_fake_timings(bench):
    records = [
        {"dtype": "fp16", "size": 1024, "kernel": "torch", "config": "cuBLAS", "median_ms": 0.01},
        {"dtype": "fp16", "size": 1024, "kernel": "tiled", "config": "x", "median_ms": 0.0125},
        {"dtype": "fp16", "size": 1024, "kernel": "naive", "config": "y", "median_ms": 1.0},
    ]
    mm = bench.matmul_table(records)
    assert [r["vs torch"] for r in mm] == pytest.approx([1.0, 0.8, 0.01])
    assert mm[0]["TFLOP/s"] == pytest.approx(2 * 1024**3 / 1e-5 / 1e12)
    dbl = bench.doublify_table(2**28, 4, copy_ms=1.0, doublify_ms={1024: 1.25})
    assert dbl[0]["GB/s"] == pytest.approx(2 * 4 * 2**28 / 1e-3 / 1e9) and dbl[1]["vs copy"] == pytest.approx(
        0.8
    )
    timers = [{"timer": "hwlib.time_cuda", "median_ms": 1.0}, {"timer": "triton.do_bench", "median_ms": 1.04}]
    agree = bench.agreement_table([("k", timers)])
    assert agree[0]["agree"] == "yes" and math.isnan(agree[0]["torch.benchmark ms"])
    verdicts = {v["what"]: v["result"] for v in bench.verdicts(dbl, mm, agree)}
    assert verdicts == {
        "doublify / copy bandwidth": "MISSED",
        "tiled fp16 1024^3 / torch.matmul": "MISSED",
        "naive fp16 1024^3 / torch.matmul": "-",
        "timers: max |do_bench/hwlib - 1|": "met",
    }
    checks = [
        {"check": "a", "shape": "s1", "rel. error": 1e-7, "tolerance": 1e-5, "ok": "yes"},
        {"check": "a", "shape": "s2", "rel. error": 1e-3, "tolerance": 1e-5, "ok": "NO"},
    ]
    assert bench.summarize_checks(checks) == [
        {"check": "a", "shapes": 2, "worst error": 1e-3, "tolerance": 1e-5, "ok": "NO"}
    ]
    assert bench.adaptive_repeats(100.0, 1000.0, 30) == 10 and bench.adaptive_repeats(0.01, 1000.0, 30) == 30
    assert bench.adaptive_repeats(5000.0, 1000.0, 30) == 3
    assert bench.relative_error(torch.tensor([1.0, math.nan]), torch.ones(2)) == math.inf


@cpu_only
def test_bench_without_cuda_prints_one_line_and_fails(bench, capsys):
    assert bench.main([]) != 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "needs a CUDA GPU" in out


def test_bench_dry_run_on_the_cpu(bench, monkeypatch, tmp_path, capsys):
    """The whole script, GPU parts included, on tiny sizes with fake timers (interpreted on a CPU)."""
    import hwlib.timing

    def fake_time_cuda(fn, warmup=0, repeats=1, **kwargs):
        fn()
        return hwlib.timing.Timing((1.0,), device="fake", warmup=0)

    def fake_compare(fn):
        fn()
        return [
            {"timer": "hwlib.time_cuda", "median_ms": 1.0, "vs hwlib": 1.0},
            {"timer": "triton.do_bench", "median_ms": 1.02, "vs hwlib": 1.02},
            {"timer": "torch.benchmark", "median_ms": 1.5, "vs hwlib": 1.5},
        ]

    monkeypatch.setattr(bench, "DEVICE", DEV.type)  # the CPU under the interpreter, else the GPU
    monkeypatch.setattr(bench, "DOUBLIFY_CHECK_SIZES", (1, 1027))
    monkeypatch.setattr(bench, "DOUBLIFY_CHECK_DTYPES", (torch.float32, torch.float16))
    monkeypatch.setattr(bench, "MATMUL_CHECK_SHAPES", ((5, 33, 3), (9, 3, 2)))
    monkeypatch.setattr(bench, "gpu_problem", lambda: None)
    monkeypatch.setattr(bench, "environment", lambda: {"device": "CPU (dry run)"})
    monkeypatch.setattr(hwlib.timing, "time_cuda", fake_time_cuda)
    monkeypatch.setattr(hwlib.timing, "compare_timers", fake_compare)
    monkeypatch.setattr(kernels, "CUDA_TILE_CONFIGS", (TileConfig(16, 16, 16), TileConfig(32, 16, 16)))
    argv = ["--sizes", "4", "--naive-max", "4", "--dtypes", "fp16", "--doublify-log2", "12"]
    assert bench.main([*argv, "--json", str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    for title in ("== correctness", "== doublify vs copy", "== matmul", "== timers", "== targets"):
        assert title in out, title
    import json

    data = json.loads((tmp_path / "b.json").read_text())
    assert {r["kernel"] for r in data["matmul"]} == {"torch", "tiled", "naive"}
    assert {r["check"] for r in data["correctness"]} >= {"naive fp16", "tiled fp16 16x16x16 g8 w4 s3"}
    assert all(r["ok"] == "yes" for r in data["correctness"])
    assert data["timers"][0]["agree"] == "yes"
