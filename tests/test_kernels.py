"""hwlib.kernels: correctness against torch on awkward sizes, input checks, the load model.

Without CUDA these run under Triton's interpreter (hwlib.kernels sets TRITON_INTERPRET=1
on import), which is slow: sizes stay small but are never multiples of the blocks. On a
GPU machine the same tests run the compiled kernels on CUDA tensors. The CPU-side logic of
benchmarks/bench_kernels.py is tested at the end.
"""

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from _helpers import load_file, set_kernels_interpreted

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
    # under the interpreter: small tiles, so that unit tests cover several tiles and the edges
    if kernels.INTERPRETED:
        assert default_tile_config(torch.float32) == TileConfig(
            32, 32, 16, group_m=2, num_warps=4, num_stages=1
        )


def test_default_tile_config_on_a_gpu(monkeypatch):
    # the compiled branch, as its docstring documents it: 128 x 128 tiles, K step 64 (float16), 32 (float32)
    set_kernels_interpreted(monkeypatch, False)
    assert default_tile_config(torch.float32) == TileConfig(128, 128, 32, 8, num_warps=8, num_stages=3)
    assert default_tile_config(torch.float16) == TileConfig(128, 128, 64, 8, num_warps=8, num_stages=3)
    assert default_tile_config() == default_tile_config(torch.float16)


def test_cuda_tile_configs_are_triton_tutorials():
    got = [
        (c.block_m, c.block_n, c.block_k, c.group_m, c.num_warps, c.num_stages)
        for c in kernels.CUDA_TILE_CONFIGS
    ]
    assert got == [
        (128, 256, 64, 8, 8, 3),
        (64, 256, 32, 8, 4, 4),
        (128, 128, 64, 8, 8, 3),
        (128, 128, 32, 8, 4, 4),
        (128, 64, 32, 8, 4, 4),
        (64, 128, 32, 8, 4, 4),
        (64, 64, 32, 8, 4, 4),
    ]


class FakeKernel:
    """Stands in for a Triton kernel: records the grid and the arguments of each launch."""

    def __init__(self):
        self.launches = []

    def __getitem__(self, grid):
        return lambda *args, **kw: self.launches.append((grid, args, kw))


def test_matmul_tiled_launch_precision_and_grid(monkeypatch):
    fake = FakeKernel()
    monkeypatch.setattr(kernels.wrappers, "_matmul_tiled_kernel", fake)
    a, b = rand(70, 45), rand(45, 39)
    config = TileConfig(32, 16, 16, group_m=4, num_warps=2, num_stages=2)
    matmul_tiled(a, b, config=config)
    matmul_tiled(a, b, config=config, tf32=True)
    matmul_tiled(a.half(), b.half(), config=config)  # tf32 does not apply to float16: tl.dot's default
    precisions = [kw["INPUT_PRECISION"] for _, _, kw in fake.launches]
    assert precisions == ["ieee", "tf32", "tf32"]
    grid, args, kw = fake.launches[0]
    assert grid == (math.ceil(70 / 32) * math.ceil(39 / 16),)
    assert args[3:6] == (70, 39, 45) and args[6:12] == (45, 1, 39, 1, 39, 1)
    assert {k: kw[k] for k in ("BLOCK_M", "BLOCK_N", "BLOCK_K", "GROUP_M", "num_warps", "num_stages")} == {
        "BLOCK_M": 32,
        "BLOCK_N": 16,
        "BLOCK_K": 16,
        "GROUP_M": 4,
        "num_warps": 2,
        "num_stages": 2,
    }


def test_matmul_tiled_tf32_runs_and_is_close():
    a, b = rand(20, 24, seed=7), rand(24, 18, seed=8)
    c = matmul_tiled(a, b, tf32=True)
    assert c.dtype == torch.float32 and rel_error(c, a.double() @ b.double()) < 2e-3


def test_naive_matmul_on_strided_inputs():
    a, b = rand(9, 21, seed=9), rand(21, 7, seed=10)
    ref = a.double() @ b.double()
    at, bt = a.t().contiguous().t(), b.t().contiguous().t()  # column-major views
    assert not at.is_contiguous() and not bt.is_contiguous()
    assert rel_error(matmul_naive(at, bt, block_k=16), ref) < 1e-6
    sliced = rand(9, 42, seed=11)[:, ::2]  # a stride of 2 along K
    assert rel_error(matmul_naive(sliced, b, block_k=16), sliced.double() @ b.double()) < 1e-6


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


