"""hwlib.kernels, details the mutation tests found unchecked: every input check and its message, the
version parsing of the interpreter guard, the launch arguments and defaults of the wrappers.

Launches are recorded by a stand-in kernel where only the arguments matter (fast); the expected
values come from the documented behaviour and are written out by hand here.
"""

from __future__ import annotations

import re

import pytest
import torch
from _helpers import set_kernels_interpreted

from hwlib import kernels
from hwlib.kernels import TileConfig, doublify, matmul_global_loads, matmul_naive, matmul_tiled

DEV = kernels.kernel_device()


class FakeKernel:
    """Stands in for a Triton kernel: records the grid and the arguments of each launch."""

    def __init__(self):
        self.launches = []

    def __getitem__(self, grid):
        return lambda *args, **kw: self.launches.append((grid, args, kw))


@pytest.fixture
def fake(monkeypatch):
    """Every kernel replaced by a recorder: ``{name: FakeKernel}``."""
    fakes = {}
    for name in ("_doublify_kernel", "_matmul_naive_kernel", "_matmul_tiled_kernel"):
        fakes[name] = FakeKernel()
        monkeypatch.setattr(kernels.wrappers, name, fakes[name])
    return fakes


def exact(text: str) -> str:
    return "^" + re.escape(text) + "$"


# --------------------------------------------------------------------------- the interpreter guard


@pytest.mark.parametrize(
    "version, parsed",
    [
        ("3.6.0", (3, 6)),
        ("3.7", (3, 7)),
        ("3", (3, 0)),
        ("2.4.0rc1", (2, 4)),
        ("3.6.0+git1234", (3, 6)),
        ("3.6+git7", (3, 6)),  # the local version after "+" is dropped before the digits are read
        ("12.10.1", (12, 10)),
        ("3.x", (3, 0)),
        ("2.4rc1", (2, 41)),  # the digits of the minor part, as written
    ],
)
def test_major_minor(version, parsed):
    assert kernels._major_minor(version) == parsed


def test_interpreter_problem_message_and_bounds():
    assert kernels.interpreter_problem("3.6.9", "2.4.0") == (
        "Triton 3.6.9's interpreter cannot run kernels with a loop over a runtime bound under NumPy "
        "2.4.0 (it calls int() on a one-element array): install 'numpy<2.4' or 'triton>=3.7', or run "
        "on a CUDA GPU"
    )
    assert kernels.interpreter_problem("3.7.0", "2.4.0") is None  # the first fixed Triton
    assert kernels.interpreter_problem("3.6.9", "2.3.9") is None  # the last good NumPy
    assert kernels.interpreter_problem("2.9", "3.0") is not None


def test_check_interpreter_only_when_interpreted(monkeypatch):
    monkeypatch.setattr(kernels.triton, "__version__", "3.6.0")
    monkeypatch.setattr("numpy.__version__", "2.4.6")
    set_kernels_interpreted(monkeypatch, False)
    assert kernels._check_interpreter() is None  # compiled kernels are not affected
    set_kernels_interpreted(monkeypatch, True)
    with pytest.raises(RuntimeError, match=exact(kernels.interpreter_problem("3.6.0", "2.4.6"))):
        kernels._check_interpreter()
    monkeypatch.setattr("numpy.__version__", "2.3.0")
    assert kernels._check_interpreter() is None


# --------------------------------------------------------------------------- devices


def test_kernel_device_modes(monkeypatch):
    set_kernels_interpreted(monkeypatch, True)
    assert kernels.kernel_device() == torch.device("cpu")
    set_kernels_interpreted(monkeypatch, False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(
        RuntimeError,
        match=exact(
            "hwlib.kernels was imported with TRITON_INTERPRET=0 but torch.cuda.is_available() is False: "
            "run on a machine with an NVIDIA GPU, or unset TRITON_INTERPRET (or set it to 1) before "
            "importing hwlib.kernels so the kernels run under Triton's CPU interpreter"
        ),
    ):
        kernels.kernel_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 3)
    assert kernels.kernel_device() == torch.device("cuda", 3)


# --------------------------------------------------------------------------- tensor checks


