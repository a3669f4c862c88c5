"""hwlib.data, details the mutation tests found unchecked: cache folders, the offline switch, every
error message, the idx type codes, the exact statistics, the defaults of the loaders and transforms.

Every expectation comes from the documented behaviour or is computed here independently
(hashlib, gzip, NumPy, torch.nn.functional, hand-counted values). No test touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from hwlib import data
from hwlib.data import (
    FASHION_MNIST_GZ_MD5,
    FASHION_MNIST_RAW_MD5,
    Augment,
    ChecksumError,
    Dataset,
    DataUnavailableError,
    Split,
    TensorLoader,
    load,
    load_camera,
    parse_idx,
    random_crop,
    random_flip,
)

NAMES = list(FASHION_MNIST_RAW_MD5)


def md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


def idx(array: np.ndarray, code: int) -> bytes:
    """An idx file: 0, 0, the type code, the rank, the big-endian sizes, the big-endian values."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No HWLIB_DATA, an empty system folder, a private cache, no network, no memory cache."""
    monkeypatch.delenv("HWLIB_DATA", raising=False)
    monkeypatch.delenv("HWLIB_OFFLINE", raising=False)
    monkeypatch.setenv("HWLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(data.fashion_mnist, "SYSTEM_DIRS", (tmp_path / "system",))

    def no_network(url, folder, filename, md5):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(data.fashion_mnist, "_fetch", no_network)
    monkeypatch.setattr(data.fashion_mnist, "_MEMORY", {})
    return tmp_path


@pytest.fixture
def fake_files(monkeypatch):
    """Tiny Fashion-MNIST files: ``{name: (raw idx bytes, gzip bytes)}``, md5 tables patched to them."""
    rng = np.random.default_rng(5)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": np.arange(12, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.arange(6, dtype=np.uint8) % 10,
    }
    files = {}
    for name, a in arrays.items():
        raw = idx(a, 0x08)
        gz = gzip.compress(raw, mtime=0)
        monkeypatch.setitem(FASHION_MNIST_RAW_MD5, name, md5(raw))
        monkeypatch.setitem(FASHION_MNIST_GZ_MD5, name, md5(gz))
        files[name] = (raw, gz)
    return files


