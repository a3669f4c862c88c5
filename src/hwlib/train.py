"""Training and evaluation loops for classifiers, on any device.

``fit(model, data, optimizer, epochs, val=...)`` trains ``model`` and returns a :class:`History`
with one :class:`EpochRecord` per epoch: the training loss and accuracy (averaged over the epoch's
batches, as they were seen during training), the validation loss and accuracy (measured after the
epoch, in ``eval`` mode, without gradients) and the epoch's wall time. ``evaluate(model, data)``
returns the loss and accuracy of a model on a split. ``History.rows()`` gives table rows
(for :class:`hwlib.plotting.Table`) and ``History.column(name)`` a list to plot.

Data may be a :class:`hwlib.data.Split` (batched here by a :class:`hwlib.data.TensorLoader`), a
``TensorLoader``, an ``(x, y)`` tuple of tensors, or any iterable of ``(x, y)`` batches such as a
``torch.utils.data.DataLoader``. Batches are moved to the model's device.

Progress: a tqdm bar is shown when the run is interactive and hidden otherwise, so executed
notebooks stay deterministic. ``progress=True``/``False`` decides explicitly; else the environment
variable ``HWLIB_PROGRESS`` (``0``/``1``) does; else a terminal shows the bar when stderr is a
TTY, and a Jupyter kernel shows it only when its front end accepts input (a person at JupyterLab,
not ``nbclient``/nbval, which run kernels with ``allow_stdin=False``).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields

import torch
import torch.nn.functional as F
from torch import nn

from hwlib.data import Split, TensorLoader

PROGRESS_ENV = "HWLIB_PROGRESS"

Batches = Split | TensorLoader | tuple[torch.Tensor, torch.Tensor] | Iterable


@dataclass
class EpochRecord:
    """Metrics of one epoch; the ``val_*`` fields are NaN when there is no validation data."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float = math.nan
    val_acc: float = math.nan
    seconds: float = 0.0