def test_check_tensor_messages(monkeypatch):
    dtypes = (torch.float16, torch.float32)
    with pytest.raises(TypeError, match=exact("q must be a torch.Tensor, got list")):
        kernels._check_tensor([1.0], "q", dtypes)
    with pytest.raises(
        TypeError,
        match=exact("q has dtype torch.float64; this kernel takes float16, float32: convert with .to(...)"),
    ):
        kernels._check_tensor(torch.zeros(2, dtype=torch.float64), "q", dtypes)
    t = torch.zeros(2, device=DEV)
    assert kernels._check_tensor(t, "q", dtypes) is t
    set_kernels_interpreted(monkeypatch, True)
    with pytest.raises(
        ValueError,
        match=exact(
            "q is on meta: the kernels run under Triton's CPU interpreter (TRITON_INTERPRET=1), so pass CPU "
            "tensors (.cpu())"
        ),
    ):
        kernels._check_tensor(torch.zeros(2, device="meta"), "q", dtypes)
    # compiled mode on a GPU: a CPU tensor is refused with the other fix
    set_kernels_interpreted(monkeypatch, False)
    monkeypatch.setattr(kernels.guards, "kernel_device", lambda: torch.device("cuda", 0))
    with pytest.raises(
        ValueError, match=exact("q is on cpu: the kernels are compiled for CUDA, so move it with .cuda()")
    ):
        kernels._check_tensor(torch.zeros(2), "q", dtypes)


def test_check_tensor_element_limit(monkeypatch):
    # meta tensors stand in for huge ones: the check reads only numel()
    monkeypatch.setattr(kernels.guards, "kernel_device", lambda: torch.device("meta"))
    dtypes = (torch.float16,)
    largest = torch.empty(2**31 - 1, dtype=torch.float16, device="meta")
    assert kernels._check_tensor(largest, "a", dtypes) is largest
    with pytest.raises(
        ValueError,
        match=exact(
            "a has 2147483648 elements; these kernels index with 32-bit integers, so at most 2147483647: "
            "split the work into smaller pieces"
        ),
    ):
        kernels._check_tensor(torch.empty(2**31, dtype=torch.float16, device="meta"), "a", dtypes)


def test_check_out_messages():
    like = torch.zeros(1, device=DEV)
    new = kernels._check_out(None, (2, 3), torch.float16, like)
    assert new.shape == (2, 3) and new.dtype == torch.float16 and new.device == like.device
    on_meta = kernels._check_out(None, (4,), torch.float32, torch.zeros(1, device="meta"))
    assert on_meta.device.type == "meta" and on_meta.shape == (4,)  # made where the inputs live
    good = torch.empty(2, 3, device=DEV)
    assert kernels._check_out(good, (2, 3), torch.float32, like) is good
    with pytest.raises(TypeError, match=exact("out must be a torch.Tensor or None, got tuple")):
        kernels._check_out((2, 3), (2, 3), torch.float32, like)
    wrong = {
        "shape": torch.empty(3, 2, device=DEV),
        "dtype": torch.empty(2, 3, dtype=torch.float16, device=DEV),
        "device": torch.empty(2, 3, device="meta"),
    }
    for what, out in wrong.items():
        with pytest.raises(ValueError) as err:
            kernels._check_out(out, (2, 3), torch.float32, like)
        assert str(err.value) == (
            f"out must have shape (2, 3), dtype torch.float32 and device {like.device}; got shape "
            f"{tuple(out.shape)}, dtype {out.dtype}, device {out.device}: allocate it with "
            "torch.empty(shape, dtype=..., device=...)"
        ), what
    with pytest.raises(ValueError, match=exact("out must be contiguous: allocate it with torch.empty(...)")):
        kernels._check_out(torch.empty(3, 2, device=DEV).t(), (2, 3), torch.float32, like)


@pytest.mark.parametrize(
    "value, low, ok",
    [
        (1, 1, True),
        (16, 16, True),
        (64, 16, True),
        (8, 16, False),
        (0, 1, False),
        (-4, 1, False),
        (48, 16, False),
        (3, 1, False),
        (True, 1, False),
        (16.0, 16, False),
    ],
)
def test_check_power_of_two(value, low, ok):
    if ok:
        assert kernels._check_power_of_two(value, "v", low) is None
    else:
        with pytest.raises(ValueError, match=exact(f"v must be a power of two >= {low}, got {value!r}")):
            kernels._check_power_of_two(value, "v", low)


def test_check_power_of_two_default_low():
    assert kernels._check_power_of_two(1, "v") is None
    with pytest.raises(ValueError, match=exact("v must be a power of two >= 1, got 0")):
        kernels._check_power_of_two(0, "v")


# --------------------------------------------------------------------------- doublify


def test_doublify_launch(fake):
    x = torch.zeros(3000, device=DEV)
    y = doublify(x)
    ((grid, args, kw),) = fake["_doublify_kernel"].launches
    assert grid == (3,) and args[0] is x and args[1] is y and args[2] == 3000 and kw == {"BLOCK_SIZE": 1024}
    assert y.shape == x.shape and y.dtype == x.dtype
    doublify(x, block_size=16)
    grid, args, kw = fake["_doublify_kernel"].launches[1]
    assert grid == (188,) and kw == {"BLOCK_SIZE": 16}  # ceil(3000 / 16)
    doublify(torch.zeros(0, 4, device=DEV))
    assert len(fake["_doublify_kernel"].launches) == 2  # nothing to launch for no elements