def write(folder: Path, files: dict, raw: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (r, g) in files.items():
        if raw:
            (folder / name.removesuffix(".gz")).write_bytes(r)
        else:
            (folder / name).write_bytes(g)
    return folder


# --------------------------------------------------------------------------- cache folder and offline switch


def test_cache_dir_order(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HWLIB_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert data._cache_dir() == tmp_path / "home" / ".cache" / "hwlib"
    monkeypatch.setenv("XDG_CACHE_HOME", "~/xdg")
    assert data._cache_dir() == tmp_path / "home" / "xdg" / "hwlib"
    monkeypatch.setenv("HWLIB_CACHE", "~/mine")
    assert data._cache_dir() == tmp_path / "home" / "mine"
    monkeypatch.setenv("HWLIB_CACHE", "")  # empty counts as unset
    assert data._cache_dir() == tmp_path / "home" / "xdg" / "hwlib"


@pytest.mark.parametrize(
    "value, allowed",
    [("", True), ("0", True), (" FALSE ", True), ("no", True), ("No", True), ("1", False), ("yes", False)],
)
def test_offline_values(monkeypatch, value, allowed):
    monkeypatch.setenv("HWLIB_OFFLINE", value)
    assert data.downloads_allowed() is allowed
    assert data.downloads_allowed(None) is allowed
    assert data.downloads_allowed(1) is True and data.downloads_allowed(0) is False


def test_offline_unset_allows(monkeypatch):
    monkeypatch.delenv("HWLIB_OFFLINE", raising=False)
    assert data.downloads_allowed() is True


def test_md5_is_hashlibs():
    assert data._md5(b"hwlib") == hashlib.md5(b"hwlib").hexdigest()


# --------------------------------------------------------------------------- checksums and files


def test_read_verified_messages_and_check_only(tmp_path, fake_files):
    name = "t10k-labels-idx1-ubyte.gz"
    raw, gz = fake_files[name]
    (tmp_path / "f.gz").write_bytes(gz)
    (tmp_path / "f").write_bytes(raw)
    (tmp_path / "re.gz").write_bytes(gzip.compress(raw, compresslevel=1, mtime=9))
    for f in ("f.gz", "f", "re.gz"):
        assert data._read_verified(tmp_path / f, name) == raw
        assert data._read_verified(tmp_path / f, name, decompress=False) is None
        assert data._read_verified(str(tmp_path / f), name) == raw  # a str path works too
    (tmp_path / "cut.gz").write_bytes(gz[: len(gz) // 2])
    with pytest.raises(ChecksumError, match=r"cut\.gz: not a valid gzip file \(.+\)$"):
        data._read_verified(tmp_path / "cut.gz", name)
    (tmp_path / "other").write_bytes(raw + b"\x00")
    with pytest.raises(
        ChecksumError,
        match=r"other: md5 does not match the Fashion-MNIST file t10k-labels-idx1-ubyte\.gz "
        r"\(corrupt or a different file\)$",
    ):
        data._read_verified(tmp_path / "other", name)
    # a gzip file of the wrong bytes: decompressed, then rejected by the raw md5
    (tmp_path / "wrong.gz").write_bytes(gzip.compress(raw + b"\x00"))
    with pytest.raises(ChecksumError, match="md5 does not match"):
        data._read_verified(tmp_path / "wrong.gz", name, decompress=False)
    # bytes starting with only one of the two gzip magic bytes are not gzip
    (tmp_path / "half").write_bytes(b"\x1f\x00" + raw)
    with pytest.raises(ChecksumError, match="md5 does not match"):
        data._read_verified(tmp_path / "half", name)


def test_find_files_takes_gz_or_decompressed(tmp_path, fake_files):
    assert data._find_files(tmp_path / "nowhere") is None
    flat = write(tmp_path / "raw", fake_files, raw=True)
    assert data._find_files(flat) == {n: flat / n.removesuffix(".gz") for n in NAMES}
    both = write(write(tmp_path / "both", fake_files, raw=True), fake_files)
    assert data._find_files(both) == {n: both / n for n in NAMES}  # the .gz name is looked at first
    (flat / NAMES[3].removesuffix(".gz")).unlink()
    assert data._find_files(flat) is None
    (tmp_path / "dir" / NAMES[0]).mkdir(parents=True)  # a folder of that name is not a file
    assert data._find_files(tmp_path / "dir") is None


def test_socket_timeout_is_set_then_restored():
    before = socket.getdefaulttimeout()
    with data._socket_timeout(12.5):
        assert socket.getdefaulttimeout() == 12.5
    assert socket.getdefaulttimeout() == before
    with pytest.raises(KeyError), data._socket_timeout(3.0):
        raise KeyError
    assert socket.getdefaulttimeout() == before


def test_fetch_calls_torchvision_with_a_timeout(monkeypatch, tmp_path):
    import torchvision.datasets.utils

    seen = []

    def download_url(url, root, filename=None, md5=None):
        seen.append((url, root, filename, md5, socket.getdefaulttimeout()))

    monkeypatch.setattr(torchvision.datasets.utils, "download_url", download_url)
    data._fetch("http://x/y.gz", tmp_path, "y.gz", "abc")
    assert seen == [("http://x/y.gz", str(tmp_path), "y.gz", "abc", 30.0)]
    assert data.DOWNLOAD_TIMEOUT_S == 30.0


def test_download_verified_tries_every_mirror_and_reports_each(monkeypatch, tmp_path, fake_files):
    from torchvision.datasets import FashionMNIST

    name = NAMES[1]
    monkeypatch.setattr(FashionMNIST, "mirrors", ["http://a/", "http://b/"])
    calls = []

    def fail(url, folder, filename, md5):
        calls.append((url, filename, md5))
        raise OSError(f"down {url}")

    monkeypatch.setattr(data.fashion_mnist, "_fetch", fail)
    dest = tmp_path / "deep" / "er" / name
    with pytest.raises(DataUnavailableError) as err:
        data._download_verified(name, dest)
    assert str(err.value) == (
        f"http://a/: OSError: down http://a/{name}; http://b/: OSError: down http://b/{name}"
    )
    assert calls == [(f"http://{m}/{name}", name, FASHION_MNIST_GZ_MD5[name]) for m in "ab"]
    assert list(dest.parent.iterdir()) == []  # the folder was made, no temporary folder left

    def second_works(url, folder, filename, md5):
        calls.append(url)
        # each try downloads into its own temporary folder beside the destination
        assert Path(folder).parent == dest.parent and Path(folder).name.startswith(".download-")
        if url.startswith("http://a/"):
            (Path(folder) / filename).write_bytes(b"garbage")  # fails our own md5 check
        else:
            (Path(folder) / filename).write_bytes(fake_files[filename][1])

    monkeypatch.setattr(data.fashion_mnist, "_fetch", second_works)
    calls.clear()
    data._download_verified(name, dest)
    assert dest.read_bytes() == fake_files[name][1] and len(calls) == 2
    assert [p.name for p in dest.parent.iterdir()] == [name]


def test_no_data_message_layout():
    text = data._no_data_message("Thing", ["here", "there"], "it is gone", ["do a", "do b"])
    assert text == (
        "Thing is not available: it is gone.\n"
        "Searched:\n"
        "  - here\n"
        "  - there\n"
        "Any one of these fixes it:\n"
        "  1. do a\n"
        "  2. do b"
    )


def test_fashion_mnist_error_lists_what_was_searched(isolated, monkeypatch):
    tmp = isolated
    monkeypatch.setenv("HWLIB_OFFLINE", "1")
    with pytest.raises(DataUnavailableError) as err:
        data._locate_fashion_mnist()
    cache = tmp / "cache" / "fashion-mnist"
    assert str(err.value) == (
        "Fashion-MNIST is not available: downloads are off (HWLIB_OFFLINE is set or download=False).\n"
        "Searched:\n"
        "  - HWLIB_DATA (not set)\n"
        f"  - {tmp / 'system'} (Debian package dataset-fashion-mnist: not installed)\n"
        f"  - cache {cache} (missing or corrupt: {', '.join(NAMES)})\n"
        "Any one of these fixes it:\n"
        "  1. install the Debian package: sudo apt-get install dataset-fashion-mnist\n"
        f"  2. put the four files ({', '.join(NAMES)}) in a folder and set HWLIB_DATA=/that/folder\n"
        "  3. allow the network download from torchvision's mirrors (unset HWLIB_OFFLINE); "
        f"the files are then cached in {cache}"
    )
    monkeypatch.setenv("HWLIB_DATA", "~/nothing-here")
    monkeypatch.setenv("HOME", str(tmp / "home"))
    with pytest.raises(DataUnavailableError) as err:
        data._locate_fashion_mnist(download=False)
    assert (
        f"  - HWLIB_DATA={tmp / 'home' / 'nothing-here'} "
        "(no Fashion-MNIST files in it or in fashion-mnist/)\n" in str(err.value)
    )
    monkeypatch.delenv("HWLIB_OFFLINE")
    with pytest.raises(
        DataUnavailableError, match=r"the download failed \(.*network is unreachable \(test\)\)"
    ):
        data._locate_fashion_mnist()


@pytest.mark.parametrize("sub", [".", "fashion-mnist", "FashionMNIST/raw"])
def test_hwlib_data_subfolders(isolated, monkeypatch, fake_files, sub):
    root = isolated / "user"
    folder = write(root / sub, fake_files, raw=True)
    monkeypatch.setenv("HWLIB_DATA", str(root))
    source, files = data._locate_fashion_mnist(download=False)
    assert source == "HWLIB_DATA" and files == {n: folder / n.removesuffix(".gz") for n in NAMES}


def test_hwlib_data_expands_the_home_folder(isolated, monkeypatch, fake_files):
    write(isolated / "home" / "fm", fake_files)
    monkeypatch.setenv("HOME", str(isolated / "home"))
    monkeypatch.setenv("HWLIB_DATA", "~/fm")
    assert data._locate_fashion_mnist(download=False)[0] == "HWLIB_DATA"
    assert data.fashion_mnist_available()


def test_every_system_folder_is_tried(isolated, monkeypatch, fake_files):
    second = write(isolated / "second", fake_files)
    monkeypatch.setattr(data.fashion_mnist, "SYSTEM_DIRS", (isolated / "first", second))
    assert data._locate_fashion_mnist(download=False) == ("Debian package", {n: second / n for n in NAMES})
    assert data.SYSTEM_DIRS != ()


def test_cache_and_download_paths(isolated, monkeypatch, fake_files):
    cache = isolated / "cache" / "fashion-mnist"
    write(cache, {n: fake_files[n] for n in NAMES[:2]})  # two files cached, two missing
    fetched = []

    def fetch(url, folder, filename, md5):
        fetched.append(filename)
        (Path(folder) / filename).write_bytes(fake_files[filename][1])

    monkeypatch.setattr(data.fashion_mnist, "_fetch", fetch)
    with pytest.raises(DataUnavailableError, match=f"missing or corrupt: {NAMES[2]}, {NAMES[3]}\\)"):
        data._locate_fashion_mnist(download=False)
    assert fetched == []
    assert data._locate_fashion_mnist(download=True) == ("download", {n: cache / n for n in NAMES})
    assert fetched == NAMES[2:]  # only the missing ones
    assert data._locate_fashion_mnist(download=False) == ("cache", {n: cache / n for n in NAMES})


def test_corrupt_cache_warning_text(isolated, monkeypatch, fake_files):
    cache = write(isolated / "cache" / "fashion-mnist", fake_files)
    (cache / NAMES[0]).write_bytes(b"\x1f\x8bbroken")
    with pytest.warns(UserWarning, match=rf"^deleting a corrupt cached file: .*{NAMES[0]}: not a valid gzip"):
        assert not data.fashion_mnist_available()
    assert not (cache / NAMES[0]).exists()


# --------------------------------------------------------------------------- idx format


@pytest.mark.parametrize(
    "code, dtype",
    [(0x08, "u1"), (0x09, "i1"), (0x0B, ">i2"), (0x0C, ">i4"), (0x0D, ">f4"), (0x0E, ">f8")],
)
def test_parse_idx_type_codes(code, dtype):
    a = (
        (np.arange(24).reshape(2, 3, 4) - 7).astype(np.dtype(dtype).newbyteorder("="))
        if "u" not in dtype
        else (np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    )
    out = parse_idx(idx(a, code))
    assert out.dtype == np.dtype(dtype).newbyteorder("=") and out.dtype.isnative
    assert np.array_equal(out, a) and out.shape == (2, 3, 4) and out.flags.writeable


@pytest.mark.parametrize(
    "blob",
    [b"", b"\x00\x00\x08"]  # too short for a header
    + [
        h + bytes(16)
        for h in (b"\x01\x00\x08\x01", b"\x00\x01\x08\x01", b"\x00\x00\x0a\x01", b"\x00\x00\x07\x01")
    ],
)
def test_parse_idx_rejects_bad_headers(blob):
    with pytest.raises(
        ValueError, match=r"^not an idx file: the first bytes must be 0, 0, a type code and the rank$"
    ):
        parse_idx(blob)


def test_parse_idx_size_check():
    good = idx(np.arange(6, dtype=np.int32).reshape(2, 3), 0x0C)
    assert parse_idx(good).tolist() == [[0, 1, 2], [3, 4, 5]]
    for blob in (good[:-1], good + b"\x00"):
        with pytest.raises(ValueError, match=r"^idx file is truncated or too long for its shape \(2, 3\)$"):
            parse_idx(blob)
    assert parse_idx(bytes([0, 0, 8, 0, 42])).tolist() == 42  # rank 0: one value, no sizes
    # a whole header of rank 0 without its value is a truncated file, not a bad header
    with pytest.raises(ValueError, match=r"^idx file is truncated or too long for its shape \(\)$"):
        parse_idx(bytes([0, 0, 8, 0]))
    assert parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 0])).shape == (0,)


# --------------------------------------------------------------------------- arrays in memory


@pytest.mark.parametrize(
    "where, fix",
    [
        ("HWLIB_DATA", "replace the file with the original or unset HWLIB_DATA"),
        ("Debian package", "reinstall it: sudo apt-get install --reinstall dataset-fashion-mnist"),
        ("cache", "delete it and load again (it is downloaded afresh)"),
    ],
)
def test_a_file_that_goes_bad_after_location_names_the_fix(isolated, monkeypatch, fake_files, where, fix):
    folder = write(isolated / "f", fake_files)
    monkeypatch.setattr(
        data.fashion_mnist, "_locate_fashion_mnist", lambda download=None: (where, data._find_files(folder))
    )
    (folder / NAMES[2]).write_bytes(fake_files[NAMES[2]][0] + b"\x00")  # wrong bytes
    with pytest.raises(ChecksumError, match=rf"\(corrupt or a different file\); found via {where}: ") as err:
        data._fashion_mnist_arrays()
    assert str(err.value).endswith(f"; found via {where}: {fix}")


def test_fashion_mnist_arrays_are_the_files(isolated, monkeypatch, fake_files):
    monkeypatch.setenv("HWLIB_DATA", str(write(isolated / "u", fake_files)))
    source, arrays = data._fashion_mnist_arrays(download=False)
    assert source == "HWLIB_DATA" and len(arrays) == 4
    for name, a in zip(NAMES, arrays, strict=True):
        raw = fake_files[name][0]
        assert np.array_equal(a.reshape(-1), np.frombuffer(raw, np.uint8, offset=len(raw) - a.size))


def test_two_label_files_of_the_wrong_length(isolated, monkeypatch, fake_files):
    raw = idx(np.zeros(11, np.uint8), 0x08)  # 12 train images, 11 labels
    fake_files = dict(fake_files)
    name = "train-labels-idx1-ubyte.gz"
    fake_files[name] = (raw, gzip.compress(raw, mtime=0))
    monkeypatch.setitem(FASHION_MNIST_RAW_MD5, name, md5(raw))
    monkeypatch.setitem(FASHION_MNIST_GZ_MD5, name, md5(fake_files[name][1]))
    monkeypatch.setenv("HWLIB_DATA", str(write(isolated / "u", fake_files)))
    with pytest.raises(
        ChecksumError, match=r"^unexpected Fashion-MNIST arrays: images \(12, 28, 28\), labels \(11,\)$"
    ):
        load("fashion_mnist")


def test_fashion_mnist_dataset_record(isolated, monkeypatch, fake_files):
    monkeypatch.setenv("HWLIB_DATA", str(write(isolated / "u", fake_files)))
    ds = load("fashion_mnist", val=2, seed=3, normalize=False)
    assert ds.name == "fashion_mnist" and ds.classes == data.FASHION_MNIST_CLASSES
    assert ds.classes[0] == "T-shirt/top" and len(ds.classes) == 10
    assert ds.train.y.dtype == torch.int64 and ds.test.x.shape == (6, 1, 28, 28)
    images = np.frombuffer(fake_files[NAMES[2]][0], np.uint8, offset=16).reshape(6, 28, 28)
    assert torch.allclose(ds.test.x[:, 0], torch.from_numpy(images / 255).float(), rtol=1e-6, atol=0)


# --------------------------------------------------------------------------- CIFAR-10 bits


def test_cifar_roots(monkeypatch, tmp_path):
    monkeypatch.setenv("HWLIB_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    monkeypatch.delenv("HWLIB_DATA", raising=False)
    assert data._cifar_roots() == [("cache", tmp_path / "c")]
    monkeypatch.setenv("HWLIB_DATA", "~/d")
    assert data._cifar_roots() == [("HWLIB_DATA", tmp_path / "h" / "d"), ("cache", tmp_path / "c")]


def test_cifar_intact_needs_the_folder(tmp_path):
    assert data._cifar_intact(tmp_path) is False
    (tmp_path / "cifar-10-batches-py").write_text("a file, not a folder")
    assert data._cifar_intact(tmp_path) is False


def test_cifar10_offline_message(isolated, monkeypatch):
    tmp = isolated
    monkeypatch.setenv("HWLIB_DATA", str(tmp / "user"))
    with pytest.raises(DataUnavailableError) as err:
        load("cifar10", download=False)
    assert str(err.value) == (
        "CIFAR-10 is not available: downloads are off (HWLIB_OFFLINE is set or download=False).\n"
        "Searched:\n"
        f"  - HWLIB_DATA: {tmp / 'user' / 'cifar-10-batches-py'}\n"
        f"  - cache: {tmp / 'cache' / 'cifar-10-batches-py'}\n"
        "Any one of these fixes it:\n"
        "  1. unpack the official cifar-10-python.tar.gz into a folder and set HWLIB_DATA=/that/folder "
        "(it must contain cifar-10-batches-py/)\n"
        f"  2. allow the network download (unset HWLIB_OFFLINE); it is cached in {tmp / 'cache'}\n"
        "  3. in a chapter: test hwlib.data.cifar10_available() and fall back to Fashion-MNIST, "
        "labelled as a stand-in"
    )


def test_cifar10_download_sets_a_socket_timeout(isolated, monkeypatch):
    import torchvision.datasets

    seen = []

    class Fake:
        base_folder = "cifar-10-batches-py"

        def __init__(self, root, train=True, download=False):
            seen.append((train, download, socket.getdefaulttimeout()))
            raise OSError("no (test)")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", Fake)
    with pytest.raises(DataUnavailableError, match=r"the download failed \(OSError: no \(test\)\)"):
        data._locate_cifar10(download=True)
    assert seen == [(True, True, 30.0)]
    assert (isolated / "cache").is_dir() and list((isolated / "cache").iterdir()) == []


# --------------------------------------------------------------------------- Split and Dataset


def test_split_messages():
    x, y = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    for bad in ((x.numpy(), y), (x, y.numpy())):
        with pytest.raises(
            TypeError, match=r"^Split\(x, y\) takes two tensors; convert with torch.as_tensor first$"
        ):
            Split(*bad)
    for bx, by in ((x, y[:3]), (x[:, 0], y), (x, y[:, None])):
        with pytest.raises(ValueError) as err:
            Split(bx, by)
        assert str(err.value) == (
            "Split needs x of shape (N, ...) and y of shape (N,), "
            f"got {tuple(bx.shape)} and {tuple(by.shape)}"
        )
    with pytest.raises(
        ValueError, match=r"^labels must be int64 class indices, got torch.int32: use y.long\(\)$"
    ):
        Split(x, y.int())
    assert len(Split(torch.zeros(1, 1), torch.zeros(1, dtype=torch.long))) == 1


def test_take_bounds_and_seeded_draw():
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    s = Split(x, y)
    assert s.take(10).y.tolist() == list(range(10)) and s.take(1).y.tolist() == [0]
    for bad in (0, 11, -1):
        with pytest.raises(ValueError, match=rf"^n must be in 1\.\.10, got {bad}$"):
            s.take(bad)
    ref = torch.randperm(10, generator=torch.Generator().manual_seed(4))[:3]
    picked = s.take(3, seed=4)
    assert picked.y.tolist() == ref.tolist() and torch.equal(picked.x[:, 0], ref.float())
    assert (
        s.take(3, seed=0).y.tolist()
        == torch.randperm(10, generator=torch.Generator().manual_seed(0))[:3].tolist()
    )
    assert s.device == torch.device("cpu")


def test_dataset_defaults_and_denormalize():
    s = Split(torch.zeros(2, 3, 2, 2), torch.zeros(2, dtype=torch.long))
    ds = Dataset("d", s, None, s, ("a", "b"))
    assert (ds.mean, ds.std, ds.source, ds.notes) == ((0.0,), (1.0,), "", {})
    assert ds.num_classes == 2 and ds.input_shape == (3, 2, 2)
    ds = Dataset("d", s, None, s, ("a",), mean=(1.0, 2.0, 3.0), std=(2.0, 4.0, 8.0))
    batch = torch.ones(2, 3, 2, 2)
    expected = torch.tensor([3.0, 6.0, 11.0]).view(1, 3, 1, 1).expand(2, 3, 2, 2)
    assert torch.equal(ds.denormalize(batch), expected)
    assert torch.equal(ds.denormalize(torch.ones(3, 2, 2)), expected[0])  # one image (C, H, W)
    assert ds.denormalize(batch.double()).dtype == torch.float64


def test_dataset_to_keeps_fields():
    s = Split(torch.zeros(2, 1, 2, 2), torch.zeros(2, dtype=torch.long))
    ds = Dataset("n", s, s, s, ("a",), mean=(0.5,), std=(0.25,), source="src", notes={"k": 1})
    moved = ds.to("cpu")
    assert (moved.name, moved.classes, moved.mean, moved.std, moved.source, moved.notes) == (
        "n",
        ("a",),
        (0.5,),
        (0.25,),
        "src",
        {"k": 1},
    )
    assert moved.val is not None and len(moved.val) == 2


# --------------------------------------------------------------------------- statistics and assembly


def test_channel_stats_are_exact():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (5, 3, 4, 4), dtype=np.uint8)
    images[0, 0, 0, 0] = 255  # the top value is counted
    mean, std = data._channel_stats(torch.from_numpy(images))
    flat = images.transpose(1, 0, 2, 3).reshape(3, -1).astype(np.float64)
    assert mean.dtype == torch.float64 and std.dtype == torch.float64
    np.testing.assert_allclose(mean.numpy(), flat.mean(1), rtol=1e-14)
    np.testing.assert_allclose(std.numpy(), flat.std(1, ddof=1), rtol=1e-14)  # sample std (N - 1)


def assemble(train_x, test_x, **kw):
    args = {"levels": 4, "val": 0, "seed": 0, "normalize": True, "device": None, "source": "s"}
    args.update(kw)
    return data._assemble(
        "t",
        train_x,
        torch.arange(len(train_x)),
        test_x,
        torch.arange(len(test_x)),
        ("c",),
        **args,
    )


def test_assemble_standardises_with_the_training_statistics():
    train_x = torch.tensor([0, 1, 2, 3, 4, 4], dtype=torch.uint8).view(6, 1, 1, 1)
    test_x = torch.tensor([2, 4], dtype=torch.uint8).view(2, 1, 1, 1)
    ds = assemble(train_x, test_x)
    pixels = np.array([0, 1, 2, 3, 4, 4]) / 4
    m, s = pixels.mean(), pixels.std(ddof=1)
    assert ds.mean == pytest.approx((m,), rel=1e-12) and ds.std == pytest.approx((s,), rel=1e-12)
    np.testing.assert_allclose(ds.test.x.view(-1).numpy(), (np.array([2, 4]) / 4 - m) / s, rtol=1e-6)
    assert ds.test.x.dtype == torch.float32 and ds.test.y.dtype == torch.int64
    assert ds.notes == {"seed": 0, "val": 0, "normalized": True} and ds.source == "s" and ds.name == "t"
    plain = assemble(train_x, test_x, normalize=False)
    assert plain.mean == (0.0,) and plain.std == (1.0,)
    assert plain.test.x.view(-1).tolist() == [0.5, 1.0] and plain.notes["normalized"] is False


def test_assemble_val_fractions_and_counts():
    train_x = torch.zeros(10, 1, 1, 1, dtype=torch.uint8)
    test_x = torch.zeros(1, 1, 1, 1, dtype=torch.uint8)
    kw = {"normalize": False}
    assert len(assemble(train_x, test_x, val=0.25, **kw).val) == round(2.5)  # Python's round: 2
    assert len(assemble(train_x, test_x, val=0.35, **kw).val) == 4
    assert len(assemble(train_x, test_x, val=9, **kw).val) == 9
    assert assemble(train_x, test_x, val=0.0, **kw).val is None
    assert assemble(train_x, test_x, val=0.04, **kw).val is None  # rounds to no example
    for bad in (1.0, -0.1, 1.5, 10, -1, 0.96):
        with pytest.raises(
            ValueError, match=rf"^val must be a fraction in \[0, 1\) or a count in 0\.\.9, got {bad!r}$"
        ):
            assemble(train_x, test_x, val=bad, **kw)


def test_assemble_val_split_is_the_seeded_permutation():
    train_x = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1)
    test_x = torch.zeros(1, 1, 1, 1, dtype=torch.uint8)
    ds = assemble(train_x, test_x, val=3, seed=5, normalize=False, levels=1)
    order = torch.randperm(10, generator=torch.Generator().manual_seed(5))
    assert ds.val.y.tolist() == order[:3].tolist() and ds.train.y.tolist() == order[3:].tolist()
    assert ds.val.x.view(-1).tolist() == order[:3].float().tolist()
    assert ds.notes == {"seed": 5, "val": 3, "normalized": False}


def test_assemble_moves_to_the_device():
    x = torch.zeros(4, 1, 1, 1, dtype=torch.uint8)
    ds = assemble(x, x, device="meta", normalize=False)
    assert ds.train.x.device.type == "meta" and ds.test.y.device.type == "meta"


def test_digits_record():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    ds = load("digits", val=0, normalize=False)
    order = torch.randperm(1797, generator=torch.Generator().manual_seed(2024))
    assert data.DIGITS_TEST_SEED == 2024
    assert ds.test.y.tolist() == bunch.target[order[:359].numpy()].tolist()
    # the training part keeps the order of the val-split permutation (seed 0, nothing taken out)
    train_order = order[359:][torch.randperm(1438, generator=torch.Generator().manual_seed(0))]
    assert ds.train.y.tolist() == bunch.target[train_order.numpy()].tolist()
    assert torch.equal(ds.test.x[:, 0] * 16, torch.from_numpy(bunch.images[order[:359].numpy()]).float())
    assert ds.classes == tuple(str(i) for i in range(10)) and ds.source == "scikit-learn"
    assert ds.name == "digits" and ds.input_shape == (1, 8, 8)


def test_load_defaults_and_unknown_name():
    ds = load("digits")
    assert ds.notes == {"seed": 0, "val": round(0.1 * 1438), "normalized": True}
    assert ds.train.x.device.type == "cpu"
    with pytest.raises(
        KeyError, match=r"unknown dataset 'mnist'; choose one of cifar10, digits, fashion_mnist"
    ):
        load("mnist")
    assert set(data.DATASETS) == {"fashion_mnist", "cifar10", "digits"}


# --------------------------------------------------------------------------- camera


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "8"])
def test_load_camera_rejects(bad):
    with pytest.raises(ValueError, match=rf"^size must be a positive int \(pixels per side\), got {bad!r}$"):
        load_camera(bad)


