"""book/conftest.py: nbval's kernel start-up is retried, a cell never is."""

from pathlib import Path

import pytest
from _helpers import load_file
from nbval.kernel import RunningKernel
from nbval.plugin import IPyNbCell, IPyNbFile

ROOT = Path(__file__).resolve().parents[1]
startup = load_file("book_conftest", "book/conftest.py")


class FakeKernel:
    def __init__(self):
        self.alive, self.stopped = True, 0

    def is_alive(self):
        return self.alive

    def stop(self):
        self.stopped += 1
        self.alive = False


class FakeFile:
    class fspath:  # noqa: N801  (mimics py.path.local)
        basename = "page.ipynb"

    kernel = None


NO_ANSWER = RuntimeError("Kernel didn't respond in 300 seconds")


def _setup_failing(times, exc=NO_ANSWER):
    calls, kernels = [], []

    def setup(self):
        calls.append(1)
        self.kernel = FakeKernel()
        kernels.append(self.kernel)
        if len(calls) <= times:
            raise exc

    return setup, calls, kernels


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(startup.time, "sleep", lambda s: None)


def test_a_failed_start_up_is_retried_and_its_kernel_stopped(monkeypatch, capsys):
    setup, calls, kernels = _setup_failing(times=2)
    monkeypatch.setattr(startup, "_original_setup", setup)
    f = FakeFile()
    startup.start_kernel(f)
    assert len(calls) == 3 and f.kernel is kernels[-1] and f.kernel.alive
    assert [k.stopped for k in kernels[:2]] == [1, 1]  # no half-started kernel left running
    assert "retrying (2/3)" in capsys.readouterr().out


def test_start_up_gives_up_after_three_attempts_and_names_the_fix(monkeypatch):
    setup, calls, _ = _setup_failing(times=5)
    monkeypatch.setattr(startup, "_original_setup", setup)
    with pytest.raises(RuntimeError, match="JOBS=1"):
        startup.start_kernel(FakeFile())
    assert len(calls) == startup.START_ATTEMPTS == 3


def test_other_errors_are_not_retried(monkeypatch):
    setup, calls, _ = _setup_failing(times=1, exc=ValueError("bad sanitizer file"))
    monkeypatch.setattr(startup, "_original_setup", setup)
    with pytest.raises(ValueError):
        startup.start_kernel(FakeFile())
    assert len(calls) == 1


def test_only_the_start_up_is_patched_never_a_cell():
    assert IPyNbFile.setup is startup.start_kernel
    assert RunningKernel._ensure_iopub_up is startup._ensure_iopub_up
    assert IPyNbCell.runtest.__module__ == "nbval.plugin"


def test_a_kernel_that_never_answers_is_shut_down(monkeypatch):
    kernel = FakeKernel()

    def silent(self):
        raise RuntimeError("Kernel info reqest timed out after 10 seconds!")

    monkeypatch.setattr(startup, "_original_iopub", silent)
    with pytest.raises(RuntimeError, match="timed out"):
        startup._ensure_iopub_up(kernel)
    assert kernel.stopped == 1