def test_doublify_messages(monkeypatch):
    with pytest.raises(ValueError, match=exact("x must be contiguous: pass x.contiguous()")):
        doublify(torch.zeros(4, 6, device=DEV).t())
    with pytest.raises(ValueError, match=exact("block_size must be a power of two >= 16, got 8")):
        doublify(torch.zeros(4, device=DEV), block_size=8)
    set_kernels_interpreted(monkeypatch, True)
    monkeypatch.setattr(kernels.guards, "kernel_device", lambda: torch.device("cpu"))
    with pytest.raises(
        TypeError,
        match=exact(
            "Triton's CPU interpreter computes bfloat16 wrongly (NumPy has no bfloat16): pass float16 or "
            "float32 here, or run on a CUDA GPU"
        ),
    ):
        doublify(torch.zeros(4, dtype=torch.bfloat16))
    with pytest.raises(
        TypeError,
        match=exact(
            "x has dtype torch.int32; this kernel takes float16, bfloat16, float32, float64: "
            "convert with .to(...)"
        ),
    ):
        doublify(torch.zeros(4, dtype=torch.int32))


def test_doublify_takes_bfloat16_when_compiled(monkeypatch, fake):
    set_kernels_interpreted(monkeypatch, False)
    monkeypatch.setattr(kernels.guards, "kernel_device", lambda: torch.device("cpu"))  # as if the GPU
    y = doublify(torch.zeros(4, dtype=torch.bfloat16))
    assert y.dtype == torch.bfloat16 and len(fake["_doublify_kernel"].launches) == 1


# --------------------------------------------------------------------------- matmul checks


def test_check_matmul_messages():
    a = torch.zeros(4, 5, device=DEV)
    with pytest.raises(
        ValueError,
        match=exact(
            "matmul takes two matrices, got a of shape (4, 5) and b of shape (5,): "
            "reshape batched inputs to 2-D"
        ),
    ):
        kernels._check_matmul(a, torch.zeros(5, device=DEV))
    with pytest.raises(ValueError, match=r"^matmul takes two matrices, got a of shape \(2, 4, 5\)"):
        kernels._check_matmul(torch.zeros(2, 4, 5, device=DEV), torch.zeros(5, 2, device=DEV))
    with pytest.raises(
        ValueError,
        match=exact(
            "inner dimensions differ: a is (4, 5) (M, K) and b is (4, 5) (K, N); "
            "b must have as many rows as a has columns"
        ),
    ):
        kernels._check_matmul(a, torch.zeros(4, 5, device=DEV))
    with pytest.raises(
        TypeError, match=exact("a is torch.float32 and b is torch.float16: convert both to one dtype first")
    ):
        kernels._check_matmul(a, torch.zeros(5, 2, dtype=torch.float16, device=DEV))
    for shapes in (((0, 5), (5, 2)), ((4, 5), (5, 0)), ((4, 0), (0, 2))):
        with pytest.raises(ValueError, match=exact(f"empty matrix: a is {shapes[0]} and b is {shapes[1]}")):
            kernels._check_matmul(torch.zeros(*shapes[0], device=DEV), torch.zeros(*shapes[1], device=DEV))
    assert kernels._check_matmul(a, torch.zeros(5, 3, device=DEV)) == (4, 3, 5)
    with pytest.raises(TypeError, match=exact("b must be a torch.Tensor, got list")):
        kernels._check_matmul(a, [[1.0]])
    with pytest.raises(TypeError, match=exact("a must be a torch.Tensor, got list")):
        kernels._check_matmul([[1.0]], a)
    with pytest.raises(TypeError, match="^b has dtype torch.float64; this kernel takes float16, float32: "):
        kernels._check_matmul(a, torch.zeros(5, 2, dtype=torch.float64))


class OtherDevice(torch.Tensor):
    """A CPU tensor that reports another device of the same type (as a second GPU would)."""

    @property
    def device(self):
        return torch.device("cpu", 1)


def test_check_matmul_devices(monkeypatch):
    monkeypatch.setattr(kernels.guards, "kernel_device", lambda: torch.device("cpu"))
    a = torch.zeros(4, 5)
    b = torch.zeros(5, 2).as_subclass(OtherDevice)
    with pytest.raises(ValueError, match=exact("a is on cpu and b on cpu:1: put both on one device")):
        kernels._check_matmul(a, b)


# --------------------------------------------------------------------------- matmul launches


