"""Datasets as tensors: a small registry, a tensor-resident batch iterator, tensor-side augmentation.

**Loading.** ``load(name, val=0.1, seed=0, device=None)`` returns a :class:`Dataset`. Its
``train``, ``val`` and ``test`` splits are :class:`Split` records, each holding the whole split as
one float32 tensor ``x`` (images ``(N, C, H, W)``, standardised with the training split's
per-channel mean and standard deviation) and one int64 tensor ``y`` of class labels. The
validation split is carved from the training files by a permutation drawn from ``seed``. The
registry :data:`DATASETS` knows three names:

- ``"fashion_mnist"``: Fashion-MNIST, 60,000 + 10,000 greyscale 28 x 28 images, 10 classes;
- ``"cifar10"``: CIFAR-10, 50,000 + 10,000 colour 32 x 32 images, 10 classes, read by
  torchvision's own ``CIFAR10`` class (which checks its md5 sums);
- ``"digits"``: scikit-learn's 1,797 8 x 8 digits (bundled, no files), for fast tests.

:func:`load_camera` gives scikit-image's "camera" photograph as one ``(size, size)`` tensor.

**Where the files come from.** Fashion-MNIST is looked for, in this order: the folder named by
``HWLIB_DATA`` (the four ``*-idx?-ubyte.gz`` files directly in it, under ``fashion-mnist/`` or
under torchvision's ``FashionMNIST/raw/``);
the Debian package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist/``); the cache
(``HWLIB_CACHE``, else ``~/.cache/hwlib``); and last torchvision's mirrors, downloading into the
cache. Every file is checked by md5 before use: a gzip file must have the md5 torchvision lists
for it, or decompress to the bytes of the original release (the Debian package recompresses the
same bytes). A corrupt cached file is deleted and fetched again; a download is written to a
temporary file, verified, then renamed, so the cache never holds half a file. CIFAR-10 is looked
for under ``HWLIB_DATA`` and the cache (the ``cifar-10-batches-py/`` folder of the official
archive) and downloaded into the cache where the network allows; :func:`cifar10_available` says
whether a verified copy is on disk, so a chapter can fall back to Fashion-MNIST as a labelled
stand-in. ``HWLIB_OFFLINE=1`` forbids downloads. When no copy can be found or fetched,
:class:`DataUnavailableError` names every fix.

**Batches and augmentation.** :class:`TensorLoader` walks a split in shuffled mini-batches by
slicing a permutation drawn from its own ``torch.Generator``: the data stay on the device in one
tensor and nothing is done per example. An optional ``transform`` is applied to each batch tensor,
e.g. :class:`Augment` (:func:`random_crop` after zero padding, then :func:`random_flip`), which is
meant for training batches only.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import socket
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

DATA_ENV = "HWLIB_DATA"
CACHE_ENV = "HWLIB_CACHE"
OFFLINE_ENV = "HWLIB_OFFLINE"
DEBIAN_PACKAGE = "dataset-fashion-mnist"

SYSTEM_DIRS: tuple[Path, ...] = (Path("/usr/share/datasets/fashion-mnist"),)
"""Where the Debian package ``dataset-fashion-mnist`` puts the Fashion-MNIST files."""

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

FASHION_MNIST_GZ_MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
"""md5 of each Fashion-MNIST gzip file, as ``torchvision.datasets.FashionMNIST.resources`` lists them
(copied so that checking a file does not import torchvision; a unit test keeps the two equal)."""

FASHION_MNIST_RAW_MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}
"""md5 of each Fashion-MNIST file's *decompressed* bytes (the original release's idx files)."""

DOWNLOAD_TIMEOUT_S = 30.0


class DataUnavailableError(RuntimeError):
    """A dataset is neither on disk nor downloadable; the message lists the fixes."""


class ChecksumError(RuntimeError):
    """A data file's md5 is not the expected one (the file is corrupt or not the right file)."""


# --------------------------------------------------------------------------- file locations


