"""Augmentation of image batches on their device: random crops after padding, random flips.

:func:`~hwlib.data.random_crop` and :func:`~hwlib.data.random_flip` transform a whole batch
``(N, C, H, W)`` at once; :class:`~hwlib.data.Augment` chains them with its own generator, as the
``transform`` of a training :class:`~hwlib.data.TensorLoader`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _check_images(batch: torch.Tensor, what: str) -> None:
    if not isinstance(batch, torch.Tensor) or batch.dim() != 4:
        shape = tuple(batch.shape) if isinstance(batch, torch.Tensor) else type(batch).__name__
        raise ValueError(
            f"{what} expects an image batch of shape (N, C, H, W), got {shape}; "
            "apply it before flattening (an MLP flattens inside the model)"
        )


def random_crop(
    batch: torch.Tensor,
    padding: int = 4,
    generator: torch.Generator | None = None,
    fill: float | Sequence[float] | torch.Tensor = 0.0,
) -> torch.Tensor:
    """Pad each image with ``padding`` pixels of ``fill`` per side, then cut a random window of its size.

    Vectorised: one random offset pair per image, one gather for the whole batch. Offsets are
    drawn on the CPU from ``generator`` (default: torch's global generator). ``fill`` is one
    value or one per channel. On standardised images the default 0 is the *mean* colour, so a
    shift uncovers a grey frame; to uncover the images' background instead, pass the background
    in standardised units (for a black background, ``(0 - mean) / std`` per channel of the
    dataset's ``mean`` and ``std``).
    """
    _check_images(batch, "random_crop")
    if not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be a non-negative int, got {padding!r}")
    if padding == 0:
        return batch
    n, c, h, w = batch.shape
    fill_t = torch.as_tensor(fill, dtype=batch.dtype, device=batch.device).reshape(-1)
    if fill_t.numel() not in (1, c):
        raise ValueError(f"fill must be one value or one per channel ({c}), got {fill_t.numel()} values")
    padded = fill_t.reshape(1, -1, 1, 1).expand(n, c, h + 2 * padding, w + 2 * padding).clone()
    padded[:, :, padding : padding + h, padding : padding + w] = batch
    offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator).to(batch.device)
    rows = (offsets[:, 0:1] + torch.arange(h, device=batch.device))[:, None, :, None]  # (N, 1, H, 1)
    cols = (offsets[:, 1:2] + torch.arange(w, device=batch.device))[:, None, None, :]  # (N, 1, 1, W)
    images = torch.arange(n, device=batch.device)[:, None, None, None]
    channels = torch.arange(c, device=batch.device)[None, :, None, None]
    return padded[images, channels, rows, cols]


def random_flip(
    batch: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Mirror each image left-right with probability ``p`` (draws on the CPU from ``generator``)."""
    _check_images(batch, "random_flip")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    flip = (torch.rand(batch.shape[0], generator=generator) < p).to(batch.device)
    return torch.where(flip[:, None, None, None], batch.flip(-1), batch)


class Augment:
    """A training-batch transform: :func:`random_crop` (if ``padding``), then :func:`random_flip`.

    It owns a generator seeded with ``seed``, so a run is reproducible on any device::

        TensorLoader(ds.train, 128, transform=Augment(padding=4, flip=True, seed=0))
    """

    def __init__(self, padding: int = 4, flip: bool = True, seed: int = 0, fill=0.0):
        self.padding, self.flip, self.fill = padding, flip, fill
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        if self.padding:
            batch = random_crop(batch, self.padding, generator=self.generator, fill=self.fill)
        if self.flip:
            batch = random_flip(batch, generator=self.generator)
        return batch

    def __repr__(self) -> str:
        return f"Augment(padding={self.padding}, flip={self.flip})"