def test_load_camera_small_sizes():
    import skimage.data
    import skimage.transform

    one = load_camera(1)
    assert one.shape == (1, 1) and one.dtype == torch.float32
    ref = skimage.transform.resize(skimage.data.camera() / 255.0, (8, 8), anti_aliasing=True)
    assert torch.allclose(load_camera(8), torch.from_numpy(ref).float(), atol=1e-6)


# --------------------------------------------------------------------------- loader


def test_tensor_loader_defaults():
    x, y = torch.arange(300.0)[:, None], torch.arange(300)
    loader = TensorLoader((x, y))
    assert loader.batch_size == 128 and loader.shuffle is True and loader.drop_last is False
    assert loader.transform is None and len(loader) == 3
    ref = torch.randperm(300, generator=torch.Generator().manual_seed(0))
    got = torch.cat([yb for _, yb in loader])
    assert got.tolist() == ref.tolist()  # seed 0 by default, batches are slices of one permutation
    assert [len(b) for _, b in loader] == [128, 128, 44]


def test_tensor_loader_keeps_the_shape_and_order():
    x = torch.arange(5 * 2 * 3.0).view(5, 2, 3)
    y = torch.arange(5)
    for xb, yb in TensorLoader(Split(x, y), 2, seed=1):
        assert xb.shape[1:] == (2, 3) and torch.equal(xb, x[yb])
    plain = list(TensorLoader((x, y), 2, shuffle=False))
    assert [b.tolist() for _, b in plain] == [[0, 1], [2, 3], [4]]
    assert torch.equal(plain[2][0], x[4:])
    assert (
        len(TensorLoader((x, y), 5, drop_last=True)) == 1
        and len(TensorLoader((x, y), 6, drop_last=True)) == 0
    )
    assert len(TensorLoader((x, y), 2, shuffle=False, drop_last=True)) == 2
    seen = []
    list(TensorLoader((x, y), 2, shuffle=True, transform=lambda b: seen.append(b.shape) or b))
    assert seen == [(2, 2, 3), (2, 2, 3), (1, 2, 3)]


