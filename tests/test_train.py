"""Tests of hwlib.train (fit, evaluate, History, progress) and of the MLP builder in hwlib.models."""

from __future__ import annotations

import math
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import hwlib.train as train
from hwlib.data import Split, TensorLoader, load
from hwlib.models import MLP_ACTIVATIONS, mlp
from hwlib.train import EpochRecord, History, evaluate, fit, progress_enabled


@pytest.fixture(scope="module")
def digits():
    return load("digits", val=0.2, seed=0)


def blobs(n: int = 300, seed: int = 0) -> Split:
    """Three well-separated Gaussian blobs in 2-D: a task any small MLP learns."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    centres = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    return Split(centres[y] + 0.5 * torch.randn(n, 2, generator=g), y)


# --------------------------------------------------------------------------- mlp


def test_mlp_layers_and_shapes():
    net = mlp([784, 256, 128, 10])
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Flatten", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [m.out_features for m in net if isinstance(m, nn.Linear)] == [256, 128, 10]
    assert net(torch.zeros(5, 1, 28, 28)).shape == (5, 10) and net(torch.zeros(5, 784)).shape == (5, 10)
    n_params = sum(p.numel() for p in net.parameters())
    assert n_params == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    plain = mlp([2, 3], flatten=False, bias=False)
    assert len(plain) == 1 and plain[0].bias is None
    assert type(mlp([4, 8, 2], "tanh", dropout=0.5)[3]).__name__ == "Dropout"
    assert isinstance(mlp([4, 8, 2], nn.Softplus)[2], nn.Softplus)
    for name, cls in MLP_ACTIVATIONS.items():
        assert isinstance(mlp([3, 3, 3], name)[2], cls)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sizes": [10]}, "at least two"),
        ({"sizes": [10, 0]}, "positive ints"),
        ({"sizes": [10, 2.5]}, "positive ints"),
        ({"sizes": [10, 2], "activation": "swishy"}, "not one of"),
        ({"sizes": [10, 2], "dropout": 1.0}, "dropout"),
    ],
)
def test_mlp_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mlp(**kwargs)


# --------------------------------------------------------------------------- evaluate


def test_evaluate_matches_a_whole_split_computation(digits):
    torch.manual_seed(0)
    net = mlp([64, 32, 10])
    net.train()
    loss, acc = evaluate(net, digits.test, batch_size=100)  # 359 examples: batches do not divide it
    assert net.training  # the mode is restored
    with torch.no_grad():
        logits = net.eval()(digits.test.x)  # the whole split in one batch
        net.train()
        expected_loss = F.cross_entropy(logits, digits.test.y).item()
        expected_acc = (logits.argmax(1) == digits.test.y).double().mean().item()
    assert loss == pytest.approx(expected_loss, rel=1e-5) and acc == pytest.approx(expected_acc)
    assert evaluate(net, (digits.test.x, digits.test.y))[1] == pytest.approx(acc)
    with pytest.raises(ValueError, match="logits of shape"):
        evaluate(nn.Identity(), digits.test)


# --------------------------------------------------------------------------- fit


def test_fit_learns_digits_and_records_history(digits):
    torch.manual_seed(0)
    net = mlp([64, 64, 10])
    history = fit(
        net, digits.train, torch.optim.AdamW(net.parameters(), lr=1e-2), 8, val=digits.val, batch_size=64
    )
    assert len(history) == 8 and [r.epoch for r in history.records] == list(range(1, 9))
    assert history.last.val_acc > 0.9 and history.last.train_acc > 0.9
    assert history.column("train_loss")[-1] < history.column("train_loss")[0]
    assert all(r.seconds > 0 for r in history.records) and history.total_seconds == pytest.approx(
        sum(history.column("seconds"))
    )
    rows = history.rows()
    assert list(rows[0]) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds"]
    assert [r["val_acc"] for r in rows] == history.column("val_acc")


def test_fit_validation_metrics_match_an_independent_evaluation(digits):
    # dropout makes train and eval mode differ, so a validation pass in train mode (or with
    # gradients, or on another model state) gives other numbers than this direct computation
    torch.manual_seed(0)
    net = mlp([64, 32, 10], dropout=0.5)
    history = fit(
        net, digits.train, torch.optim.SGD(net.parameters(), lr=0.05), 2, val=digits.val, batch_size=64
    )
    assert net.training  # fit leaves the model in train mode
    net.eval()
    with torch.no_grad():
        logits = net(digits.val.x)  # the whole split at once, no hwlib code involved
    net.train()
    expected_loss = F.cross_entropy(logits.double(), digits.val.y).item()
    expected_acc = (logits.argmax(1) == digits.val.y).sum().item() / len(digits.val)
    assert history.last.val_loss == pytest.approx(expected_loss, rel=1e-6)
    assert history.last.val_acc == expected_acc
    # and after the first epoch: the records are per epoch, not copies of the last one
    assert history[0].val_loss != history.last.val_loss
    with pytest.raises(KeyError, match="val_acc"):
        history.column("accuracy")


def test_fit_is_reproducible_and_accepts_any_batches(digits):
    def run(data, seed=0, **kw):
        torch.manual_seed(1)
        net = mlp([64, 16, 10])
        return fit(net, data, torch.optim.SGD(net.parameters(), lr=0.1), 2, seed=seed, **kw).column(
            "train_loss"
        )

    split = run(digits.train)
    assert split == run(digits.train)
    assert split == run((digits.train.x, digits.train.y))
    assert split == run(TensorLoader(digits.train, 128, seed=0))
    assert split != run(digits.train, seed=1)
    dataset = torch.utils.data.TensorDataset(digits.train.x, digits.train.y)
    loader_losses = run(torch.utils.data.DataLoader(dataset, batch_size=128))
    assert len(loader_losses) == 2 and all(math.isfinite(v) for v in loader_losses)


def test_train_metrics_average_the_batches():
    data = blobs(250)
    seen = []

    def loss_fn(logits, y):
        loss = F.cross_entropy(logits, y)
        seen.append((loss.item(), len(y)))
        return loss

    net = mlp([2, 8, 3])
    history = fit(net, data, torch.optim.SGD(net.parameters(), lr=0.0), 1, loss_fn=loss_fn, batch_size=64)
    weighted = sum(v * n for v, n in seen) / sum(n for _, n in seen)
    assert history.last.train_loss == pytest.approx(weighted) and math.isnan(history.last.val_acc)
    assert [n for _, n in seen] == [64, 64, 64, 58]


def test_fit_transform_scheduler_and_bad_input():
    data = blobs()
    net = mlp([2, 8, 3])
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    calls = []
    fit(net, data, opt, 3, scheduler=sched, transform=lambda x: calls.append(1) or x, batch_size=100)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 / 8) and len(calls) == 9
    with pytest.raises(ValueError, match="epochs"):
        fit(net, data, opt, -1)
    with pytest.raises(ValueError, match="own transform"):
        fit(net, TensorLoader(data), opt, 1, transform=lambda x: x)
    with pytest.raises(TypeError, match="Split"):
        fit(net, 3, opt, 1)
    with pytest.raises(ValueError, match="logits of shape"):
        fit(nn.Linear(2, 3), Split(torch.zeros(4, 2, 2), torch.zeros(4, dtype=torch.long)), opt, 1)


def test_history_basics():
    h = History([EpochRecord(1, 1.0, 0.5, 0.9, 0.6, 2.0), EpochRecord(2, 0.5, 0.7, 0.8, 0.65, 3.0)])
    assert len(h) == 2 and h[0].epoch == 1 and h.last.val_acc == 0.65 and h.total_seconds == 5.0
    with pytest.raises(IndexError, match="empty"):
        _ = History().last


# --------------------------------------------------------------------------- progress


class FakeKernel:
    def __init__(self, allow_stdin: bool):
        self._allow_stdin = allow_stdin


class FakeShell:
    def __init__(self, allow_stdin: bool):
        self.kernel = FakeKernel(allow_stdin)


def test_progress_rule(monkeypatch):
    import IPython

    monkeypatch.delenv("HWLIB_PROGRESS", raising=False)
    assert progress_enabled(True) and not progress_enabled(False)
    assert not progress_enabled()  # under pytest stderr is captured, not a terminal
    monkeypatch.setenv("HWLIB_PROGRESS", "1")
    assert progress_enabled() and not progress_enabled(False)
    monkeypatch.setenv("HWLIB_PROGRESS", "0")
    assert not progress_enabled()
    monkeypatch.delenv("HWLIB_PROGRESS")
    monkeypatch.setattr(IPython, "get_ipython", lambda: FakeShell(allow_stdin=False))  # nbclient, nbval
    assert not progress_enabled()
    monkeypatch.setattr(IPython, "get_ipython", lambda: FakeShell(allow_stdin=True))  # a person in Jupyter
    assert progress_enabled()


def test_progress_bar_only_when_asked(capsys):
    net = mlp([2, 4, 3])
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    fit(net, blobs(), opt, 2, progress=True, batch_size=100)
    assert "fit" in capsys.readouterr().err
    fit(net, blobs(), opt, 2, batch_size=100)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


class Spy:
    """Stands in for a batch tensor: records where it is asked to move, then hands over the tensor."""

    def __init__(self, tensor, log):
        self.tensor, self.log = tensor, log

    def to(self, device, non_blocking=False):
        self.log.append(torch.device(device))
        return self.tensor


def test_fit_moves_the_model_and_every_batch_to_the_device(digits, monkeypatch):
    # only the CPU is here, so moves are observed, not inferred from where tensors end up
    net = mlp([64, 8, 10])
    moved = []
    real_to = nn.Module.to
    monkeypatch.setattr(net, "to", lambda *a, **k: moved.append(a) or real_to(net, *a, **k))
    fit(net, digits.train.take(64), torch.optim.SGD(net.parameters(), lr=0.1), 1, device="cpu")
    assert moved == [("cpu",)]
    fit(net, digits.train.take(64), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert moved == [("cpu",)]  # no device given: the model stays where it is
    log = []
    x, y = digits.train.x[:8], digits.train.y[:8]
    batches = [(Spy(x, log), Spy(y, log)), (Spy(x, log), Spy(y, log))]
    fit(net, batches, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    evaluate(net, batches)
    assert log == [torch.device("cpu")] * 8  # x and y of both batches, in fit and in evaluate


def test_model_device_is_where_the_parameters_are():
    assert train._model_device(nn.Flatten()).type == "cpu"  # no parameters: the CPU
    net = nn.Linear(2, 2, device="meta")
    assert train._model_device(net) == torch.device("meta")


def test_evaluate_weights_batches_by_size_and_restores_eval_mode():
    data = blobs(250)
    net = mlp([2, 8, 3])
    net.eval()
    loss, acc = evaluate(net, data, batch_size=64)  # 64, 64, 64, 58
    assert not net.training  # the mode it had is restored
    with torch.no_grad():
        logits = net(data.x)
    assert loss == pytest.approx(F.cross_entropy(logits.double(), data.y).item(), rel=1e-6)
    assert acc == (logits.argmax(1) == data.y).double().mean().item()
    with pytest.raises(ValueError, match=r"^evaluate\(\) got no examples$"):
        evaluate(net, [])
    with pytest.raises(ValueError, match=r"^fit\(\) got no training examples$"):
        fit(net, [], torch.optim.SGD(net.parameters(), lr=0.1), 1)


def test_fit_defaults_and_zero_epochs():
    data = blobs(120)

    def losses(**kw):
        torch.manual_seed(3)
        net = mlp([2, 8, 3])
        return fit(net, data, torch.optim.SGD(net.parameters(), lr=0.1), 2, batch_size=32, **kw).column(
            "train_loss"
        )

    assert losses() == losses(seed=0) != losses(seed=1)  # the shuffling seed defaults to 0
    net = mlp([2, 8, 3])
    before = [p.clone() for p in net.parameters()]
    history = fit(net, data, torch.optim.SGD(net.parameters(), lr=0.1), 0)
    assert len(history) == 0 and all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    with pytest.raises(ValueError, match=r"^epochs must be a non-negative int, got 1.5$"):
        fit(net, data, torch.optim.SGD(net.parameters(), lr=0.1), 1.5)
    with pytest.raises(
        KeyError,
        match=r"unknown column 'accuracy'; choose one of epoch, train_loss, train_acc, val_loss, val_acc, "
        r"seconds",
    ):
        History().column("accuracy")


class OnlyIterable:
    """Batches without a length (a stream): the progress bar cannot know its total."""

    def __init__(self, split, size):
        self.split, self.size = split, size

    def __iter__(self):
        for i in range(0, len(self.split), self.size):
            yield self.split.x[i : i + self.size], self.split.y[i : i + self.size]


def test_progress_bar_total_is_epochs_times_batches(capsys):
    net = mlp([2, 4, 3])
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    fit(net, blobs(300), opt, 2, progress=True, batch_size=100)  # 3 batches an epoch
    err = capsys.readouterr().err
    assert "6/6" in err and "100%" in err
    fit(net, OnlyIterable(blobs(300), 100), opt, 2, progress=True)
    err = capsys.readouterr().err
    assert "6batch" in err.replace(" ", "") and "%" not in err  # no total: a count, no percentage


def test_train_metrics_are_exact_weighted_means(monkeypatch):
    # lr=0: the model is fixed, so every batch's loss and accuracy can be recomputed independently
    data = blobs(250)
    torch.manual_seed(4)
    net = mlp([2, 8, 3])
    seen = []

    def loss_fn(logits, y):
        seen.append((logits.detach().clone(), y.clone()))
        return F.cross_entropy(logits, y)

    start = time.perf_counter()
    history = fit(net, data, torch.optim.SGD(net.parameters(), lr=0.0), 1, loss_fn=loss_fn, batch_size=64)
    elapsed = time.perf_counter() - start
    n = sum(len(y) for _, y in seen)
    loss = sum(F.cross_entropy(z, y).double().item() * len(y) for z, y in seen) / n
    acc = sum((z.argmax(1) == y).sum().item() for z, y in seen) / n
    assert n == 250 and history.last.train_loss == pytest.approx(loss, rel=1e-14, abs=0)
    assert history.last.train_acc == acc and 0 <= acc <= 1
    assert 0 < history.last.seconds <= elapsed


def test_validation_uses_the_callers_loss():
    data, val = blobs(200, seed=1), blobs(100, seed=2)
    torch.manual_seed(5)
    net = mlp([2, 8, 3])
    half_loss = lambda z, y: 0.5 * F.cross_entropy(z, y)
    history = fit(net, data, torch.optim.SGD(net.parameters(), lr=0.1), 1, loss_fn=half_loss, val=val)
    with torch.no_grad():
        expected = 0.5 * F.cross_entropy(net.eval()(val.x).double(), val.y).item()
    assert history.last.val_loss == pytest.approx(expected, rel=1e-6)


def test_evaluate_walks_the_data_in_order():
    # the same batches as a plain loop over consecutive slices, so the same float32 batch means
    data = blobs(250)
    torch.manual_seed(6)
    net = mlp([2, 8, 3]).eval()
    with torch.no_grad():
        total = sum(
            F.cross_entropy(net(data.x[i : i + 64]), data.y[i : i + 64]).double().item()
            * len(data.y[i : i + 64])
            for i in range(0, 250, 64)
        )
    assert evaluate(net, data, batch_size=64)[0] == pytest.approx(total / 250, rel=1e-15, abs=0)


def test_batches_messages():
    net = mlp([2, 4, 3])
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(
        ValueError, match=r"^transform= applies to a Split; give your TensorLoader its own transform instead$"
    ):
        fit(net, TensorLoader(blobs()), opt, 1, transform=lambda x: x)
    with pytest.raises(
        TypeError,
        match=r"^data must be a Split, a TensorLoader, an \(x, y\) tuple or batches, got <class 'int'>$",
    ):
        fit(net, 3, opt, 1)


def test_progress_bar_line(capsys):
    net = mlp([2, 4, 3])
    history = fit(
        net, blobs(300), torch.optim.SGD(net.parameters(), lr=0.1), 2, progress=True, batch_size=100
    )
    err = capsys.readouterr().err
    assert err.endswith("\n")  # the finished bar is left on screen
    last = err.rstrip("\n").split("\r")[-1]
    assert last.startswith("fit: 100%") and "| 6/6 [" in last and "batch" in last
    assert last.endswith(f", epoch=2, loss={history.last.train_loss:.4f}, val_acc=nan]")


def test_progress_rule_spellings_and_kernels(monkeypatch):
    import IPython

    for off in ("0", "false", "no", "off", " OFF ", "False"):
        monkeypatch.setenv("HWLIB_PROGRESS", off)
        assert not progress_enabled(), off
    for on in ("1", "yes", "true"):
        monkeypatch.setenv("HWLIB_PROGRESS", on)
        assert progress_enabled(), on
    monkeypatch.delenv("HWLIB_PROGRESS")
    shell = FakeShell(allow_stdin=True)
    shell.kernel = object()  # a kernel that does not say whether it accepts input: no bar
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    assert not progress_enabled()


def test_progress_without_ipython_follows_the_terminal(monkeypatch):
    import sys

    monkeypatch.delenv("HWLIB_PROGRESS", raising=False)
    monkeypatch.setitem(sys.modules, "IPython", None)  # importing IPython now fails
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress_enabled()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not progress_enabled()
