"""The dataset registry and the loaders behind it: :func:`~hwlib.data.load` and :data:`~hwlib.data.DATASETS`.

One builder per dataset name (Fashion-MNIST, CIFAR-10, scikit-learn's digits) turns its files into
a :class:`~hwlib.data.Dataset`; :func:`~hwlib.data.load` looks the name up in the registry.
:func:`~hwlib.data.load_camera` gives the one bundled picture, scikit-image's "camera".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from hwlib.data.cifar10 import _locate_cifar10
from hwlib.data.fashion_mnist import FASHION_MNIST_CLASSES, _fashion_mnist_arrays
from hwlib.data.records import Dataset, _assemble


def _fashion_mnist(*, download: bool | None = None, **kw) -> Dataset:
    source, (train_x, train_y, test_x, test_y) = _fashion_mnist_arrays(download)
    return _assemble(
        "fashion_mnist",
        torch.from_numpy(train_x).unsqueeze(1),
        torch.from_numpy(train_y.astype(np.int64)),
        torch.from_numpy(test_x).unsqueeze(1),
        torch.from_numpy(test_y.astype(np.int64)),
        FASHION_MNIST_CLASSES,
        levels=255,
        source=source,
        **kw,
    )


def _cifar10(*, download: bool | None = None, **kw) -> Dataset:
    from torchvision.datasets import CIFAR10

    source, root = _locate_cifar10(download)
    train, test = CIFAR10(str(root), train=True), CIFAR10(str(root), train=False)

    def images(a: np.ndarray) -> torch.Tensor:  # (N, 32, 32, 3) -> (N, 3, 32, 32), uint8
        return torch.from_numpy(a).permute(0, 3, 1, 2).contiguous()

    return _assemble(
        "cifar10",
        images(train.data),
        torch.tensor(train.targets),
        images(test.data),
        torch.tensor(test.targets),
        tuple(train.classes),
        levels=255,
        source=source,
        **kw,
    )


DIGITS_TEST_SEED = 2024
"""Seed of the fixed permutation whose first fifth is the digits test split (independent of ``seed``)."""


def _digits(*, download: bool | None = None, **kw) -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(bunch.images.astype(np.uint8)).unsqueeze(1)  # (1797, 1, 8, 8), values 0..16
    y = torch.from_numpy(bunch.target.astype(np.int64))
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(DIGITS_TEST_SEED))
    test, train = order[: len(y) // 5], order[len(y) // 5 :]
    classes = tuple(str(c) for c in bunch.target_names)
    return _assemble(
        "digits", x[train], y[train], x[test], y[test], classes, levels=16, source="scikit-learn", **kw
    )


DATASETS: dict[str, Callable[..., Dataset]] = {
    "fashion_mnist": _fashion_mnist,
    "cifar10": _cifar10,
    "digits": _digits,
}
"""Dataset names mapped to their loaders (which :func:`load` calls with its keyword arguments)."""


def load(
    name: str,
    *,
    val: float | int = 0.1,
    seed: int = 0,
    device: torch.device | str | None = None,
    normalize: bool = True,
    download: bool | None = None,
) -> Dataset:
    """Load dataset ``name`` from :data:`DATASETS` as tensors.

    Parameters
    ----------
    name:
        ``"fashion_mnist"``, ``"cifar10"`` or ``"digits"``.
    val:
        Size of the validation split taken from the training files: a fraction in [0, 1) or a
        count; 0 gives ``val=None``.
    seed:
        Seeds the permutation that picks the validation examples (the training split keeps the
        permuted order).
    device:
        Where the tensors go (default: the CPU).
    normalize:
        Standardise each channel with the mean and standard deviation of the training split
        (recorded in ``Dataset.mean``/``std``); otherwise pixels stay in [0, 1].
    download:
        ``None``: download a missing dataset unless ``HWLIB_OFFLINE`` is set; ``True``/``False``
        force it.
    """
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; choose one of {', '.join(sorted(DATASETS))}")
    return DATASETS[name](val=val, seed=seed, device=device, normalize=normalize, download=download)


def load_camera(size: int = 256) -> torch.Tensor:
    """The scikit-image "camera" photograph as a float32 tensor of shape ``(size, size)`` in [0, 1].

    The 512 x 512 original (``skimage.data.camera()``, bundled with scikit-image, no download)
    is resized with anti-aliasing, so a smaller ``size`` does not alias.
    """
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"size must be a positive int (pixels per side), got {size!r}")
    import skimage.data
    import skimage.transform

    image = skimage.data.camera().astype(np.float64) / 255.0
    if size != image.shape[0]:
        image = skimage.transform.resize(image, (size, size), anti_aliasing=True)
    return torch.from_numpy(np.clip(image, 0.0, 1.0).astype(np.float32))
