"""Benchmark (GPU only): hwlib's Triton kernels against the device's own copy and torch.matmul.

Runs, in this order, and prints one table per part:

1. correctness: every kernel (and every tile setting that will be timed) against a float64
   reference on fresh random inputs of awkward sizes, with the output poisoned with NaN
   first so an unwritten element fails; nothing is timed if anything is wrong;
2. doublify (``y = 2x``) on 2^28 float32 elements as a fraction of a device copy
   (``x.clone()``, same size); both move ``2 * n * 4`` bytes (each element read once and
   written once), reported in GB/s (10^9 bytes/s);
3. the naive and tiled Triton matmuls and ``torch.matmul`` on square ``n x n x n``
   products in fp32 and fp16, as TFLOP/s (``2 n^3`` operations) and as fractions of
   ``torch.matmul`` (its time over the kernel's). fp32 is full float32 on both sides
   (torch's default; the tiled kernel with ``input_precision="ieee"``); ``--dtypes tf32``
   adds TensorFloat-32 on both sides. The tiled kernel's tile setting is the fastest of
   ``hwlib.kernels.CUDA_TILE_CONFIGS`` at each size (a small autotune, reported);
4. hwlib's timer (``hwlib.timing.time_cuda``) against ``triton.testing.do_bench`` (and
   ``torch.utils.benchmark``, for information) on the same callables: agreement means
   the two medians are within 5%.

Targets (issue 7, one H100): doublify >= 85% of the copy; tiled fp16 at 4096^3 >= 85% of
torch.matmul. A missed target is printed as a finding; the exit status is non-zero only
when a correctness check fails (or with ``--strict``, when a target is missed) or when
no CUDA GPU is present.

    python benchmarks/bench_kernels.py                       # the full run (a few minutes)
    python benchmarks/bench_kernels.py --sizes 512,1024 --doublify-log2 24   # a smoke run
    python benchmarks/bench_kernels.py --json "$OUT/bench_kernels.json"
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:  # run from a checkout without installing hwlib (the GPU machine uses src/ directly)
    import hwlib  # noqa: F401
except ImportError:  # pragma: no cover - depends on how the script is started
    sys.path.insert(0, str(ROOT / "src"))

import torch

from hwlib.plotting import Table
from hwlib.timing import achieved_gbps, achieved_tflops, elementwise_bytes, matmul_flops

DOUBLIFY_TARGET = 0.85
TILED_FP16_TARGET = 0.85
TIMER_AGREEMENT = 0.05
DTYPES = {"fp32": torch.float32, "tf32": torch.float32, "fp16": torch.float16}
# Tolerances on ||out - ref|| / ||ref|| against a float64 reference (METHOD: fp32 far under
# 1e-3; tf32 near 3e-4; fp16 outputs are rounded to 11 bits, about 3e-4 relative).
TOLERANCE = {"fp32": 1e-5, "tf32": 5e-3, "fp16": 3e-3}
# Where the work runs and the sizes the correctness checks use (awkward on purpose: not
# multiples of any block). Module constants so that a test can dry-run the whole script on
# the CPU under Triton's interpreter with tiny sizes.
DEVICE = "cuda"
DOUBLIFY_CHECK_SIZES = (1, 1_000_003, 2**20 + 17)
DOUBLIFY_CHECK_DTYPES = (torch.float32, torch.float16, torch.bfloat16)
MATMUL_CHECK_SHAPES = ((127, 257, 65), (1000, 999, 1037), (16, 16, 16))
NO_GPU_MESSAGE = (
    "bench_kernels.py needs a CUDA GPU (torch.cuda.is_available() is False): run it on a machine with "
    "an NVIDIA GPU and a CUDA build of PyTorch"
)


# --------------------------------------------------------------------------- CPU-side logic


def parse_sizes(text: str) -> list[int]:
    """Parse ``"512,1024,4096"`` into positive ints (sorted, without duplicates)."""
    try:
        sizes = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be comma-separated ints, got {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive ints, got {text!r}")
    return sizes


def parse_dtypes(text: str) -> list[str]:
    """Parse ``"fp32,fp16"``; each must be one of fp32, tf32, fp16."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    bad = [n for n in names if n not in DTYPES]
    if not names or bad:
        raise argparse.ArgumentTypeError(
            f"dtypes must be a comma-separated subset of {sorted(DTYPES)}: {text!r}"
        )
    return list(dict.fromkeys(names))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=parse_sizes, default=parse_sizes("512,1024,2048,4096"), help="n of n^3")
    p.add_argument("--naive-max", type=int, default=4096, help="largest n timed for the naive matmul")
    p.add_argument("--dtypes", type=parse_dtypes, default=parse_dtypes("fp32,fp16"), help="fp32,tf32,fp16")
    p.add_argument("--doublify-log2", type=int, default=28, help="doublify/copy on 2^this float32 elements")
    p.add_argument("--warmup", type=int, default=5, help="untimed calls before timing")
    p.add_argument("--repeats", type=int, default=30, help="most timed calls per measurement")
    p.add_argument("--budget-ms", type=float, default=3000.0, help="cap on timed work per measurement (ms)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write every number to this JSON file")
    p.add_argument("--strict", action="store_true", help="exit non-zero when a target is missed too")
    args = p.parse_args(argv)
    if args.doublify_log2 < 10 or args.doublify_log2 > 30:
        p.error("--doublify-log2 must be between 10 and 30")
    if args.warmup < 0 or args.repeats < 1 or args.budget_ms <= 0 or args.naive_max < 0:
        p.error("--warmup >= 0, --repeats >= 1, --budget-ms > 0 and --naive-max >= 0 are required")
    return args