@pytest.mark.parametrize("bad", [0, -1, 2.0, "4"])
def test_tensor_loader_rejects_batch_sizes(bad):
    with pytest.raises(ValueError, match=rf"^batch_size must be a positive int, got {bad!r}$"):
        TensorLoader((torch.zeros(2, 1), torch.zeros(2, dtype=torch.long)), bad)


# --------------------------------------------------------------------------- augmentation


@pytest.mark.parametrize("fn", [random_crop, random_flip])
def test_transforms_name_themselves_in_the_shape_error(fn):
    with pytest.raises(
        ValueError,
        match=rf"^{fn.__name__} expects an image batch of shape \(N, C, H, W\), got \(2, 3\); "
        r"apply it before flattening \(an MLP flattens inside the model\)$",
    ):
        fn(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"got list; apply it"):
        fn([1.0])


def test_random_crop_against_a_padded_reference():
    x = torch.arange(2 * 2 * 3 * 4, dtype=torch.float32).view(2, 2, 3, 4) + 1
    g = torch.Generator().manual_seed(7)
    out = random_crop(x, padding=1, generator=g)
    offsets = torch.randint(0, 3, (2, 2), generator=torch.Generator().manual_seed(7))
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1))
    for i in range(2):
        r, c = offsets[i].tolist()
        assert torch.equal(out[i], padded[i, :, r : r + 3, c : c + 4])
    with pytest.raises(ValueError, match=r"^padding must be a non-negative int, got 1\.5$"):
        random_crop(x, padding=1.5)
    with pytest.raises(ValueError, match=r"^fill must be one value or one per channel \(2\), got 3 values$"):
        random_crop(x, padding=1, fill=[1.0, 2.0, 3.0])


