"""nbval set-up for the book's notebooks: a kernel start-up that survives a loaded machine.

With pytest-xdist several notebooks start their kernels at once, and on a busy 2-core
machine a kernel that imports PyTorch can miss nbval's fixed start-up deadlines (its
``_ensure_iopub_up`` waits 10 s for a reply). Such a failure says nothing about the
notebook, so the start-up, and only the start-up, is retried: no cell has run yet. A cell
that fails is never retried. The first deadline is nbval's own option
``--nbval-kernel-startup-timeout`` (the Makefile sets it).
"""

from __future__ import annotations

import time

from nbval.kernel import RunningKernel
from nbval.plugin import IPyNbFile

START_ATTEMPTS = 3

_original_setup = IPyNbFile.setup
_original_iopub = RunningKernel._ensure_iopub_up


def _ensure_iopub_up(self: RunningKernel) -> None:
    """nbval's check that the kernel answers, shutting the kernel down when it does not."""
    try:
        _original_iopub(self)
    except BaseException:
        if self.is_alive():
            self.stop()  # else the half-started kernel outlives the failed start-up
        raise


def start_kernel(self: IPyNbFile) -> None:
    """``IPyNbFile.setup`` (start the notebook's kernel), tried up to ``START_ATTEMPTS`` times."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            _original_setup(self)
            return
        except (RuntimeError, TimeoutError) as exc:  # nbval's "Kernel didn't respond", "Kernel info ..."
            kernel, self.kernel = self.kernel, None
            if kernel is not None and kernel.is_alive():
                kernel.stop()
            if attempt == START_ATTEMPTS:
                raise RuntimeError(
                    f"{self.fspath}: the kernel did not start in {START_ATTEMPTS} attempts ({exc}); "
                    "the machine may be overloaded: run fewer notebooks at once (make nbval JOBS=1)"
                ) from exc
            retry = f"retrying ({attempt + 1}/{START_ATTEMPTS})"
            print(f"\n{self.fspath.basename}: kernel start-up failed ({exc}); {retry}")
            time.sleep(2.0 * attempt)


IPyNbFile.setup = start_kernel
RunningKernel._ensure_iopub_up = _ensure_iopub_up
