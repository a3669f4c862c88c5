"""The records a dataset is loaded into: :class:`~hwlib.data.Split` and :class:`~hwlib.data.Dataset`.

A :class:`~hwlib.data.Split` holds one split as two tensors (inputs and int64 labels); a
:class:`~hwlib.data.Dataset` holds the train, validation and test splits with the per-channel
mean and standard deviation that standardised them. ``_assemble`` builds one from uint8
images: it carves out the validation split, computes the exact channel statistics of the
training part and standardises every split with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Split:
    """One split of a dataset: inputs ``x`` (float32, first axis = examples) and int64 labels ``y``."""

    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        if not isinstance(self.x, torch.Tensor) or not isinstance(self.y, torch.Tensor):
            raise TypeError("Split(x, y) takes two tensors; convert with torch.as_tensor first")
        if self.y.dim() != 1 or self.x.dim() < 2 or self.x.shape[0] != self.y.shape[0]:
            raise ValueError(
                f"Split needs x of shape (N, ...) and y of shape (N,), got {tuple(self.x.shape)} "
                f"and {tuple(self.y.shape)}"
            )
        if self.y.dtype != torch.int64:
            raise ValueError(f"labels must be int64 class indices, got {self.y.dtype}: use y.long()")

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def device(self) -> torch.device:
        return self.x.device

    def to(self, device: torch.device | str) -> Split:
        """The same split on ``device``."""
        return Split(self.x.to(device), self.y.to(device))

    def take(self, n: int, seed: int | None = None) -> Split:
        """The first ``n`` examples, or ``n`` drawn without replacement with ``seed``."""
        if not 0 < n <= len(self):
            raise ValueError(f"n must be in 1..{len(self)}, got {n}")
        if seed is None:
            return Split(self.x[:n], self.y[:n])
        index = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        index = index.to(self.device)
        return Split(self.x[index], self.y[index])


@dataclass
class Dataset:
    """A dataset's splits on one device, with the numbers needed to undo the normalisation."""

    name: str
    train: Split
    val: Split | None
    test: Split
    classes: tuple[str, ...]
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    source: str = ""
    notes: dict = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one example, e.g. ``(1, 28, 28)``."""
        return tuple(self.train.x.shape[1:])

    def to(self, device: torch.device | str) -> Dataset:
        """The same dataset with every split on ``device``."""
        return Dataset(
            self.name,
            self.train.to(device),
            None if self.val is None else self.val.to(device),
            self.test.to(device),
            self.classes,
            self.mean,
            self.std,
            self.source,
            dict(self.notes),
        )

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the standardisation of image batch ``x`` ``(N, C, H, W)``, back to [0, 1] pixels."""
        shape = (1, -1, 1, 1) if x.dim() == 4 else (-1, 1, 1)
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(shape)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(shape)
        return x * std + mean

    def summary(self) -> dict:
        """One table row: name, sizes, input shape, classes, source."""
        return {
            "dataset": self.name,
            "train": len(self.train),
            "val": 0 if self.val is None else len(self.val),
            "test": len(self.test),
            "input": "x".join(map(str, self.input_shape)),
            "classes": self.num_classes,
        }


def _channel_stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact per-channel mean and standard deviation of integer images ``(N, C, H, W)``."""
    mean, std = [], []
    for c in range(images.shape[1]):
        counts = torch.bincount(images[:, c].reshape(-1), minlength=256).double()
        values = torch.arange(len(counts), dtype=torch.float64)
        m = (counts * values).sum() / counts.sum()
        mean.append(m)
        std.append(((counts * (values - m) ** 2).sum() / (counts.sum() - 1)).sqrt())
    return torch.stack(mean), torch.stack(std)


def _assemble(
    name: str,
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    classes: tuple[str, ...],
    *,
    levels: int,
    val: float | int,
    seed: int,
    normalize: bool,
    device: torch.device | str | None,
    source: str,
) -> Dataset:
    """Build a :class:`Dataset` from uint8 images ``(N, C, H, W)`` whose white is ``levels``.

    Splits off the validation examples with ``seed``, scales pixels to [0, 1], standardises each
    channel with the training part's statistics and moves everything to ``device``.
    """
    n = train_x.shape[0]
    n_val = round(val * n) if isinstance(val, float) else int(val)
    if (isinstance(val, float) and not 0.0 <= val < 1.0) or not 0 <= n_val < n:
        raise ValueError(f"val must be a fraction in [0, 1) or a count in 0..{n - 1}, got {val!r}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val_index, train_index = order[:n_val], order[n_val:]
    x_train = train_x[train_index]
    if normalize:
        mean, std = _channel_stats(x_train)
        mean, std = mean / levels, std / levels
    else:
        mean, std = torch.zeros(x_train.shape[1]), torch.ones(x_train.shape[1])
    scale = (1.0 / (levels * std)).float().view(1, -1, 1, 1)
    shift = (-mean / std).float().view(1, -1, 1, 1)

    def prepare(x: torch.Tensor) -> torch.Tensor:  # uint8 -> standardised float32
        return x.float().mul_(scale).add_(shift)

    ds = Dataset(
        name=name,
        train=Split(prepare(x_train), train_y[train_index].long()),
        val=Split(prepare(train_x[val_index]), train_y[val_index].long()) if n_val else None,
        test=Split(prepare(test_x), test_y.long()),
        classes=classes,
        mean=tuple(float(m) for m in mean),
        std=tuple(float(s) for s in std),
        source=source,
        notes={"seed": seed, "val": n_val, "normalized": normalize},
    )
    return ds.to(device) if device is not None else ds