def _cache_dir() -> Path:
    """The folder hwlib caches downloads in: ``HWLIB_CACHE``, else ``$XDG_CACHE_HOME/hwlib``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "hwlib"


def downloads_allowed(download: bool | None = None) -> bool:
    """Whether a missing dataset may be downloaded: ``download`` if given, else not ``HWLIB_OFFLINE``."""
    if download is not None:
        return bool(download)
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("", "0", "false", "no")


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _read_verified(path: Path, name: str, decompress: bool = True) -> bytes | None:
    """The decompressed bytes of the Fashion-MNIST file ``name`` stored at ``path``, checked by md5.

    ``path`` may be the gzip file torchvision downloads, the Debian package's recompressed copy
    or the decompressed idx file. Raises :class:`ChecksumError` when neither md5 matches.
    With ``decompress=False`` it only checks, and returns None.
    """
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        if _md5(raw) == FASHION_MNIST_GZ_MD5[name]:
            return gzip.decompress(raw) if decompress else None
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ChecksumError(f"{path}: not a valid gzip file ({err})") from err
    if _md5(raw) != FASHION_MNIST_RAW_MD5[name]:
        raise ChecksumError(
            f"{path}: md5 does not match the Fashion-MNIST file {name} (corrupt or a different file)"
        )
    return raw if decompress else None


def _find_files(folder: Path) -> dict[str, Path] | None:
    """The four Fashion-MNIST files in ``folder`` (``.gz`` or decompressed), or None if any is missing."""
    found = {}
    for name in FASHION_MNIST_RAW_MD5:
        for candidate in (folder / name, folder / name.removesuffix(".gz")):
            if candidate.is_file():
                found[name] = candidate
                break
        else:
            return None
    return found


@contextmanager
def _socket_timeout(seconds: float):
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _fetch(url: str, folder: Path, filename: str, md5: str) -> None:
    """Download ``url`` to ``folder/filename`` with torchvision, which checks ``md5``."""
    from torchvision.datasets.utils import download_url

    with _socket_timeout(DOWNLOAD_TIMEOUT_S):
        download_url(url, str(folder), filename=filename, md5=md5)


def _download_verified(name: str, dest: Path) -> None:
    """Fetch the Fashion-MNIST file ``name`` into ``dest`` atomically (temp folder, verify, rename)."""
    from torchvision.datasets import FashionMNIST

    dest.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for mirror in FashionMNIST.mirrors:
        tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=dest.parent))
        try:
            _fetch(mirror + name, tmp, name, FASHION_MNIST_GZ_MD5[name])
            _read_verified(tmp / name, name, decompress=False)  # our own check of the whole file
            os.replace(tmp / name, dest)
            return
        except Exception as err:  # noqa: BLE001 - every failure is reported below
            errors.append(f"{mirror}: {type(err).__name__}: {err}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    raise DataUnavailableError("; ".join(errors))


def _no_data_message(what: str, searched: list[str], reason: str, fixes: list[str]) -> str:
    lines = [f"{what} is not available: {reason}.", "Searched:"]
    lines += [f"  - {s}" for s in searched]
    lines.append("Any one of these fixes it:")
    lines += [f"  {i}. {fix}" for i, fix in enumerate(fixes, 1)]
    return "\n".join(lines)


def _locate_fashion_mnist(download: bool | None = None) -> tuple[str, dict[str, Path]]:
    """Find (or fetch) the four Fashion-MNIST files; return ``(source, {name: path})``.

    ``source`` says where they came from: ``"HWLIB_DATA"``, ``"Debian package"``, ``"cache"`` or
    ``"download"``. The files are checked by md5 when they are loaded.
    A corrupt cached file is deleted (with a warning) and fetched again.
    """
    searched = []
    if os.environ.get(DATA_ENV):
        root = Path(os.environ[DATA_ENV]).expanduser()
        for folder in (root, root / "fashion-mnist", root / "FashionMNIST" / "raw"):
            if (files := _find_files(folder)) is not None:
                return DATA_ENV, files
        searched.append(f"{DATA_ENV}={root} (no Fashion-MNIST files in it or in fashion-mnist/)")
    else:
        searched.append(f"{DATA_ENV} (not set)")
    for folder in SYSTEM_DIRS:
        if (files := _find_files(folder)) is not None:
            return "Debian package", files
        searched.append(f"{folder} (Debian package {DEBIAN_PACKAGE}: not installed)")

    cached = _cache_dir() / "fashion-mnist"
    missing = []
    for name in FASHION_MNIST_RAW_MD5:
        path = cached / name
        if path.is_file():
            try:
                _read_verified(path, name, decompress=False)
                continue
            except ChecksumError as err:
                warnings.warn(f"deleting a corrupt cached file: {err}", stacklevel=2)
                path.unlink()
        missing.append(name)
    if not missing:
        return "cache", {name: cached / name for name in FASHION_MNIST_RAW_MD5}
    searched.append(f"cache {cached} (missing or corrupt: {', '.join(missing)})")

    if downloads_allowed(download):
        try:
            for name in missing:
                _download_verified(name, cached / name)
            return "download", {name: cached / name for name in FASHION_MNIST_RAW_MD5}
        except DataUnavailableError as err:
            reason = f"the download failed ({err})"
    else:
        reason = f"downloads are off ({OFFLINE_ENV} is set or download=False)"
    raise DataUnavailableError(
        _no_data_message(
            "Fashion-MNIST",
            searched,
            reason,
            [
                f"install the Debian package: sudo apt-get install {DEBIAN_PACKAGE}",
                f"put the four files ({', '.join(FASHION_MNIST_RAW_MD5)}) in a folder "
                f"and set {DATA_ENV}=/that/folder",
                f"allow the network download from torchvision's mirrors (unset {OFFLINE_ENV}); "
                f"the files are then cached in {cached}",
            ],
        )
    )


def fashion_mnist_available() -> bool:
    """Whether Fashion-MNIST is on disk (``HWLIB_DATA``, the Debian package or the cache); never downloads.

    The files are checked by md5 when loaded; a corrupt cached file is deleted here.
    """
    try:
        _locate_fashion_mnist(download=False)
    except DataUnavailableError:
        return False
    return True


# --------------------------------------------------------------------------- file formats

_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(data: bytes) -> np.ndarray:
    """Parse an idx file (the MNIST format: big-endian header, then the array) into a NumPy array."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError("not an idx file: the first bytes must be 0, 0, a type code and the rank")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    if len(data) != header + math.prod(shape) * dtype.itemsize:
        raise ValueError(f"idx file is truncated or too long for its shape {shape}")
    array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


