"""Mutation testing of hwlib with mutmut 3, one module at a time, and its per-module table.

    python tools/mutation_report.py --run [MODULE ...]   # test the mutants that need it, then report
    python tools/mutation_report.py [MODULE ...]         # report from mutmut's cache only

A module is named as in ``MODULES``, relative to hwlib (``checks``, ``data.files``); a package's
name (``data``) stands for all of its modules.

``--run`` (what ``make mutation`` does), for each module (default: all of ``MODULES``):

1. (re)generates the module's mutants in ``mutants/`` with mutmut's own generator; mutmut keeps
   the verdict of every mutant whose function did not change and resets the others;
2. runs ``mutmut run --max-children 1`` on the mutants that have no verdict yet, and on the
   survivors not listed as equivalent (tests may have changed since: a survivor is checked again
   until it is killed or listed). Killed mutants are not run again: a rerun is incremental.

The table gives, per module, the mutants killed (timeouts count as killed), survived (or run by
no test), listed as equivalent in ``tests/mutation_equivalents.txt`` (one ``mutant name  reason``
per line; no observable behaviour changes), not run and the score ``killed / (all - equivalent)``. The exit
status is 1 when a module scores under ``--min`` (default 90 %) or a survivor is unexplained.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = (
    "checks",
    "gradients",
    "reporting",
    "runtime",
    "timing.timers",
    "timing.sweeps",
    "timing.rates",
    "timing.crosscheck",
    "metrics",
    "train",
    "data.files",
    "data.fashion_mnist",
    "data.cifar10",
    "data.records",
    "data.sources",
    "data.loader",
    "data.augment",
    "models.threshold",
    "models.coordinate",
    "models.classifiers",
    "models.hand_layers",
    "models.hand_networks",
    "plotting.plots",
    "plotting.tables",
    "plotting.network",
    "kernels.jit",
    "kernels.guards",
    "kernels.wrappers",
    "kernels.traffic",
    "loads",
)
"""hwlib's modules, relative to the package (a package's __init__ only re-exports: nothing to mutate)."""
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.txt"


def module_path(module: str) -> Path:
    """The source file of ``module`` relative to the root: ``data.files`` -> ``src/hwlib/data/files.py``."""
    return Path("src") / "hwlib" / (module.replace(".", "/") + ".py")


def module_of(mutant: str) -> str:
    """The module of a mutant's name: ``hwlib.data.files.x__md5__mutmut_3`` -> ``data.files``."""
    return ".".join(mutant.split(".")[1:-1])


def expand(names) -> list[str]:
    """``MODULES`` entries for each name: a module stands for itself, a package for its modules."""
    modules = []
    for name in names:
        found = [m for m in MODULES if m == name or m.startswith(name + ".")]
        if not found:
            raise ValueError(name)
        modules += [m for m in found if m not in modules]
    return modules


def read_equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """``{mutant name: reason}`` from the equivalents file; a line without a reason is an error."""
    found = {}
    if not path.exists():
        return found
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{path.name}:{number}: {name} needs a one-line reason why it is equivalent")
        found[name] = reason.strip()
    return found


