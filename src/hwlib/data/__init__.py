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

**Modules.** :mod:`hwlib.data.files` (environment variables, cache folder, downloads, errors, the idx
format), :mod:`hwlib.data.fashion_mnist` and :mod:`hwlib.data.cifar10` (each dataset's files),
:mod:`hwlib.data.records` (:class:`Split`, :class:`Dataset`), :mod:`hwlib.data.sources` (the
registry, :func:`load`, :func:`load_camera`), :mod:`hwlib.data.loader` (:class:`TensorLoader`) and
:mod:`hwlib.data.augment` (augmentation). Every name is importable from ``hwlib.data``; a test
that monkeypatches one patches the module that looks it up (e.g. ``hwlib.data.fashion_mnist._fetch``).
"""

# Every name the single module hwlib.data defined, from its new home (private helpers too: the
# tests call some of them as hwlib.data._name; its module-level caches stay in their module).
from hwlib.data import sources
from hwlib.data.augment import (  # noqa: F401
    Augment,
    _check_images,
    random_crop,
    random_flip,
)
from hwlib.data.cifar10 import (  # noqa: F401
    _cifar_intact,
    _cifar_roots,
    _locate_cifar10,
    cifar10_available,
)
from hwlib.data.fashion_mnist import (  # noqa: F401
    DEBIAN_PACKAGE,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_GZ_MD5,
    FASHION_MNIST_RAW_MD5,
    SYSTEM_DIRS,
    _download_verified,
    _fashion_mnist_arrays,
    _fetch,
    _find_files,
    _locate_fashion_mnist,
    _read_verified,
    fashion_mnist_available,
)
from hwlib.data.files import (  # noqa: F401
    _IDX_DTYPES,
    CACHE_ENV,
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
from hwlib.data.loader import TensorLoader
from hwlib.data.records import (  # noqa: F401
    Dataset,
    Split,
    _assemble,
    _channel_stats,
)
from hwlib.data.sources import (  # noqa: F401
    DIGITS_TEST_SEED,
    _cifar10,
    _digits,
    _fashion_mnist,
    load,
    load_camera,
)

# The data attributes are bound here by assignment, with their docstrings: autodoc reads an attribute's
# docstring in the module it documents (this package), not in the module that defines it.
DATASETS = sources.DATASETS
"""Dataset names mapped to their loaders (which :func:`load` calls with its keyword arguments)."""

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