def test_matmul_naive_launch(fake):
    a, b = torch.zeros(3, 5, device=DEV), torch.zeros(5, 2, device=DEV)
    c = matmul_naive(a, b)
    ((grid, args, kw),) = fake["_matmul_naive_kernel"].launches
    assert grid == (6,) and args[:3] == (a, b, c) and args[3:] == (3, 2, 5, 5, 1, 2, 1, 2, 1)
    assert kw == {"BLOCK_K": 64, "num_warps": 1}
    assert c.shape == (3, 2) and c.dtype == torch.float32
    matmul_naive(a.half(), b.half(), block_k=16)
    grid, args, kw = fake["_matmul_naive_kernel"].launches[1]
    assert kw["BLOCK_K"] == 16 and args[2].dtype == torch.float16
    with pytest.raises(ValueError, match=exact("block_k must be a power of two >= 16, got 8")):
        matmul_naive(a, b, block_k=8)


def test_matmul_tiled_launch_defaults(fake):
    a, b = torch.zeros(70, 5, device=DEV), torch.zeros(5, 40, device=DEV)
    c = matmul_tiled(a, b)
    ((grid, args, kw),) = fake["_matmul_tiled_kernel"].launches
    cfg = kernels.default_tile_config(torch.float32)
    assert grid == (-(-70 // cfg.block_m) * -(-40 // cfg.block_n),)
    assert args[:3] == (a, b, c) and args[3:] == (70, 40, 5, 5, 1, 40, 1, 40, 1)
    assert kw == {
        "BLOCK_M": cfg.block_m,
        "BLOCK_N": cfg.block_n,
        "BLOCK_K": cfg.block_k,
        "GROUP_M": cfg.group_m,
        "INPUT_PRECISION": "ieee",  # full float32 unless tf32 is asked for
        "num_warps": cfg.num_warps,
        "num_stages": cfg.num_stages,
    }
    matmul_tiled(a.half(), b.half())
    assert (
        fake["_matmul_tiled_kernel"].launches[1][2]["BLOCK_K"]
        == kernels.default_tile_config(torch.float16).block_k
    )
    with pytest.raises(TypeError, match=exact("config must be a hwlib.kernels.TileConfig, got dict")):
        matmul_tiled(a, b, config={})
    with pytest.raises(ValueError, match=r"^out must have shape \(70, 40\)"):
        matmul_tiled(a, b, out=torch.empty(40, 70, device=DEV))


def test_matmul_tiled_uses_the_dtype_default_on_a_gpu(monkeypatch, fake):
    set_kernels_interpreted(monkeypatch, False)
    monkeypatch.setattr(kernels.guards, "kernel_device", lambda: torch.device("cpu"))  # as if the GPU
    a, b = torch.zeros(4, 5), torch.zeros(5, 3)
    matmul_tiled(a, b)
    matmul_tiled(a.half(), b.half())
    ks = [kw["BLOCK_K"] for _, _, kw in fake["_matmul_tiled_kernel"].launches]
    assert ks == [32, 64]  # float32 steps K by 32, float16 by 64 (default_tile_config's docstring)


# --------------------------------------------------------------------------- TileConfig and the load model


def test_tile_config_defaults():
    c = TileConfig()
    assert (c.block_m, c.block_n, c.block_k, c.group_m, c.num_warps, c.num_stages) == (64, 64, 32, 8, 4, 3)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("block_m", 8, "TileConfig.block_m must be a power of two >= 16, got 8"),
        ("block_n", 48, "TileConfig.block_n must be a power of two >= 16, got 48"),
        ("block_k", 8, "TileConfig.block_k must be a power of two >= 16, got 8"),
        ("group_m", 3, "TileConfig.group_m must be a power of two >= 1, got 3"),
        ("group_m", 0, "TileConfig.group_m must be a power of two >= 1, got 0"),
        ("num_warps", 6, "TileConfig.num_warps must be a power of two >= 1, got 6"),
        ("num_stages", 0, "TileConfig.num_stages must be a positive int, got 0"),
        ("num_stages", 2.0, "TileConfig.num_stages must be a positive int, got 2.0"),
    ],
)
def test_tile_config_rejects(field, value, message):
    with pytest.raises(ValueError, match=exact(message)):
        TileConfig(**{field: value})


def test_tile_config_accepts_the_smallest():
    c = TileConfig(16, 16, 16, group_m=1, num_warps=1, num_stages=1)
    assert (c.block_m, c.group_m, c.num_warps, c.num_stages) == (16, 1, 1, 1)


def test_load_model_default_blocks_and_ratio():
    loads = matmul_global_loads(100, 130, 7)
    assert (loads.block_m, loads.block_n) == (64, 64)
    assert loads.tiled == 2 * 3 * 7 * (64 + 64) and loads.naive == 2 * 100 * 130 * 7
    assert loads.minimum == 100 * 7 + 7 * 130 and (loads.m, loads.n, loads.k) == (100, 130, 7)
    assert loads.ratio == loads.naive / loads.tiled
    assert matmul_global_loads(64, 64, 1, 32, 16).tiled == 2 * 4 * 1 * (32 + 16)