@dataclass
class History:
    """The per-epoch records of a :func:`fit` run."""

    records: list[EpochRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> EpochRecord:
        return self.records[i]

    @property
    def last(self) -> EpochRecord:
        """The record of the final epoch."""
        if not self.records:
            raise IndexError("the history is empty: fit() ran no epoch")
        return self.records[-1]

    def column(self, name: str) -> list[float]:
        """One metric over the epochs, e.g. ``history.column("val_acc")``."""
        names = [f.name for f in fields(EpochRecord)]
        if name not in names:
            raise KeyError(f"unknown column {name!r}; choose one of {', '.join(names)}")
        return [getattr(r, name) for r in self.records]

    def rows(self) -> list[dict]:
        """The records as dictionaries, one per epoch (for :class:`hwlib.plotting.Table` or pandas)."""
        return [asdict(r) for r in self.records]

    @property
    def total_seconds(self) -> float:
        """Wall time of all epochs together."""
        return sum(r.seconds for r in self.records)


def progress_enabled(progress: bool | None = None) -> bool:
    """Whether to show a progress bar (see the module docstring for the rule)."""
    if progress is not None:
        return bool(progress)
    setting = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if setting:
        return setting not in ("0", "false", "no", "off")
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
    except ImportError:  # pragma: no cover - IPython is part of the book's environment
        kernel = None
    if kernel is not None:
        return bool(getattr(kernel, "_allow_stdin", False))
    return sys.stderr.isatty()


def _model_device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _batches(data: Batches, batch_size: int, *, shuffle: bool, seed: int, transform=None) -> Iterable:
    if isinstance(data, tuple):
        data = Split(*data)
    if isinstance(data, Split):
        return TensorLoader(data, batch_size, shuffle=shuffle, seed=seed, transform=transform)
    if transform is not None:
        raise ValueError("transform= applies to a Split; give your TensorLoader its own transform instead")
    if not isinstance(data, Iterable):
        raise TypeError(f"data must be a Split, a TensorLoader, an (x, y) tuple or batches, got {type(data)}")
    return data


def _check_logits(logits: torch.Tensor, y: torch.Tensor) -> None:
    if logits.dim() != 2 or logits.shape[0] != y.shape[0]:
        raise ValueError(
            f"the model must return logits of shape (batch, classes) for labels of shape (batch,); "
            f"got {tuple(logits.shape)} for {tuple(y.shape)} (flatten images inside the model)"
        )


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Batches,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
    batch_size: int = 1024,
) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on ``data``, in ``eval`` mode and without gradients.

    ``loss_fn`` must return the batch mean (as ``F.cross_entropy`` does); the mean over the data
    weights each batch by its size. The model's train/eval mode is restored afterwards.
    """
    device = _model_device(model)
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    count = 0
    try:
        for x, y in _batches(data, batch_size, shuffle=False, seed=0):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            logits = model(x)
            _check_logits(logits, y)
            loss_sum += loss_fn(logits, y).double() * y.shape[0]
            correct += (logits.argmax(dim=1) == y).sum()
            count += y.shape[0]
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate() got no examples")
    return loss_sum.item() / count, correct.item() / count


def fit(
    model: nn.Module,
    data: Batches,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
    val: Batches | None = None,
    device: torch.device | str | None = None,
    batch_size: int = 128,
    seed: int = 0,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    progress: bool | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs on ``data`` and return its :class:`History`.

    Parameters
    ----------
    model:
        A classifier returning logits ``(batch, classes)``; moved to ``device`` when one is given,
        else trained where its parameters are.
    data:
        The training examples: a ``Split`` or ``(x, y)`` (shuffled into batches of ``batch_size``
        from ``seed``, with ``transform`` applied to each input batch), a ``TensorLoader`` or any
        iterable of batches.
    optimizer:
        Built on ``model.parameters()``; stepped once per batch.
    loss_fn:
        ``loss_fn(logits, labels)`` returning the batch mean; default cross-entropy.
    val:
        Optional validation data, evaluated after every epoch with :func:`evaluate`.
    scheduler:
        Optional learning-rate scheduler, stepped once per epoch.
    progress:
        Show a tqdm bar: ``True``/``False``, or ``None`` to decide as the module docstring says.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    if device is not None:
        model.to(device)
    device = _model_device(model)
    batches = _batches(data, batch_size, shuffle=True, seed=seed, transform=transform)
    history = History()
    bar = None
    if progress_enabled(progress):
        from tqdm.std import tqdm

        total = epochs * len(batches) if hasattr(batches, "__len__") else None
        bar = tqdm(total=total, desc="fit", unit="batch", leave=True, file=sys.stderr)
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            model.train()
            loss_sum = torch.zeros((), dtype=torch.float64, device=device)
            correct = torch.zeros((), dtype=torch.int64, device=device)
            count = 0
            for x, y in batches:
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                logits = model(x)
                _check_logits(logits, y)
                loss = loss_fn(logits, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss_sum += loss.detach().double() * y.shape[0]
                correct += (logits.detach().argmax(dim=1) == y).sum()
                count += y.shape[0]
                if bar is not None:
                    bar.update(1)
            if count == 0:
                raise ValueError("fit() got no training examples")
            if scheduler is not None:
                scheduler.step()
            record = EpochRecord(epoch, loss_sum.item() / count, correct.item() / count)
            if val is not None:
                record.val_loss, record.val_acc = evaluate(model, val, loss_fn=loss_fn)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            record.seconds = time.perf_counter() - start
            history.records.append(record)
            if bar is not None:
                bar.set_postfix(epoch=epoch, loss=f"{record.train_loss:.4f}", val_acc=f"{record.val_acc:.4f}")
    finally:
        if bar is not None:
            bar.close()
    return history


__all__ = ["fit", "evaluate", "History", "EpochRecord", "progress_enabled"]