_MEMORY: dict[tuple, tuple[np.ndarray, ...]] = {}


def _fashion_mnist_arrays(download: bool | None = None) -> tuple[str, tuple[np.ndarray, ...]]:
    """``(source, (train_x, train_y, test_x, test_y))`` as uint8 arrays, each file verified once."""
    source, files = _locate_fashion_mnist(download)
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files.values())
    if key not in _MEMORY:
        try:
            arrays = [parse_idx(_read_verified(files[name], name)) for name in FASHION_MNIST_RAW_MD5]
        except ChecksumError as err:
            fix = {
                DATA_ENV: f"replace the file with the original or unset {DATA_ENV}",
                "Debian package": f"reinstall it: sudo apt-get install --reinstall {DEBIAN_PACKAGE}",
            }.get(source, "delete it and load again (it is downloaded afresh)")
            raise ChecksumError(f"{err}; found via {source}: {fix}") from err
        train_x, train_y, test_x, test_y = arrays
        for x, y in ((train_x, train_y), (test_x, test_y)):
            if x.ndim != 3 or x.dtype != np.uint8 or y.shape != (x.shape[0],):
                raise ChecksumError(f"unexpected Fashion-MNIST arrays: images {x.shape}, labels {y.shape}")
        _MEMORY[key] = (train_x, train_y, test_x, test_y)
    return source, _MEMORY[key]


# --------------------------------------------------------------------------- CIFAR-10


def _cifar_roots() -> list[tuple[str, Path]]:
    roots = []
    if os.environ.get(DATA_ENV):
        roots.append((DATA_ENV, Path(os.environ[DATA_ENV]).expanduser()))
    roots.append(("cache", _cache_dir()))
    return roots


def _cifar_intact(root: Path) -> bool:
    """True when ``root/cifar-10-batches-py`` holds every batch with torchvision's md5."""
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import check_integrity

    folder = root / CIFAR10.base_folder
    if not folder.is_dir():
        return False
    files = [*CIFAR10.train_list, *CIFAR10.test_list, (CIFAR10.meta["filename"], CIFAR10.meta["md5"])]
    return all(check_integrity(str(folder / name), md5) for name, md5 in files)


def cifar10_available() -> bool:
    """Whether a verified CIFAR-10 copy is on disk (``HWLIB_DATA`` or the cache); never downloads."""
    return any(_cifar_intact(root) for _, root in _cifar_roots())


def _locate_cifar10(download: bool | None = None) -> tuple[str, Path]:
    """``(source, root)`` with ``root/cifar-10-batches-py`` verified, downloading where allowed."""
    from torchvision.datasets import CIFAR10

    for source, root in _cifar_roots():
        if _cifar_intact(root):
            return source, root
    cache = _cache_dir()
    if downloads_allowed(download):
        cache.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
        try:
            with _socket_timeout(DOWNLOAD_TIMEOUT_S):
                CIFAR10(str(tmp), train=True, download=True)  # checks the archive's md5
            shutil.rmtree(cache / CIFAR10.base_folder, ignore_errors=True)
            os.replace(tmp / CIFAR10.base_folder, cache / CIFAR10.base_folder)
            return "download", cache
        except Exception as err:  # noqa: BLE001 - reported below
            reason = f"the download failed ({type(err).__name__}: {err})"
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        reason = f"downloads are off ({OFFLINE_ENV} is set or download=False)"
    searched = [f"{source}: {root / CIFAR10.base_folder}" for source, root in _cifar_roots()]
    raise DataUnavailableError(
        _no_data_message(
            "CIFAR-10",
            searched,
            reason,
            [
                f"unpack the official cifar-10-python.tar.gz into a folder and set {DATA_ENV}=/that/folder "
                f"(it must contain {CIFAR10.base_folder}/)",
                f"allow the network download (unset {OFFLINE_ENV}); it is cached in {cache}",
                "in a chapter: test hwlib.data.cifar10_available() and fall back to Fashion-MNIST, "
                "labelled as a stand-in",
            ],
        )
    )


# --------------------------------------------------------------------------- tensors


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


# --------------------------------------------------------------------------- batches


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


# --------------------------------------------------------------------------- augmentation


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


__all__ = [
    "load",
    "Dataset",
    "Split",
    "DATASETS",
    "load_camera",
    "fashion_mnist_available",
    "cifar10_available",
    "TensorLoader",
    "Augment",
    "random_crop",
    "random_flip",
    "DataUnavailableError",
    "ChecksumError",
    "downloads_allowed",
    "parse_idx",
]