def test_random_crop_default_padding_is_four():
    x = torch.ones(64, 1, 2, 2)
    out = random_crop(x, generator=torch.Generator().manual_seed(0))
    offsets = torch.randint(0, 9, (64, 2), generator=torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for i in range(64):
        r, c = offsets[i].tolist()
        assert torch.equal(out[i], padded[i, :, r : r + 2, c : c + 2])


def test_random_crop_global_generator():
    x = torch.arange(16.0).view(1, 1, 4, 4) + 1
    torch.manual_seed(11)
    out = random_crop(x, padding=2)
    torch.manual_seed(11)
    r, c = torch.randint(0, 5, (1, 2)).view(-1).tolist()
    assert torch.equal(out[0], torch.nn.functional.pad(x, (2, 2, 2, 2))[0, :, r : r + 4, c : c + 4])


def test_random_flip_draws_and_bounds():
    batch = torch.arange(8 * 3.0).view(8, 1, 1, 3)
    out = random_flip(batch, p=0.3, generator=torch.Generator().manual_seed(2))
    flip = torch.rand(8, generator=torch.Generator().manual_seed(2)) < 0.3
    assert torch.equal(out, torch.where(flip[:, None, None, None], batch.flip(-1), batch))
    default = random_flip(batch, generator=torch.Generator().manual_seed(2))
    flip = torch.rand(8, generator=torch.Generator().manual_seed(2)) < 0.5
    assert torch.equal(default, torch.where(flip[:, None, None, None], batch.flip(-1), batch))
    for bad in (-0.1, 1.1):
        with pytest.raises(ValueError, match=rf"^p must be a probability in \[0, 1\], got {bad!r}$"):
            random_flip(batch, p=bad)
    torch.manual_seed(3)
    g = random_flip(batch)
    torch.manual_seed(3)
    flip = torch.rand(8) < 0.5
    assert torch.equal(g, torch.where(flip[:, None, None, None], batch.flip(-1), batch))


def test_augment_defaults_and_order():
    a = Augment()
    assert (a.padding, a.flip, a.fill) == (4, True, 0.0) and repr(a) == "Augment(padding=4, flip=True)"
    batch = torch.arange(4 * 2 * 3.0).view(4, 1, 2, 3) + 1
    out = Augment(padding=2, flip=True, seed=9, fill=-1.0)(batch)
    g = torch.Generator().manual_seed(9)
    ref = random_flip(random_crop(batch, 2, generator=g, fill=-1.0), generator=g)
    assert torch.equal(out, ref)
    out = Augment(seed=0)(batch)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(out, random_flip(random_crop(batch, 4, generator=g), generator=g))
    no_crop = Augment(padding=0, flip=True, seed=1)(batch)
    assert torch.equal(no_crop, random_flip(batch, generator=torch.Generator().manual_seed(1)))
    no_flip = Augment(padding=1, flip=False, seed=1)(batch)
    assert torch.equal(no_flip, random_crop(batch, 1, generator=torch.Generator().manual_seed(1)))
    assert repr(Augment(padding=0, flip=False)) == "Augment(padding=0, flip=False)"


def test_augmentation_stays_on_the_batch_device_and_dtype():
    # the meta device stands in for a GPU: every index and mask must be made where the batch is
    batch = torch.zeros(3, 2, 4, 5, device="meta")
    for out in (random_crop(batch, 2), random_crop(batch, 1, fill=[1.0, 2.0]), random_flip(batch)):
        assert out.device.type == "meta" and out.shape == (3, 2, 4, 5)
    assert Augment(padding=2)(batch).device.type == "meta"
    double = torch.rand(2, 3, 4, 4, dtype=torch.float64) + 1
    out = random_crop(double, 1, generator=torch.Generator().manual_seed(0), fill=[0.1, 0.2, 0.3])
    assert out.dtype == torch.float64
    # the frame holds the float64 fill values, not float32 roundings of them
    assert set(out[out < 1].tolist()) <= {0.1, 0.2, 0.3} and (out < 1).any()


def test_random_flip_is_strict_in_p():
    batch = torch.arange(4 * 3.0).view(4, 1, 1, 3)
    draws = torch.rand(4, generator=torch.Generator().manual_seed(6))
    p = float(draws[0])  # a draw equal to p does not flip: P(flip) is p, and p=0 never flips
    out = random_flip(batch, p=p, generator=torch.Generator().manual_seed(6))
    assert torch.equal(out, torch.where((draws < p)[:, None, None, None], batch.flip(-1), batch))
    assert torch.equal(out[0], batch[0])


def test_augment_default_seed_is_zero():
    batch = torch.arange(6 * 2 * 3.0).view(6, 1, 2, 3) + 1
    g = torch.Generator().manual_seed(0)
    assert torch.equal(Augment()(batch), random_flip(random_crop(batch, 4, generator=g), generator=g))


def test_cifar10_record_and_a_cache_in_a_new_folder(tmp_path, monkeypatch, isolated):
    from test_data import fake_cifar_download, write_cifar

    batches = write_cifar(tmp_path / "origin", monkeypatch)
    fake_cifar_download(monkeypatch, tmp_path / "origin")
    monkeypatch.setenv("HWLIB_CACHE", str(tmp_path / "new" / "deeper" / "cache"))  # parents do not exist
    ds = load("cifar10", val=0, download=True, normalize=False)
    assert ds.name == "cifar10" and ds.source == "download"
    assert ds.classes == (
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    )
    assert (tmp_path / "new" / "deeper" / "cache" / "cifar-10-batches-py").is_dir()
    assert ds.test.y.tolist() == batches["test_batch"][1] and len(ds.train) == 20


def test_download_false_is_passed_down(isolated):
    # HWLIB_OFFLINE is unset: only the explicit download=False stops the (failing) download
    with pytest.raises(
        DataUnavailableError, match=r"downloads are off \(HWLIB_OFFLINE is set or download=False\)"
    ):
        load("fashion_mnist", download=False)
    with pytest.raises(DataUnavailableError, match="the download failed"):
        load("fashion_mnist")


def test_memory_cache_is_keyed_by_path(isolated, monkeypatch, fake_files):
    import os

    rng = np.random.default_rng(9)
    other = dict(fake_files)
    name = "t10k-images-idx3-ubyte.gz"
    raw = idx(rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), 0x08)  # same size, other pixels
    other[name] = (raw, gzip.compress(raw, mtime=0))
    first, second = write(isolated / "a", fake_files, raw=True), write(isolated / "b", other, raw=True)
    for folder in (first, second):  # the same sizes and times: only the path tells them apart
        for f in folder.iterdir():
            os.utime(f, ns=(10**18, 10**18))
    monkeypatch.setenv("HWLIB_DATA", str(first))
    a = data._fashion_mnist_arrays(download=False)[1][2]
    monkeypatch.setitem(FASHION_MNIST_RAW_MD5, name, md5(raw))
    monkeypatch.setenv("HWLIB_DATA", str(second))
    b = data._fashion_mnist_arrays(download=False)[1][2]
    assert np.array_equal(b.reshape(-1), np.frombuffer(raw, np.uint8, offset=16)) and not np.array_equal(a, b)