@pytest.fixture
def count_loads(monkeypatch):
    """Count the elements the kernels really load: every unmasked lane of every ``tl.load``.

    Under the interpreter each ``tl.load`` goes through ``InterpreterBuilder.create_masked_load``
    with the pointers and the mask of that load, so the count is the kernel's own, not a model.
    """
    if not kernels.INTERPRETED:
        pytest.skip("counts loads through Triton's CPU interpreter")
    from triton.runtime.interpreter import InterpreterBuilder

    counted = []
    real = InterpreterBuilder.create_masked_load

    def load(self, ptrs, mask, *args, **kw):
        counted.append(int(np.broadcast_to(mask.data, ptrs.data.shape).sum()))
        return real(self, ptrs, mask, *args, **kw)

    monkeypatch.setattr(InterpreterBuilder, "create_masked_load", load)
    return counted


@pytest.mark.parametrize("m, n, k", [(5, 3, 37), (3, 4, 16)])
def test_naive_kernel_loads_what_the_model_says(count_loads, m, n, k):
    a, b = rand(m, k, seed=1), rand(k, n, seed=2)
    c = matmul_naive(a, b, block_k=16)
    assert rel_error(c, a.double() @ b.double()) < 1e-6
    assert sum(count_loads) == matmul_global_loads(m, n, k).naive == 2 * m * n * k


@pytest.mark.parametrize(
    "m, n, k, bm, bn", [(40, 20, 37, 16, 16), (17, 33, 16, 32, 16), (16, 16, 40, 16, 32)]
)
def test_tiled_kernel_loads_what_the_model_says(count_loads, m, n, k, bm, bn):
    a, b = rand(m, k, seed=3), rand(k, n, seed=4)
    c = matmul_tiled(a, b, config=TileConfig(bm, bn, 16, group_m=2, num_stages=1))
    assert rel_error(c, a.double() @ b.double()) < 1e-6
    loads = matmul_global_loads(m, n, k, bm, bn)
    assert sum(count_loads) == loads.tiled
    # and the model's closed form for these sizes, computed by hand: tiles * K * (bm + bn)
    assert loads.tiled == math.ceil(m / bm) * math.ceil(n / bn) * k * (bm + bn)
    assert loads.minimum == m * k + k * n and loads.naive == 2 * m * n * k


def test_doublify_loads_each_element_once(count_loads):
    doublify(rand(1000), block_size=64)  # 16 programs, the last one partial
    assert sum(count_loads) == 1000 and len(count_loads) == 16


def test_load_model_ratio_is_the_tile_size_for_square_tiles():
    loads = matmul_global_loads(4096, 4096, 4096, 128, 128)
    assert loads.ratio == 128.0
    assert loads.as_row()["naive / tiled"] == 128.0 and loads.as_row()["tile"] == "128x128"
    with pytest.raises(ValueError, match="block_m must be a positive int"):
        matmul_global_loads(4, 4, 4, 0)


@cpu_only
def test_compiled_mode_without_cuda_names_the_fix(monkeypatch):
    # as if TRITON_INTERPRET=0 had been set before the import on this CUDA-less machine
    set_kernels_interpreted(monkeypatch, False)
    with pytest.raises(RuntimeError, match=r"TRITON_INTERPRET=0 .* NVIDIA GPU, or unset TRITON_INTERPRET"):
        doublify(torch.ones(3))


# --------------------------------------------------------------------------- benchmarks/bench_kernels.py


@pytest.fixture(scope="module")
def bench():
    return load_file("bench_kernels", "benchmarks/bench_kernels.py")


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


def test_load_model_row_and_argument_checks():
    loads = matmul_global_loads(70, 39, 45, 32, 16)
    assert loads.as_row() == {
        "M": 70,
        "N": 39,
        "K": 45,
        "tile": "32x16",
        "naive loads": 2 * 70 * 39 * 45,
        "tiled loads": 3 * 3 * 45 * (32 + 16),
        "minimum": 70 * 45 + 45 * 39,
        "naive / tiled": (2 * 70 * 39 * 45) / (3 * 3 * 45 * 48),
    }
    assert matmul_global_loads(1, 1, 1, 1, 1).tiled == 2  # 1 is a valid size and block
    good = {"m": 4, "n": 4, "k": 4, "block_m": 2, "block_n": 2}
    for name in good:
        for bad in (0, 2.5, True):
            with pytest.raises(ValueError, match=rf"^{name} must be a positive int, got {bad!r}$"):
                matmul_global_loads(**{**good, name: bad})