def adaptive_repeats(estimate_ms: float, budget_ms: float, most: int, least: int = 3) -> int:
    """How many timed calls fit ``budget_ms`` at ``estimate_ms`` each, between ``least`` and ``most``."""
    if estimate_ms <= 0:
        return most
    return max(least, min(most, int(budget_ms // estimate_ms)))


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    """``||out - ref|| / ||ref||`` in float64; ``inf`` when ``out`` holds a NaN or an infinity."""
    out64, ref64 = out.double(), ref.double()
    if not bool(torch.isfinite(out64).all()):
        return math.inf
    return float(torch.linalg.vector_norm(out64 - ref64) / torch.linalg.vector_norm(ref64).clamp_min(1e-300))


def config_name(cfg) -> str:
    """A TileConfig in one short string, e.g. ``128x256x64 g8 w8 s3``."""
    return f"{cfg.block_m}x{cfg.block_n}x{cfg.block_k} g{cfg.group_m} w{cfg.num_warps} s{cfg.num_stages}"


def matmul_table(records: Sequence[dict]) -> list[dict]:
    """Add TFLOP/s and the fraction of torch.matmul to raw matmul timings.

    ``records`` hold ``dtype``, ``size``, ``kernel`` (``torch``, ``tiled`` or ``naive``),
    ``config`` and ``median_ms``; the fraction is torch's time over the kernel's at the
    same dtype and size (1.0 for torch itself, blank when torch was not timed).
    """
    torch_ms = {(r["dtype"], r["size"]): r["median_ms"] for r in records if r["kernel"] == "torch"}
    rows = []
    for r in records:
        n = r["size"]
        ref = torch_ms.get((r["dtype"], n))
        rows.append(
            {
                "dtype": r["dtype"],
                "n": n,
                "kernel": r["kernel"],
                "config": r.get("config", ""),
                "median_ms": r["median_ms"],
                "TFLOP/s": achieved_tflops(matmul_flops(n, n, n), r["median_ms"]),
                "vs torch": ref / r["median_ms"] if ref is not None else "",
            }
        )
    return rows


def doublify_table(n: int, itemsize: int, copy_ms: float, doublify_ms: dict[int, float]) -> list[dict]:
    """Rows for the copy and each doublify block size: GB/s over ``2 * n * itemsize`` bytes, vs the copy."""
    nbytes = elementwise_bytes(n, itemsize, reads=1, writes=1)
    gbps = achieved_gbps(nbytes, copy_ms)
    rows = [{"kernel": "clone()", "block": "", "median_ms": copy_ms, "GB/s": gbps, "vs copy": 1.0}]
    for block, ms in doublify_ms.items():
        gbps = achieved_gbps(nbytes, ms)
        rows.append(
            {"kernel": "doublify", "block": block, "median_ms": ms, "GB/s": gbps, "vs copy": copy_ms / ms}
        )
    return rows


def summarize_checks(rows: Sequence[dict]) -> list[dict]:
    """One row per check name: how many shapes, the worst relative error, its tolerance, ok."""
    by: dict[str, dict] = {}
    for r in rows:
        s = by.setdefault(
            r["check"], {"check": r["check"], "shapes": 0, "worst error": 0.0, "tolerance": r["tolerance"]}
        )
        s["shapes"] += 1
        s["worst error"] = max(s["worst error"], r["rel. error"])
        s["ok"] = "yes" if s.get("ok", "yes") == "yes" and r["ok"] == "yes" else "NO"
    return list(by.values())


def agreement_table(
    results: Sequence[tuple[str, list[dict]]], tolerance: float = TIMER_AGREEMENT
) -> list[dict]:
    """One row per timed callable from :func:`hwlib.timing.compare_timers` results."""
    rows = []
    for name, timers in results:
        by = {t["timer"]: t["median_ms"] for t in timers}
        ours, bench = by["hwlib.time_cuda"], by["triton.do_bench"]
        ratio = bench / ours
        rows.append(
            {
                "callable": name,
                "hwlib ms": ours,
                "do_bench ms": bench,
                "torch.benchmark ms": by.get("torch.benchmark", float("nan")),
                "do_bench / hwlib": ratio,
                "agree": "yes" if abs(ratio - 1) <= tolerance else "NO",
            }
        )
    return rows


def verdicts(
    doublify_rows: Sequence[dict], matmul_rows: Sequence[dict], agree_rows: Sequence[dict]
) -> list[dict]:
    """The issue's targets, each with the measured value and ``met``/``missed``."""
    out = []
    dbl = [r["vs copy"] for r in doublify_rows if r["kernel"] == "doublify"]
    if dbl:
        best = max(dbl)
        out.append(
            _verdict("doublify / copy bandwidth", best, f">= {DOUBLIFY_TARGET}", best >= DOUBLIFY_TARGET)
        )
    fp16 = [r for r in matmul_rows if r["dtype"] == "fp16" and r["vs torch"] != ""]
    if fp16:
        n = max(r["n"] for r in fp16)
        for kernel in ("tiled", "naive"):
            hits = [r for r in fp16 if r["n"] == n and r["kernel"] == kernel]
            if hits:
                v = hits[0]["vs torch"]
                ok = v >= TILED_FP16_TARGET if kernel == "tiled" else None
                target = f">= {TILED_FP16_TARGET}" if kernel == "tiled" else "report"
                out.append(_verdict(f"{kernel} fp16 {n}^3 / torch.matmul", v, target, ok))
    if agree_rows:
        worst = max(abs(r["do_bench / hwlib"] - 1) for r in agree_rows)
        out.append(
            _verdict(
                "timers: max |do_bench/hwlib - 1|", worst, f"<= {TIMER_AGREEMENT}", worst <= TIMER_AGREEMENT
            )
        )
    return out


def _verdict(what: str, value: float, target: str, ok: bool | None) -> dict:
    return {
        "what": what,
        "measured": value,
        "target": target,
        "result": {True: "met", False: "MISSED", None: "-"}[ok],
    }


def show(title: str, rows: Sequence[dict], floatfmt: str = ".3f") -> None:
    """Print a table (hwlib.plotting.Table's text form) under a title."""
    print()
    print(repr(Table(rows, floatfmt=floatfmt, title=f"== {title}")))


def gpu_problem() -> str | None:
    """Why the kernels cannot be benchmarked here (one line), or None when a CUDA GPU is ready."""
    if not torch.cuda.is_available():
        return NO_GPU_MESSAGE
    from hwlib import kernels

    if kernels.INTERPRETED:
        return "TRITON_INTERPRET=1 is set, so the kernels would run in Triton's interpreter: unset it"
    return None


def synchronize() -> None:
    """Wait for the device (a no-op on the CPU)."""
    if torch.device(DEVICE).type == "cuda":
        torch.cuda.synchronize()


def environment() -> dict:
    """Device, driver and library versions (asks nvidia-smi for the driver; 'unknown' without it)."""
    import triton

    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    try:
        driver = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        driver = "unknown"
    return {
        "device": props.name,
        "multiprocessors": props.multi_processor_count,
        "L2 MiB": round(getattr(props, "L2_cache_size", 0) / 2**20, 1),
        "memory GiB": round(props.total_memory / 2**30, 1),
        "driver": driver,
        "CUDA (torch)": torch.version.cuda,
        "torch": torch.__version__,
        "triton": triton.__version__,
        "python": platform.python_version(),
    }


# --------------------------------------------------------------------------- GPU work


def check_correctness(dtypes: Sequence[str], gen: torch.Generator) -> tuple[list[dict], dict[str, list]]:
    """Every kernel against float64 references on fresh random inputs, outputs poisoned with NaN first.

    Returns one row per (check, shape) and, per dtype, the tile settings that launched
    and passed on every shape (settings the GPU cannot launch are reported and skipped).
    """
    from hwlib import kernels

    dev = torch.device(DEVICE)
    rows: list[dict] = []

    def record(what: str, shape: str, err: float, tol: float) -> bool:
        ok = err <= tol
        rows.append(
            {"check": what, "shape": shape, "rel. error": err, "tolerance": tol, "ok": "yes" if ok else "NO"}
        )
        return ok

    for dt in DOUBLIFY_CHECK_DTYPES:
        for n in DOUBLIFY_CHECK_SIZES:
            x = torch.randn(n, device=dev, generator=gen).to(dt)
            out = torch.full_like(x, math.nan)
            kernels.doublify(x, out=out)
            record(f"doublify {str(dt).removeprefix('torch.')}", f"({n},)", relative_error(out, 2 * x), 0.0)

    passed: dict[str, list] = {}
    for name in dtypes:
        dt, tf32, tol = DTYPES[name], name == "tf32", TOLERANCE[name]
        cases = []
        for m, k, n in MATMUL_CHECK_SHAPES:
            a = torch.randn(m, k, device=dev, generator=gen).to(dt)
            b = torch.randn(k, n, device=dev, generator=gen).to(dt)
            cases.append((a, b, a.double() @ b.double(), f"({m},{k})@({k},{n})"))
        for a, b, ref, shape in cases:
            if name != "tf32":  # the naive kernel has no TensorFloat-32 mode
                out = torch.full((a.shape[0], b.shape[1]), math.nan, device=dev, dtype=dt)
                record(f"naive {name}", shape, relative_error(kernels.matmul_naive(a, b, out=out), ref), tol)
            with allow_tf32(tf32):
                record(f"torch.matmul {name}", shape, relative_error(a @ b, ref), tol)
        passed[name] = []
        for cfg in dict.fromkeys([kernels.default_tile_config(dt), *kernels.CUDA_TILE_CONFIGS]):
            ok = True
            for a, b, ref, shape in cases:
                out = torch.full((a.shape[0], b.shape[1]), math.nan, device=dev, dtype=dt)
                try:
                    kernels.matmul_tiled(a, b, out=out, config=cfg, tf32=tf32)
                    synchronize()
                except Exception as err:  # a setting this GPU cannot launch (e.g. too much shared memory)
                    print(
                        f"  tiled {name} {config_name(cfg)}: skipped, {type(err).__name__}: {str(err)[:120]}"
                    )
                    ok = False
                    break
                ok = record(f"tiled {name} {config_name(cfg)}", shape, relative_error(out, ref), tol) and ok
            if ok:
                passed[name].append(cfg)
        if not passed[name]:
            rows.append(
                {"check": f"tiled {name}", "shape": "-", "rel. error": math.inf, "tolerance": tol, "ok": "NO"}
            )
    return rows, passed


@contextlib.contextmanager
def allow_tf32(on: bool):
    """torch.matmul in TensorFloat-32 (``on``) or full float32 inside the block."""
    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = on
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old


def measure(fn: Callable[[], object], args: argparse.Namespace, most: int | None = None) -> float:
    """Median ms of ``fn`` by hwlib's timer, with as many repeats as the budget allows."""
    from hwlib.timing import time_cuda

    estimate = time_cuda(fn, warmup=1, repeats=1).median_ms
    repeats = adaptive_repeats(estimate, args.budget_ms, most or args.repeats)
    warmup = min(args.warmup, adaptive_repeats(estimate, args.budget_ms / 4, args.warmup, least=1))
    return time_cuda(fn, warmup=warmup, repeats=repeats).median_ms


def bench_doublify(args: argparse.Namespace, gen: torch.Generator) -> tuple[list[dict], torch.Tensor]:
    """Time x.clone() and doublify(x) for a few block sizes on 2^k float32 elements."""
    from hwlib import kernels

    n = 2**args.doublify_log2
    x = torch.randn(n, device=DEVICE, generator=gen)
    if not torch.equal(kernels.doublify(x), 2 * x):
        raise AssertionError("doublify is wrong at the benchmark size")
    copy_ms = measure(lambda: x.clone(), args)
    times = {
        block: measure(lambda b=block: kernels.doublify(x, block_size=b), args) for block in (1024, 4096)
    }
    return doublify_table(n, x.element_size(), copy_ms, times), x


def time_matmuls(name: str, n: int, args: argparse.Namespace, configs: list, gen: torch.Generator):
    """Records for torch.matmul, the tiled kernel (its fastest setting) and the naive kernel at one size."""
    from hwlib import kernels

    dt, tf32 = DTYPES[name], name == "tf32"
    a = torch.randn(n, n, device=DEVICE, generator=gen).to(dt)
    b = torch.randn(n, n, device=DEVICE, generator=gen).to(dt)
    with allow_tf32(tf32):
        ms = measure(lambda: a @ b, args)
    records = [{"dtype": name, "size": n, "kernel": "torch", "config": "cuBLAS", "median_ms": ms}]
    quick = argparse.Namespace(**{**vars(args), "budget_ms": args.budget_ms / 4})
    tuned = {
        cfg: measure(lambda c=cfg: kernels.matmul_tiled(a, b, config=c, tf32=tf32), quick, 10)
        for cfg in configs
    }
    best = min(tuned, key=tuned.get)
    ms = measure(lambda: kernels.matmul_tiled(a, b, config=best, tf32=tf32), args)
    records.append(
        {"dtype": name, "size": n, "kernel": "tiled", "config": config_name(best), "median_ms": ms}
    )
    if n <= args.naive_max and name != "tf32":
        ms = measure(lambda: kernels.matmul_naive(a, b), args)
        records.append(
            {"dtype": name, "size": n, "kernel": "naive", "config": "1 out/program", "median_ms": ms}
        )
    return records, best


def bench_matmul(args: argparse.Namespace, passed: dict[str, list], gen: torch.Generator):
    """Time every dtype and size; return the raw records and the fastest tile setting per (dtype, size)."""
    records, best_configs = [], {}
    for name in args.dtypes:
        for n in args.sizes:
            rows, best_configs[(name, n)] = time_matmuls(name, n, args, passed[name], gen)
            records += rows
            print(f"  timed {name} n={n}", flush=True)
    return records, best_configs


def bench_timers(args: argparse.Namespace, x: torch.Tensor, best_configs: dict, gen: torch.Generator):
    """hwlib's timer against do_bench (and torch.utils.benchmark) on the same callables."""
    from hwlib import kernels
    from hwlib.timing import compare_timers

    n = max(args.sizes)
    name = "fp16" if "fp16" in args.dtypes else args.dtypes[0]
    dt, tf32 = DTYPES[name], name == "tf32"
    a = torch.randn(n, n, device=DEVICE, generator=gen).to(dt)
    b = torch.randn(n, n, device=DEVICE, generator=gen).to(dt)
    cfg = best_configs[(name, n)]
    small = max([s for s in args.sizes if s <= 1024], default=min(args.sizes))
    a_small, b_small = a[:small, :small].contiguous(), b[:small, :small].contiguous()

    def torch_matmul():
        with allow_tf32(tf32):
            return a @ b

    cases = [
        (f"doublify 2^{args.doublify_log2}", lambda: kernels.doublify(x)),
        (f"x.clone() 2^{args.doublify_log2}", lambda: x.clone()),
        (f"torch.matmul {name} {n}^3", torch_matmul),
        (f"tiled {name} {n}^3", lambda: kernels.matmul_tiled(a, b, config=cfg, tf32=tf32)),
        (f"naive {small}^3 {dt}".replace("torch.", ""), lambda: kernels.matmul_naive(a_small, b_small)),
    ]
    return [(label, compare_timers(fn)) for label, fn in cases]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every correctness check passed (and, with --strict, every target was met)."""
    args = parse_args(argv)
    problem = gpu_problem()
    if problem:
        print(problem)
        return 2
    env = environment()
    show("environment", [{"key": k, "value": str(v)} for k, v in env.items()])
    gen = torch.Generator(device=DEVICE).manual_seed(args.seed)

    checks, passed = check_correctness(args.dtypes, gen)
    failed = [r for r in checks if r["ok"] != "yes"]
    show(
        f"correctness ({len(checks) - len(failed)} of {len(checks)} checks passed)",
        summarize_checks(checks),
        ".2e",
    )
    if failed:
        print("\ncorrectness failed: nothing was timed")
        return 1

    dbl, x = bench_doublify(args, gen)
    show(f"doublify vs copy, 2^{args.doublify_log2} float32 (bytes = read + written)", dbl)
    records, best_configs = bench_matmul(args, passed, gen)
    mm = matmul_table(records)
    show("matmul (n x n x n, 2 n^3 FLOP)", mm)
    agree = agreement_table(bench_timers(args, x, best_configs, gen))
    show("timers on the same callables (medians, ms)", agree)
    summary = verdicts(dbl, mm, agree)
    show("targets (issue 7)", summary)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"environment": env, "correctness": checks, "doublify": dbl, "matmul": mm, "timers": agree}
        args.json.write_text(json.dumps({**payload, "targets": summary}, indent=1, default=str))
    missed = [r for r in summary if r["result"] == "MISSED"]
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
