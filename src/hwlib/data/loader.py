"""Mini-batches of a tensor-resident split: :class:`~hwlib.data.TensorLoader`.

The split stays on its device as one tensor; each epoch slices a permutation drawn from the
loader's own generator, so nothing is done per example.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

from hwlib.data.records import Split


class TensorLoader:
    """Shuffled mini-batches of a tensor-resident split, without per-sample work.

    Each epoch (each ``iter()``) draws a permutation from the loader's own ``torch.Generator``
    (seeded with ``seed``, on the CPU, so every device sees the same batches) and yields
    ``(x[idx], y[idx])`` for consecutive slices ``idx`` of it. ``transform``, if given, maps each
    input batch to a new one (e.g. :class:`Augment`; use it for training batches only).

    >>> loader = TensorLoader(Split(torch.zeros(10, 3), torch.zeros(10, dtype=torch.long)), 4)
    >>> [len(y) for _, y in loader]
    [4, 4, 2]
    """

    def __init__(
        self,
        data: Split | tuple[torch.Tensor, torch.Tensor],
        batch_size: int = 128,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ):
        self.data = data if isinstance(data, Split) else Split(*data)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.transform = transform
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        n = len(self.data)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        x, y = self.data.x, self.data.y
        shape = x.shape[1:]
        flat = x.reshape(len(x), -1)  # a view; gathering rows of a 2-D tensor is the fast path
        if self.shuffle:
            order = torch.randperm(len(x), generator=self.generator).to(x.device)
        for b in range(len(self)):
            if self.shuffle:
                index = order[b * self.batch_size : (b + 1) * self.batch_size]
                xb, yb = flat.index_select(0, index).view(-1, *shape), y.index_select(0, index)
            else:
                window = slice(b * self.batch_size, (b + 1) * self.batch_size)
                xb, yb = x[window], y[window]
            if self.transform is not None:
                xb = self.transform(xb)
            yield xb, yb
