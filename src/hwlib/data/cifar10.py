"""CIFAR-10's files: looked for under ``HWLIB_DATA`` and the cache, verified, downloaded where allowed.

The files are the ``cifar-10-batches-py/`` folder of the official archive, checked with the md5
sums torchvision's ``CIFAR10`` class lists; :func:`~hwlib.data.cifar10_available` says whether a
verified copy is on disk, without downloading.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hwlib.data.files import (
    DATA_ENV,
    DOWNLOAD_TIMEOUT_S,
    OFFLINE_ENV,
    DataUnavailableError,
    _cache_dir,
    _no_data_message,
    _socket_timeout,
    downloads_allowed,
)


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
