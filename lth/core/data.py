"""Data sets as tensors resident on the training device.

MNIST and Fashion-MNIST come through ``torchvision.datasets.MNIST`` and
``torchvision.datasets.FashionMNIST`` (folders ``<root>/MNIST/raw/`` and
``<root>/FashionMNIST/raw/``), both read by one loader. The 60,000 training images are
split 55,000/5,000 (train/validation) by a permutation from the ``split`` stream of
seed 0 (see :data:`SPLIT_SEED`), the same permutation for both data sets and fixed for
every experiment; the 10,000 test images are the test set. Pixels are scaled to [0, 1]
and normalised with the mean and standard deviation of the 55,000 training images.
:func:`load` picks a data set by name.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from lth.core import rng

SPLIT_SEED = 0  # the one train/validation split used by every experiment
N_VALIDATION = 5_000
MNIST_FILES = {  # name -> size in bytes of the canonical uncompressed file
    "train-images-idx3-ubyte": 47_040_016,
    "train-labels-idx1-ubyte": 60_008,
    "t10k-images-idx3-ubyte": 7_840_016,
    "t10k-labels-idx1-ubyte": 10_008,
}
# Fashion-MNIST is a drop-in replacement: the same four file names, shapes and sizes
FASHION_MNIST_FILES = dict(MNIST_FILES)
# SHA-256 of the canonical uncompressed files (their md5s are the distributors' own; see ../shared/data/README.md)
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


class DataError(FileNotFoundError):
    """The data set is missing or unreadable; the message says where and what."""


@dataclass
class Dataset:
    """Train, validation and test tensors on one device: x float32 [N, features], y int64 [N] (or float for binary)."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    def to(self, device: str | torch.device) -> "Dataset":
        return Dataset(self.name, *(getattr(self, f).to(device) for f in
                                    ("train_x", "train_y", "val_x", "val_y", "test_x", "test_y")))


def xor() -> Dataset:
    """The four XOR points; train, validation and test are all four (the task is to fit them)."""
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([0.0, 1.0, 1.0, 0.0])
    return Dataset("xor", x, y, x.clone(), y.clone(), x.clone(), y.clone())


def default_root() -> Path:
    """``$LTH_DATA`` if set, else a per-user cache folder."""
    env = os.environ.get("LTH_DATA")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lth" / "data"


@dataclass(frozen=True)
class _Source:
    """One IDX data set of 28x28 images in 10 classes, as torchvision lays it out."""

    name: str  # Dataset.name and the key of load()
    title: str  # how messages call it
    torchvision_class: str  # class in torchvision.datasets; also the folder under the root
    files: dict[str, int] = field(default_factory=dict)  # file name -> size in bytes
    sha256: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256 of the canonical file

    def raw(self, root: Path) -> Path:
        return root / self.torchvision_class / "raw"

    def reader(self):
        import torchvision.datasets

        return getattr(torchvision.datasets, self.torchvision_class)


_MNIST = _Source("mnist", "MNIST", "MNIST", MNIST_FILES, MNIST_SHA256)
_FASHION_MNIST = _Source("fashion-mnist", "Fashion-MNIST", "FashionMNIST", FASHION_MNIST_FILES, FASHION_MNIST_SHA256)
_SOURCES = {s.name: s for s in (_MNIST, _FASHION_MNIST)}
NAMES = tuple(_SOURCES)  # the names load() accepts


def _check_files(raw: Path, source: _Source = _MNIST) -> list[str]:
    """Names of missing files; raises DataError for a file of the wrong size."""
    missing = []
    for name, size in source.files.items():
        f = raw / name
        if not f.is_file():
            missing.append(name)
        elif f.stat().st_size != size:
            raise DataError(
                f"{source.title} file {f} is truncated or corrupt: {f.stat().st_size} bytes, expected {size}. "
                f"Delete it to download it again, or point LTH_DATA at a folder with intact files."
            )
    return missing


def _missing_message(raw: Path, missing: list[str], why: str, source: _Source = _MNIST) -> str:
    return (
        f"{source.title} not found: {raw} lacks {', '.join(missing)} ({why}). Expected the four files "
        f"{', '.join(source.files)} under <root>/{source.torchvision_class}/raw/. Set LTH_DATA to the root folder "
        f"(e.g. LTH_DATA=../shared/data) or pass root=..."
    )


