"""Tests of hwlib.data: file resolution, checksums, formats, splits, the loader, augmentation.

No test touches the network: downloads go through ``hwlib.data.fashion_mnist._fetch``, replaced here.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
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
    DataUnavailableError,
    Split,
    TensorLoader,
    _locate_fashion_mnist,
    _read_verified,
    cifar10_available,
    fashion_mnist_available,
    load,
    load_camera,
    parse_idx,
    random_crop,
    random_flip,
)

NAMES = list(FASHION_MNIST_RAW_MD5)
REAL_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


def idx_bytes(array: np.ndarray) -> bytes:
    """Write ``array`` in the idx format (written here from the format's description)."""
    codes = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C}
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    header = bytes([0, 0, codes[big.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + big.tobytes()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No HWLIB_DATA, an empty system folder, a private cache, downloads that fail, no memory cache."""
    monkeypatch.delenv("HWLIB_DATA", raising=False)
    monkeypatch.delenv("HWLIB_OFFLINE", raising=False)
    monkeypatch.setenv("HWLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(data.fashion_mnist, "SYSTEM_DIRS", (tmp_path / "system",))
    calls = []

    def no_network(url, folder, filename, md5):
        calls.append(url)
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(data.fashion_mnist, "_fetch", no_network)
    monkeypatch.setattr(data.fashion_mnist, "_MEMORY", {})
    return calls


@pytest.fixture
def fake_fmnist(tmp_path, monkeypatch):
    """Small Fashion-MNIST-format files (gz), with the md5 tables patched to match them."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": np.arange(50, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.arange(20, dtype=np.uint8) % 10,
    }
    gz = {}
    for name, a in arrays.items():
        raw = idx_bytes(a)
        gz[name] = gzip.compress(raw, mtime=0)
        monkeypatch.setitem(FASHION_MNIST_RAW_MD5, name, md5(raw))
        monkeypatch.setitem(FASHION_MNIST_GZ_MD5, name, md5(gz[name]))

    def write(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, blob in gz.items():
            (folder / name).write_bytes(blob)
        return folder

    return arrays, gz, write


# --------------------------------------------------------------------------- camera


def test_load_camera_matches_skimage_and_resizes():
    import skimage.data

    full = load_camera(512)
    original = skimage.data.camera()
    assert full.dtype == torch.float32 and full.shape == (512, 512)
    assert torch.equal(full, torch.from_numpy(original.astype(np.float32) / 255))
    small = load_camera()
    assert small.shape == (256, 256) and 0.0 <= float(small.min()) and float(small.max()) <= 1.0
    # anti-aliased resizing averages: the mean brightness is kept, and each pixel is close to its 2x2 block
    assert abs(float(small.mean()) - float(full.mean())) < 2e-3
    blocks = full.reshape(256, 2, 256, 2).mean(dim=(1, 3))
    assert float((small - blocks).abs().mean()) < 0.02
    with pytest.raises(ValueError, match="positive int"):
        load_camera(0)


# --------------------------------------------------------------------------- idx format and checksums


@pytest.mark.parametrize("dtype", ["u1", ">i4", ">i2"])
def test_parse_idx_agrees_with_torchvision(tmp_path, dtype):
    from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

    rng = np.random.default_rng(1)
    a = rng.integers(0, 120, (7, 5, 3)).astype(dtype)
    blob = idx_bytes(a)
    (tmp_path / "f").write_bytes(blob)
    ours = parse_idx(blob)
    theirs = read_sn3_pascalvincent_tensor(str(tmp_path / "f")).numpy()
    assert ours.shape == (7, 5, 3) and np.array_equal(ours, theirs) and np.array_equal(ours, a)
    assert ours.flags.writeable


def test_parse_idx_rejects_bad_files():
    blob = idx_bytes(np.zeros((4, 2), np.uint8))
    with pytest.raises(ValueError, match="truncated"):
        parse_idx(blob[:-1])
    with pytest.raises(ValueError, match="not an idx file"):
        parse_idx(b"\x01\x00\x08\x01" + blob[4:])


def test_gz_checksums_are_torchvisions():
    from torchvision.datasets import FashionMNIST

    assert dict(FashionMNIST.resources) == FASHION_MNIST_GZ_MD5


def test_read_verified_accepts_any_encoding_of_the_right_bytes(tmp_path, fake_fmnist):
    arrays, gz, _ = fake_fmnist
    name = "t10k-labels-idx1-ubyte.gz"
    raw = idx_bytes(arrays[name])
    (tmp_path / "a.gz").write_bytes(gz[name])  # the "download": gz md5 matches
    (tmp_path / "b.gz").write_bytes(gzip.compress(raw, compresslevel=1, mtime=123))  # recompressed
    (tmp_path / "c").write_bytes(raw)  # decompressed
    assert md5((tmp_path / "b.gz").read_bytes()) != FASHION_MNIST_GZ_MD5[name]
    for f in ("a.gz", "b.gz", "c"):
        assert _read_verified(tmp_path / f, name) == raw
    bad = bytearray(raw)
    bad[-1] ^= 1
    (tmp_path / "d").write_bytes(bytes(bad))
    (tmp_path / "e.gz").write_bytes(gz[name][:-8])  # a truncated gzip file
    for f in ("d", "e.gz"):
        with pytest.raises(ChecksumError):
            _read_verified(tmp_path / f, name)


# --------------------------------------------------------------------------- resolution order


def test_resolution_order(tmp_path, monkeypatch, isolated, fake_fmnist):
    arrays, gz, write = fake_fmnist
    user, system, cache = tmp_path / "user", tmp_path / "system", tmp_path / "cache" / "fashion-mnist"
    assert not fashion_mnist_available()
    write(user / "fashion-mnist")
    write(system)
    write(cache)
    monkeypatch.setenv("HWLIB_DATA", str(user))
    assert fashion_mnist_available()
    source, files = _locate_fashion_mnist()
    assert source == "HWLIB_DATA" and files[NAMES[0]].parent == user / "fashion-mnist"
    monkeypatch.setenv("HWLIB_DATA", str(tmp_path / "elsewhere"))  # set, but holds no files: go on
    assert _locate_fashion_mnist()[0] == "Debian package"
    monkeypatch.delenv("HWLIB_DATA")
    assert _locate_fashion_mnist()[0] == "Debian package"
    for f in system.iterdir():
        f.unlink()
    assert _locate_fashion_mnist()[0] == "cache"
    for f in cache.iterdir():
        f.unlink()

    def fetch(url, folder, filename, md5):  # a download that works
        isolated.append(url)
        (Path(folder) / filename).write_bytes(gz[filename])

    monkeypatch.setattr(data.fashion_mnist, "_fetch", fetch)
    assert _locate_fashion_mnist()[0] == "download"
    assert sorted(p.name for p in cache.iterdir()) == sorted(NAMES)  # no temporary files left
    assert len(isolated) == 4 and all(u.startswith("http") for u in isolated)
    assert _locate_fashion_mnist()[0] == "cache"
    assert len(isolated) == 4  # nothing downloaded twice


def test_hwlib_data_folder_may_hold_the_files_directly(tmp_path, monkeypatch, isolated, fake_fmnist):
    arrays, _, write = fake_fmnist
    monkeypatch.setenv("HWLIB_DATA", str(write(tmp_path / "flat")))
    ds = load("fashion_mnist", val=10, normalize=False)
    assert ds.source == "HWLIB_DATA" and (len(ds.train), len(ds.val), len(ds.test)) == (40, 10, 20)
    # the loaded pixels are the file's pixels
    pixels = (ds.test.x[:, 0] * 255).round().to(torch.uint8).numpy()
    assert np.array_equal(pixels, arrays["t10k-images-idx3-ubyte.gz"])
    assert ds.test.y.tolist() == arrays["t10k-labels-idx1-ubyte.gz"].tolist()


def test_offline_error_names_every_fix(isolated, monkeypatch):
    with pytest.raises(DataUnavailableError) as err:
        _locate_fashion_mnist()
    message = str(err.value)
    for fix in ("apt-get install dataset-fashion-mnist", "HWLIB_DATA=", "download"):
        assert fix in message
    assert "network is unreachable (test)" in message and len(isolated) == 1  # gives up at once
    isolated.clear()
    monkeypatch.setenv("HWLIB_OFFLINE", "1")
    with pytest.raises(DataUnavailableError, match="downloads are off"):
        load("fashion_mnist")
    assert not fashion_mnist_available()
    assert isolated == []  # no download was attempted


def test_corrupt_cached_file_is_rejected_and_replaced(tmp_path, monkeypatch, isolated, fake_fmnist):
    _, gz, write = fake_fmnist
    cache = write(tmp_path / "cache" / "fashion-mnist")
    victim = cache / "train-images-idx3-ubyte.gz"
    blob = bytearray(victim.read_bytes())
    blob[100] ^= 0xFF
    victim.write_bytes(bytes(blob))
    monkeypatch.setenv("HWLIB_OFFLINE", "1")
    with pytest.warns(UserWarning, match="corrupt cached file"), pytest.raises(DataUnavailableError) as err:
        _locate_fashion_mnist()
    assert not victim.exists() and "train-images-idx3-ubyte.gz" in str(err.value)
    monkeypatch.delenv("HWLIB_OFFLINE")

    def fetch(url, folder, filename, md5):
        (Path(folder) / filename).write_bytes(gz[filename])

    monkeypatch.setattr(data.fashion_mnist, "_fetch", fetch)
    assert _locate_fashion_mnist()[0] == "download"
    assert victim.read_bytes() == gz["train-images-idx3-ubyte.gz"]


@pytest.mark.parametrize("failure", ["truncated", "raises midway"])
def test_nothing_half_written_is_cached(tmp_path, monkeypatch, isolated, fake_fmnist, failure):
    _, gz, _ = fake_fmnist

    def fetch(url, folder, filename, md5):
        (Path(folder) / filename).write_bytes(gz[filename][: len(gz[filename]) // 2])
        if failure == "raises midway":
            raise ConnectionResetError("connection reset (test)")

    monkeypatch.setattr(data.fashion_mnist, "_fetch", fetch)
    with pytest.raises(DataUnavailableError):
        _locate_fashion_mnist()
    cache = tmp_path / "cache" / "fashion-mnist"
    assert list(cache.iterdir()) == []  # neither the partial file nor a temporary folder


def test_corrupt_file_in_hwlib_data_says_how_to_fix(tmp_path, monkeypatch, isolated, fake_fmnist):
    _, _, write = fake_fmnist
    folder = write(tmp_path / "user")
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01" + bytes(4)))
    monkeypatch.setenv("HWLIB_DATA", str(folder))
    with pytest.raises(ChecksumError, match="unset HWLIB_DATA"):
        load("fashion_mnist")


@pytest.mark.skipif(
    not all((REAL_FASHION_MNIST / n).exists() for n in NAMES),
    reason="Fashion-MNIST is not installed (sudo apt-get install dataset-fashion-mnist)",
)
def test_real_fashion_mnist(tmp_path, monkeypatch):
    from torchvision.datasets.mnist import read_image_file, read_label_file

    monkeypatch.delenv("HWLIB_DATA", raising=False)
    ds = load("fashion_mnist", val=0.1, seed=0)
    assert ds.source == "Debian package"
    assert (len(ds.train), len(ds.val), len(ds.test)) == (54000, 6000, 10000)
    assert ds.input_shape == (1, 28, 28) and ds.num_classes == 10 and ds.classes[9] == "Ankle boot"
    assert abs(float(ds.train.x.mean())) < 1e-4 and abs(float(ds.train.x.std()) - 1) < 1e-4
    counts = torch.bincount(torch.cat([ds.train.y, ds.val.y]), minlength=10)
    assert counts.tolist() == [6000] * 10
    # the table of decompressed-file md5 sums against the real files (hashlib, not hwlib)
    for name in NAMES:
        raw = gzip.decompress((REAL_FASHION_MNIST / name).read_bytes())
        assert md5(raw) == FASHION_MNIST_RAW_MD5[name], name
    # the test split against torchvision's own idx reader on the decompressed files
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(gzip.decompress((REAL_FASHION_MNIST / f"{name}.gz").read_bytes()))
    images = read_image_file(str(tmp_path / "t10k-images-idx3-ubyte"))
    labels = read_label_file(str(tmp_path / "t10k-labels-idx1-ubyte"))
    pixels = (ds.denormalize(ds.test.x)[:, 0] * 255).round().to(torch.uint8)
    assert torch.equal(pixels, images) and torch.equal(ds.test.y, labels)


# --------------------------------------------------------------------------- CIFAR-10


def write_cifar(root: Path, monkeypatch, per_batch: int = 4, n_test: int = 6) -> dict:
    """A tiny CIFAR-10 in the official python layout, with torchvision's md5 table patched to it."""
    from torchvision.datasets import CIFAR10

    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    batches = {}
    for i in range(1, 6):
        batches[f"data_batch_{i}"] = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
    batches["test_batch"] = rng.integers(0, 256, (n_test, 3072), dtype=np.uint8)
    md5s = {}
    for name, rows in batches.items():
        labels = rng.integers(0, 10, len(rows)).tolist()
        entry = {
            "batch_label": name,
            "labels": labels,
            "data": rows,
            "filenames": [f"{j}.png" for j in labels],
        }
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
        batches[name] = (rows, labels)
        md5s[name] = md5((folder / name).read_bytes())
    meta = {
        "label_names": [
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
        ]
    }
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    monkeypatch.setattr(
        CIFAR10, "train_list", [[f"data_batch_{i}", md5s[f"data_batch_{i}"]] for i in range(1, 6)]
    )
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5s["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5((folder / "batches.meta").read_bytes())})
    return batches


def test_cifar10_is_read_by_torchvision_from_its_own_format(tmp_path, monkeypatch, isolated):
    assert not cifar10_available()
    batches = write_cifar(tmp_path / "user", monkeypatch)
    monkeypatch.setenv("HWLIB_DATA", str(tmp_path / "user"))
    assert cifar10_available()
    ds = load("cifar10", val=4, seed=1)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (16, 4, 6) and ds.source == "HWLIB_DATA"
    assert ds.input_shape == (3, 32, 32) and ds.classes[0] == "airplane"
    rows, labels = batches["test_batch"]
    pixels = (ds.denormalize(ds.test.x) * 255).round().to(torch.uint8)
    # a CIFAR row is 1024 red, 1024 green, 1024 blue values, each a 32 x 32 image in row order
    assert torch.equal(pixels, torch.from_numpy(rows).reshape(6, 3, 32, 32))
    assert ds.test.y.tolist() == labels
    # standardised with the training part's own statistics, channel by channel
    assert torch.allclose(ds.train.x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(ds.train.x.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-3)
    # train + val are the rows of the five training batches
    all_train = torch.cat([torch.from_numpy(batches[f"data_batch_{i}"][0]) for i in range(1, 6)])
    seen = (ds.denormalize(torch.cat([ds.train.x, ds.val.x])) * 255).round().to(torch.uint8).flatten(1)
    assert torch.equal(seen.unique(dim=0), all_train.unique(dim=0))


def test_corrupt_cifar10_is_not_available(tmp_path, monkeypatch, isolated):
    write_cifar(tmp_path / "user", monkeypatch)
    monkeypatch.setenv("HWLIB_DATA", str(tmp_path / "user"))
    victim = tmp_path / "user" / "cifar-10-batches-py" / "data_batch_3"
    blob = bytearray(victim.read_bytes())
    blob[-20] ^= 1
    victim.write_bytes(bytes(blob))
    assert not cifar10_available()
    with pytest.raises(DataUnavailableError) as err:
        load("cifar10", download=False)
    assert "HWLIB_DATA" in str(err.value) and "Fashion-MNIST" in str(err.value)


# --------------------------------------------------------------------------- splits and registry


def test_digits_splits_are_seeded_and_normalised():
    a, b = load("digits", seed=0), load("digits", seed=1)
    assert (len(a.train), len(a.val), len(a.test)) == (1294, 144, 359)
    # the test split does not depend on the seed (its standardisation does: train statistics)
    assert torch.equal((a.denormalize(a.test.x) * 16).round(), (b.denormalize(b.test.x) * 16).round())
    assert torch.equal(a.test.y, b.test.y)
    assert not torch.equal(a.val.y, b.val.y)
    assert torch.equal(load("digits", seed=0).val.x, a.val.x)  # same seed, same split
    assert abs(float(a.train.x.mean())) < 1e-5 and abs(float(a.train.x.std()) - 1) < 1e-3
    # train + val is the same set of examples whatever the seed
    raw_a = (a.denormalize(torch.cat([a.train.x, a.val.x])) * 16).round().flatten(1)
    raw_b = (b.denormalize(torch.cat([b.train.x, b.val.x])) * 16).round().flatten(1)
    assert torch.equal(raw_a.unique(dim=0), raw_b.unique(dim=0))
    from sklearn.datasets import load_digits

    assert len(a.train) + len(a.val) + len(a.test) == len(load_digits().target)
    plain = load("digits", val=0, normalize=False)
    assert plain.val is None and float(plain.train.x.max()) == 1.0 and float(plain.train.x.min()) == 0.0


def test_load_rejects_bad_arguments():
    with pytest.raises(KeyError, match="digits"):
        load("mnist")
    for bad in (1.0, -0.1, 5000):
        with pytest.raises(ValueError, match="val must be"):
            load("digits", val=bad)


def test_split_checks_and_take():
    x, y = torch.arange(20.0).reshape(10, 2), torch.arange(10)
    s = Split(x, y)
    assert len(s.take(3)) == 3 and s.take(3).y.tolist() == [0, 1, 2]
    picked = s.take(5, seed=0)
    assert sorted(picked.y.tolist()) == sorted(set(picked.y.tolist())) and torch.equal(
        picked.x[:, 0], picked.y * 2.0
    )
    with pytest.raises(ValueError, match="int64"):
        Split(x, y.int())
    with pytest.raises(ValueError, match=r"\(N,\)"):
        Split(x, y[:9])
    with pytest.raises(ValueError, match="n must be"):
        s.take(11)


# --------------------------------------------------------------------------- loader


def test_tensor_loader_epochs_are_seeded_permutations():
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    loader = TensorLoader((x, y), 4, seed=7)
    epochs = [torch.cat([yb for _, yb in loader]) for _ in range(3)]
    for e in epochs:
        assert sorted(e.tolist()) == list(range(10))
    assert not torch.equal(epochs[0], epochs[1])  # a fresh order each epoch
    again = TensorLoader((x, y), 4, seed=7)
    assert torch.equal(torch.cat([yb for _, yb in again]), epochs[0])
    assert [len(yb) for _, yb in loader] == [4, 4, 2] and len(loader) == 3
    for xb, yb in loader:
        assert torch.equal(xb[:, 0], yb.float())  # inputs stay with their labels
    dropped = TensorLoader((x, y), 4, drop_last=True)
    assert len(dropped) == 2 and [len(b) for _, b in dropped] == [4, 4]
    ordered = TensorLoader((x, y), 3, shuffle=False, transform=lambda b: -b)
    assert torch.cat([xb for xb, _ in ordered])[:, 0].tolist() == [-float(i) for i in range(10)]
    with pytest.raises(ValueError, match="batch_size"):
        TensorLoader((x, y), 0)


# --------------------------------------------------------------------------- augmentation


def test_random_crop_returns_windows_of_the_padded_image():
    g = torch.Generator().manual_seed(0)
    batch = torch.rand(16, 3, 8, 8, generator=g) + 1  # nonzero pixels, so padding is visible
    out = random_crop(batch, padding=2, generator=g)
    assert out.shape == batch.shape
    padded = torch.nn.functional.pad(batch, (2, 2, 2, 2))
    offsets = set()
    for i in range(16):  # brute force: which of the 25 windows is it?
        hits = [
            (r, c)
            for r in range(5)
            for c in range(5)
            if torch.equal(out[i], padded[i, :, r : r + 8, c : c + 8])
        ]
        assert len(hits) == 1
        offsets.add(hits[0])
    assert len(offsets) > 5  # offsets vary between images
    assert random_crop(batch, padding=0) is batch
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        random_crop(batch.flatten(1))
    with pytest.raises(ValueError, match="padding"):
        random_crop(batch, padding=-1)


def test_random_flip_and_augment_are_reproducible():
    batch = torch.rand(64, 1, 5, 5, generator=torch.Generator().manual_seed(1))
    out = random_flip(batch, generator=torch.Generator().manual_seed(0))
    same = (out == batch).flatten(1).all(1)
    mirrored = (out == batch.flip(-1)).flatten(1).all(1)
    assert bool((same | mirrored).all()) and 10 < int(mirrored.sum()) < 54
    assert torch.equal(random_flip(batch, p=0.0), batch)
    assert torch.equal(random_flip(batch, p=1.0), batch.flip(-1))
    with pytest.raises(ValueError, match="probability"):
        random_flip(batch, p=2)
    a, b = Augment(padding=1, seed=3), Augment(padding=1, seed=3)
    assert torch.equal(a(batch), b(batch)) and not torch.equal(a(batch), b(b(batch)))
    assert repr(a) == "Augment(padding=1, flip=True)"


def test_the_makefile_data_check_uses_the_public_api(tmp_path, monkeypatch, isolated, fake_fmnist):
    """`make data` installs the Debian package when this snippet exits non-zero."""
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    (snippet,) = [
        line.split(":=", 1)[1].strip() for line in makefile.splitlines() if line.startswith("FMNIST_CHECK")
    ]
    with pytest.raises(SystemExit) as missing:
        exec(snippet, {})
    assert missing.value.code == 1
    _, _, write = fake_fmnist
    monkeypatch.setenv("HWLIB_DATA", str(write(tmp_path / "user")))
    with pytest.raises(SystemExit) as present:
        exec(snippet, {})
    assert present.value.code == 0


# --------------------------------------------------------------------------- audit: untested paths


def test_split_and_dataset_to_move_every_tensor():
    # the meta device stands in for a GPU: tensors move there without a GPU
    ds = load("digits", val=0.1, seed=0)
    moved = ds.to("meta")
    for split in (moved.train, moved.val, moved.test):
        assert split.x.device.type == "meta" and split.y.device.type == "meta" and split.device.type == "meta"
    assert ds.train.x.device.type == "cpu"  # the original is left where it was
    assert (moved.name, moved.classes, moved.mean, moved.std, moved.source) == (
        ds.name,
        ds.classes,
        ds.mean,
        ds.std,
        ds.source,
    )
    assert moved.notes == ds.notes and moved.notes is not ds.notes  # a copy, not shared
    assert [len(s) for s in (moved.train, moved.val, moved.test)] == [
        len(ds.train),
        len(ds.val),
        len(ds.test),
    ]
    no_val = load("digits", val=0).to("meta")
    assert no_val.val is None and no_val.test.x.device.type == "meta"
    s = Split(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)).to(torch.device("meta"))
    assert s.x.device.type == "meta" and s.y.device.type == "meta" and s.y.dtype == torch.long


def test_load_puts_every_split_on_the_device():
    ds = load("digits", val=0.1, seed=0, device="meta")
    assert {t.device.type for s in (ds.train, ds.val, ds.test) for t in (s.x, s.y)} == {"meta"}
    cpu = load("digits", val=0.1, seed=0)
    assert ds.mean == cpu.mean and ds.std == cpu.std and ds.notes == cpu.notes


def test_dataset_summary_is_one_table_row():
    ds = load("digits", val=100, seed=0)
    assert ds.summary() == {
        "dataset": "digits",
        "train": 1797 - 359 - 100,
        "val": 100,
        "test": 359,
        "input": "1x8x8",
        "classes": 10,
    }
    assert load("digits", val=0).summary()["val"] == 0


def test_downloads_allowed(monkeypatch):
    monkeypatch.delenv("HWLIB_OFFLINE", raising=False)
    assert data.downloads_allowed() and data.downloads_allowed(True) and not data.downloads_allowed(False)
    monkeypatch.setenv("HWLIB_OFFLINE", "1")
    assert not data.downloads_allowed() and data.downloads_allowed(True)  # an explicit True wins


def write_fmnist(folder: Path, monkeypatch, arrays: dict) -> None:
    """Write ``arrays`` as Fashion-MNIST's four gz files, with the md5 tables patched to them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        raw = idx_bytes(a)
        blob = gzip.compress(raw, mtime=0)
        (folder / name).write_bytes(blob)
        monkeypatch.setitem(FASHION_MNIST_RAW_MD5, name, md5(raw))
        monkeypatch.setitem(FASHION_MNIST_GZ_MD5, name, md5(blob))


def test_files_are_read_once_until_they_change(tmp_path, monkeypatch, isolated, fake_fmnist):
    _, _, write = fake_fmnist
    folder = write(tmp_path / "user")
    monkeypatch.setenv("HWLIB_DATA", str(folder))
    reads = []
    real = data._read_verified
    counted = lambda path, name, *a: reads.append(name) or real(path, name, *a)
    monkeypatch.setattr(data.fashion_mnist, "_read_verified", counted)
    first = load("fashion_mnist", val=0, normalize=False)
    load("fashion_mnist", val=0, normalize=False)
    assert len(reads) == 4  # the second load comes from memory
    # a file replaced by other (valid) contents is read again: the key holds size and mtime
    rng = np.random.default_rng(1)
    new_test = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    arrays = {
        "train-images-idx3-ubyte.gz": None,
        "train-labels-idx1-ubyte.gz": None,
        "t10k-images-idx3-ubyte.gz": new_test,
        "t10k-labels-idx1-ubyte.gz": None,
    }
    write_fmnist(folder, monkeypatch, {k: v for k, v in arrays.items() if v is not None})
    second = load("fashion_mnist", val=0, normalize=False)
    assert len(reads) == 8
    pixels = (second.test.x[:, 0] * 255).round().to(torch.uint8).numpy()
    assert np.array_equal(pixels, new_test) and not torch.equal(first.test.x, second.test.x)


@pytest.mark.parametrize("fault", ["labels", "rank", "dtype"])
def test_unexpected_fashion_mnist_arrays_are_rejected(tmp_path, monkeypatch, isolated, fault):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10, 28, 28), dtype=np.uint8)
    labels = np.arange(10, dtype=np.uint8)
    arrays = {
        "train-images-idx3-ubyte.gz": images,
        "train-labels-idx1-ubyte.gz": labels,
        "t10k-images-idx3-ubyte.gz": images[:4],
        "t10k-labels-idx1-ubyte.gz": labels[:4],
    }
    if fault == "labels":
        arrays["t10k-labels-idx1-ubyte.gz"] = labels[:3]  # 4 images, 3 labels
    elif fault == "rank":
        arrays["train-images-idx3-ubyte.gz"] = images.reshape(10, 784)
    else:
        arrays["train-images-idx3-ubyte.gz"] = images.astype(">i2")
    write_fmnist(tmp_path / "user", monkeypatch, arrays)
    monkeypatch.setenv("HWLIB_DATA", str(tmp_path / "user"))
    with pytest.raises(ChecksumError, match=r"^unexpected Fashion-MNIST arrays: images \("):
        load("fashion_mnist")


def fake_cifar_download(monkeypatch, source: Path, fail: bool = False) -> list:
    """Replace torchvision's CIFAR10 so that ``download=True`` copies ``source`` (or fails midway)."""
    import shutil

    import torchvision.datasets
    from torchvision.datasets import CIFAR10

    calls = []

    class FakeCIFAR10(CIFAR10):
        def __init__(self, root, train=True, download=False, **kw):
            if download:
                calls.append(Path(root))
                target = Path(root) / CIFAR10.base_folder
                shutil.copytree(source / CIFAR10.base_folder, target)
                if fail:
                    (target / "data_batch_5").unlink()  # a half-written folder is left behind
                    raise ConnectionResetError("connection reset (test)")
            super().__init__(root, train=train, download=False, **kw)

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    return calls


def test_cifar10_download_lands_atomically_in_the_cache(tmp_path, monkeypatch, isolated):
    batches = write_cifar(tmp_path / "origin", monkeypatch)
    calls = fake_cifar_download(monkeypatch, tmp_path / "origin")
    cache = tmp_path / "cache"
    stale = cache / "cifar-10-batches-py"
    stale.mkdir(parents=True)
    (stale / "data_batch_1").write_bytes(b"corrupt")  # a broken earlier copy is replaced
    ds = load("cifar10", val=0, download=True)
    assert ds.source == "download" and len(ds.test) == 6
    assert ds.test.y.tolist() == batches["test_batch"][1]
    (where,) = calls
    assert where.parent == cache and where.name.startswith(".download-")  # downloaded beside the cache
    assert sorted(p.name for p in cache.iterdir()) == ["cifar-10-batches-py"]  # temporary folder removed
    assert cifar10_available()
    # the next load finds it in the cache without downloading
    assert load("cifar10", val=0).source == "cache" and len(calls) == 1


def test_a_failed_cifar10_download_leaves_nothing_behind(tmp_path, monkeypatch, isolated):
    write_cifar(tmp_path / "origin", monkeypatch)
    fake_cifar_download(monkeypatch, tmp_path / "origin", fail=True)
    with pytest.raises(DataUnavailableError) as err:
        load("cifar10", download=True)
    assert "the download failed (ConnectionResetError: connection reset (test))" in str(err.value)
    assert list((tmp_path / "cache").iterdir()) == []
    assert not cifar10_available()


def test_cifar10_not_downloaded_when_downloads_are_off(tmp_path, monkeypatch, isolated):
    write_cifar(tmp_path / "origin", monkeypatch)
    calls = fake_cifar_download(monkeypatch, tmp_path / "origin")
    with pytest.raises(
        DataUnavailableError, match=r"downloads are off \(HWLIB_OFFLINE is set or download=False\)"
    ):
        load("cifar10", download=False)
    monkeypatch.setenv("HWLIB_OFFLINE", "1")
    with pytest.raises(DataUnavailableError, match="downloads are off"):
        load("cifar10")
    assert calls == []