def verdicts(module: str) -> dict[str, str] | None:
    """``{mutant name: status}`` of one module from mutmut's cache, or None before its first run."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code

    path = module_path(module)
    if not (ROOT / "mutants" / f"{path}.meta").exists():
        return None
    data = SourceFileMutationData(path=path)
    data.load()
    return {name: status_by_exit_code[code] for name, code in data.exit_code_by_key.items()}


def generate(module: str) -> None:
    """(Re)generate one module's mutants, keeping the verdicts of unchanged functions (mutmut's cache)."""
    from mutmut.__main__ import create_file_mutants

    (ROOT / "mutants").mkdir(exist_ok=True)
    result = create_file_mutants(module_path(module))
    if result.error:
        raise result.error


def run(module: str, equivalents: dict[str, str]) -> float:
    """Run mutmut on the mutants of ``module`` that need it; return the seconds it took."""
    generate(module)
    start = time.perf_counter()
    # a second pass picks up verdicts mutmut itself reset during the first (e.g. timeouts after a
    # change of the timeout settings in pyproject.toml)
    for recheck_survivors in (True, False):
        todo = [
            name
            for name, status in (verdicts(module) or {}).items()
            if status == "not checked"
            or (recheck_survivors and status in ("survived", "no tests") and name not in equivalents)
        ]
        if not todo:
            break
        print(f"== hwlib.{module}: {len(todo)} mutants to test", flush=True)
        cmd = [str(Path(sys.executable).with_name("mutmut")), "run", "--max-children", "1", *todo]
        done = subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True, text=True)
        after = verdicts(module) or {}
        if all(after.get(name) == "not checked" for name in todo):
            # mutmut gave no verdict at all: its clean run of the tests failed (say, a test that
            # reads a file mutmut does not copy into mutants/); show why instead of a table of zeros
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
            raise SystemExit(
                f"mutmut tested none of hwlib.{module}'s mutants (exit {done.returncode}):\n{tail}"
            )
    else:
        return time.perf_counter() - start
    if time.perf_counter() - start < 1:
        print(f"== hwlib.{module}: every mutant has a verdict (cached)", flush=True)
    return time.perf_counter() - start


def table(modules, equivalents: dict[str, str], minimum: float) -> bool:
    """Print the per-module table; True when every module reaches ``minimum`` with no unexplained survivor."""
    columns = ("mutants", "killed", "survived", "equivalent", "not run", "score")
    width = max(len("module"), *(len(m) for m in modules))
    header = f"{'module':<{width}} " + " ".join(f"{c:>10}" for c in columns)
    print(header)
    print("-" * len(header))
    good = True
    stale = set(equivalents)
    for module in modules:
        found = verdicts(module)
        if found is None:
            print(f"{module:<{width}} {'(not run)':>10}")
            good = False
            continue
        stale -= set(found)
        killed = sum(s in ("killed", "timeout", "caught by type check") for s in found.values())
        # a mutant that no test runs ("no tests") survives as surely as one that tests run
        missed = ("survived", "no tests")
        equivalent = sum(n in equivalents and s in missed for n, s in found.items())
        survived = sum(s in missed for s in found.values()) - equivalent
        not_run = len(found) - killed - survived - equivalent
        tested = len(found) - equivalent
        score = 100.0 * killed / tested if tested else 100.0
        counts = " ".join(f"{n:>10}" for n in (len(found), killed, survived, equivalent, not_run))
        print(f"{module:<{width}} {counts} {score:>9.1f}%")
        if score < minimum or survived:
            good = False
        for name, status in sorted(found.items()):
            if status not in ("killed", "timeout", "caught by type check") and name not in equivalents:
                print(f"    {status}: {name}   (mutmut show {name})")
    for name in sorted(n for n in stale if module_of(n) in modules):
        print(f"    listed as equivalent but no longer a mutant: {name}")
    return good


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "modules", nargs="*", help=f"modules or packages of hwlib (default: {' '.join(MODULES)})"
    )
    parser.add_argument("--run", action="store_true", help="run mutmut on the mutants that need it first")
    parser.add_argument("--min", type=float, default=90.0, help="lowest acceptable score per module (%%)")
    args = parser.parse_args(argv)
    unknown = sorted(n for n in args.modules if not any(m == n or m.startswith(n + ".") for m in MODULES))
    if unknown:
        parser.error(f"unknown modules {unknown}; choose from {', '.join(MODULES)} (or a package of them)")
    modules = expand(args.modules) if args.modules else list(MODULES)
    os.chdir(ROOT)  # mutmut reads pyproject.toml and writes mutants/ in the working directory
    # mutmut limits each mutant's CPU time (all threads together): with torch's thread pool
    # spinning, a survivor's tests can exceed it and be miscounted as a timeout (a kill).
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
    os.environ.setdefault("TRITON_INTERPRET", "1")  # kernels run under Triton's CPU interpreter
    equivalents = read_equivalents()
    if args.run:
        seconds = {m: run(m, equivalents) for m in modules}
        print("seconds per module: " + ", ".join(f"{m} {s:.0f}" for m, s in seconds.items()))
    ok = table(modules, equivalents, args.min)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