def _load_idx(source: _Source, root: str | os.PathLike | None, device: str | torch.device, download: bool | None) -> Dataset:
    """The shared loader: files checked (downloaded if allowed), split, normalised, moved to ``device``."""
    reader = source.reader()
    explicit = root is not None or bool(os.environ.get("LTH_DATA"))
    root = Path(root).expanduser() if root is not None else default_root()
    raw = source.raw(root)
    missing = _check_files(raw, source)
    if missing:
        allow = (not explicit) if download is None else download
        if not allow:
            raise DataError(_missing_message(raw, missing, "downloading is off for an explicit root", source))
        try:
            reader(str(root), train=True, download=True)
            reader(str(root), train=False, download=True)
        except Exception as e:  # network or disk failure: say what was tried
            raise DataError(_missing_message(raw, missing, f"download failed: {e}", source)) from e
        missing = _check_files(raw, source)
        if missing:
            raise DataError(_missing_message(raw, missing, "download left them missing", source))
    try:
        train = reader(str(root), train=True, download=False)
        test = reader(str(root), train=False, download=False)
        tx, ty = train.data, train.targets
        sx, sy = test.data, test.targets
    except Exception as e:
        raise DataError(f"{source.title} files under {raw} could not be read ({type(e).__name__}: {e}); they may be corrupt.") from e
    if tx.shape != (60_000, 28, 28) or sx.shape != (10_000, 28, 28) or int(ty.max()) > 9 or int(sy.max()) > 9:
        raise DataError(f"{source.title} files under {raw} hold unexpected contents: shapes {tuple(tx.shape)}, {tuple(sx.shape)}")
    perm = torch.randperm(60_000, generator=rng.generator(SPLIT_SEED, "split"))
    val_idx, train_idx = perm[:N_VALIDATION], perm[N_VALIDATION:]
    x = tx.reshape(60_000, 784).float() / 255.0
    mean, std = x[train_idx].mean(), x[train_idx].std()
    norm = lambda a: ((a - mean) / std).contiguous()
    sxf = sx.reshape(10_000, 784).float() / 255.0
    return Dataset(
        source.name,
        norm(x[train_idx]), ty[train_idx].long(),
        norm(x[val_idx]), ty[val_idx].long(),
        norm(sxf), sy.long(),
    ).to(device)


def mnist(root: str | os.PathLike | None = None, device: str | torch.device = "cpu", download: bool | None = None) -> Dataset:
    """MNIST as 55K/5K/10K tensors on ``device``, flattened to 784 features.

    ``download=None`` downloads only when files are missing and no root was chosen
    explicitly (neither argument nor LTH_DATA): an explicit root is never written to.
    """
    return _load_idx(_MNIST, root, device, download)


def fashion_mnist(root: str | os.PathLike | None = None, device: str | torch.device = "cpu", download: bool | None = None) -> Dataset:
    """Fashion-MNIST as 55K/5K/10K tensors on ``device``, exactly like :func:`mnist`.

    Read from ``<root>/FashionMNIST/raw/``; the same split permutation, normalisation
    (by its own training split's mean and std) and download policy as :func:`mnist`.
    """
    return _load_idx(_FASHION_MNIST, root, device, download)


def _source(name: str) -> _Source:
    if not isinstance(name, str) or name not in _SOURCES:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(repr(n) for n in NAMES)}")
    return _SOURCES[name]


def _verified_record() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lth" / "data-verified.json"


def verify(name: str, root: str | os.PathLike | None = None) -> Path:
    """Find data set ``name`` and check every file's size and SHA-256 against the canonical files, before
    anything trains; downloads it first where :func:`load` would. A file already verified at the same
    path, size and modification time is not hashed again (the record is in ~/.cache/lth). Returns the
    folder; a problem is one :class:`DataError` line naming the folder, the files and LTH_DATA."""
    source = _source(name)
    explicit = root is not None or bool(os.environ.get("LTH_DATA"))
    base = Path(root).expanduser() if root is not None else default_root()
    raw = source.raw(base)
    where = f"LTH_DATA={os.environ['LTH_DATA']}" if os.environ.get("LTH_DATA") else "LTH_DATA unset"
    try:
        missing = _check_files(raw, source)
    except DataError as e:
        raise DataError(f"{e} ({where})") from None
    if missing and explicit:
        raise DataError(_missing_message(raw, missing, where, source))
    if missing:
        load(name, root)  # downloads into the default folder, or says why it could not
    record_path = _verified_record()
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        record = {}
    wrong, changed = [], False
    for f, want in source.sha256.items():
        path = raw / f
        stat = path.stat()
        stamp = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
        if record.get(stamp) == want:
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != want:
            wrong.append(f)
        else:
            record[stamp], changed = want, True
    if wrong:
        raise DataError(f"{source.title} files in {raw} differ from the canonical ones (SHA-256): {', '.join(wrong)} "
                        f"({where}); replace them with intact copies or point LTH_DATA at a folder that has them")
    if changed:
        try:
            record_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = record_path.with_name(f".{record_path.name}.{os.getpid()}")
            tmp.write_text(json.dumps(record, indent=1))
            tmp.replace(record_path)
        except OSError:
            pass  # no writable cache: verify again next time
    return raw


def load(name: str, root: str | os.PathLike | None = None, device: str | torch.device = "cpu",
         download: bool | None = None) -> Dataset:
    """The data set called ``name`` (one of :data:`NAMES`: "mnist", "fashion-mnist")."""
    return _load_idx(_source(name), root, device, download)
