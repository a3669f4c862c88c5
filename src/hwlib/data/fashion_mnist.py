"""Fashion-MNIST's files: where they are looked for, how they are checked and fetched, and parsed.

``_locate_fashion_mnist`` searches ``HWLIB_DATA``, the Debian package ``dataset-fashion-mnist``
(``SYSTEM_DIRS``) and the cache, and else downloads from torchvision's mirrors (through
``_fetch``, the one place that touches the network). Every file is checked by md5, gzip or
decompressed; the four arrays are parsed once per set of files and kept in memory.
:func:`~hwlib.data.fashion_mnist_available` says whether a copy is on disk.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from hwlib.data.files import (
    DATA_ENV,
    DOWNLOAD_TIMEOUT_S,
    OFFLINE_ENV,
    ChecksumError,
    DataUnavailableError,
    _cache_dir,
    _md5,
    _no_data_message,
    _socket_timeout,
    downloads_allowed,
    parse_idx,
)

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
