"""Where hwlib's data files come from, and how a missing one is reported.

The settings every dataset shares: ``HWLIB_DATA`` (a folder of your own copies), ``HWLIB_CACHE``
(where downloads are kept, else ``~/.cache/hwlib``) and ``HWLIB_OFFLINE`` (no downloads; see
:func:`~hwlib.data.downloads_allowed`); md5 sums, the socket timeout of a download, the two errors
(:class:`~hwlib.data.DataUnavailableError`, whose message lists every fix, and
:class:`~hwlib.data.ChecksumError`) and :func:`~hwlib.data.parse_idx`, the reader of the idx format
Fashion-MNIST ships in.
"""

from __future__ import annotations

import hashlib
import math
import os
import socket
from contextlib import contextmanager
from pathlib import Path

import numpy as np

DATA_ENV = "HWLIB_DATA"
CACHE_ENV = "HWLIB_CACHE"
OFFLINE_ENV = "HWLIB_OFFLINE"


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


@contextmanager
def _socket_timeout(seconds: float):
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _no_data_message(what: str, searched: list[str], reason: str, fixes: list[str]) -> str:
    lines = [f"{what} is not available: {reason}.", "Searched:"]
    lines += [f"  - {s}" for s in searched]
    lines.append("Any one of these fixes it:")
    lines += [f"  {i}. {fix}" for i, fix in enumerate(fixes, 1)]
    return "\n".join(lines)


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