def test_corrupt_cache_warning_points_at_the_caller(isolated, fake_files):
    cache = write(isolated / "cache" / "fashion-mnist", fake_files)
    (cache / NAMES[1]).write_bytes(b"not it")
    with pytest.warns(UserWarning, match="deleting a corrupt cached file") as record:
        with pytest.raises(DataUnavailableError):
            data._locate_fashion_mnist(download=False)
    # stacklevel=2: the warning names a caller, not the line in hwlib/data/fashion_mnist.py that issues it
    here = Path(data.fashion_mnist.__file__).resolve()
    assert len(record) == 1 and Path(record[0].filename).resolve() != here


def test_tensor_loader_takes_batches_of_one():
    loader = TensorLoader((torch.arange(3.0)[:, None], torch.arange(3)), 1, shuffle=False)
    assert len(loader) == 3 and [b.tolist() for _, b in loader] == [[0], [1], [2]]


def test_denormalize_computes_in_the_batch_dtype_and_device():
    s = Split(torch.zeros(2, 1, 2, 2), torch.zeros(2, dtype=torch.long))
    ds = Dataset("d", s, None, s, ("a",), mean=(0.1,), std=(0.3,))
    x = torch.tensor([0.7, -1.3], dtype=torch.float64).view(2, 1, 1, 1)
    out = ds.denormalize(x)
    assert out.dtype == torch.float64 and out.view(-1).tolist() == [0.7 * 0.3 + 0.1, -1.3 * 0.3 + 0.1]
    half = ds.denormalize(torch.ones(1, 1, 2, 2, dtype=torch.float16))
    assert half.dtype == torch.float16 and torch.all(half == torch.tensor(0.4, dtype=torch.float16))
    for shape in ((2, 1, 2, 2), (1, 2, 2)):
        assert ds.denormalize(torch.zeros(shape, device="meta")).device.type == "meta"
