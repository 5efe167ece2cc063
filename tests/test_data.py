"""Data sets: XOR, the MNIST split and normalisation, and the errors for missing or broken files."""
from __future__ import annotations

import os
import shutil

import pytest
import torch

from lth.core import data
from lth.core import rng


def test_xor():
    d = data.xor()
    assert d.train_x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert d.train_y.tolist() == [0, 1, 1, 0]
    assert torch.equal(d.test_x, d.train_x) and torch.equal(d.val_y, d.train_y)
    assert d.train_x.dtype == torch.float32 and d.train_y.dtype == torch.float32
    moved = d.to("cpu")
    assert moved.name == "xor" and torch.equal(moved.train_x, d.train_x)


def test_default_root_follows_lth_data(monkeypatch, tmp_path):
    monkeypatch.setenv("LTH_DATA", str(tmp_path))
    assert data.default_root() == tmp_path
    monkeypatch.delenv("LTH_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.default_root() == tmp_path / "cache" / "lth" / "data"


# ---------------------------------------------------------------- missing and broken files

def test_empty_root_raises_data_error_naming_folder_files_and_lth_data(tmp_path):
    with pytest.raises(data.DataError) as e:
        data.mnist(root=tmp_path)
    msg = str(e.value)
    assert str(tmp_path / "MNIST" / "raw") in msg
    for name in data.MNIST_FILES:
        assert name in msg
    assert "LTH_DATA" in msg
    assert isinstance(e.value, FileNotFoundError)
    assert list(tmp_path.iterdir()) == []  # an explicit root is never written to (no download attempted)


def test_missing_single_file_is_named(tmp_path):
    src = data.default_root() / "MNIST" / "raw"
    if not src.is_dir():
        pytest.skip(f"no MNIST under {src} (set LTH_DATA)")
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in data.MNIST_FILES:
        if name != "t10k-labels-idx1-ubyte":
            os.symlink((src / name).resolve(), raw / name)
    with pytest.raises(data.DataError, match="lacks t10k-labels-idx1-ubyte "):
        data.mnist(root=tmp_path)


@pytest.mark.parametrize("victim", ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"])
def test_truncated_file_raises_data_error(tmp_path, victim, mnist):
    src = data.default_root() / "MNIST" / "raw"
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in data.MNIST_FILES:
        shutil.copyfile(src / name, raw / name)
    size = data.MNIST_FILES[victim]
    with open(raw / victim, "r+b") as f:
        f.truncate(size - 1000)
    with pytest.raises(data.DataError) as e:
        data.mnist(root=tmp_path)
    msg = str(e.value)
    assert "truncated" in msg and victim in msg and str(size - 1000) in msg and str(size) in msg


# ---------------------------------------------------------------- the split

def test_split_sizes_and_shapes(mnist):
    assert mnist.name == "mnist"
    assert mnist.train_x.shape == (55_000, 784) and mnist.train_y.shape == (55_000,)
    assert mnist.val_x.shape == (5_000, 784) and mnist.val_y.shape == (5_000,)
    assert mnist.test_x.shape == (10_000, 784) and mnist.test_y.shape == (10_000,)
    assert mnist.train_x.dtype == torch.float32 and mnist.train_y.dtype == torch.int64
    for y in (mnist.train_y, mnist.val_y, mnist.test_y):
        assert y.min() == 0 and y.max() == 9
    assert torch.bincount(mnist.val_y, minlength=10).min() > 350  # a random split keeps every class


def test_normalised_with_training_statistics(mnist):
    assert abs(mnist.train_x.mean().item()) < 1e-4
    assert abs(mnist.train_x.std().item() - 1.0) < 1e-4
    assert abs(mnist.val_x.mean().item()) < 0.05 and abs(mnist.test_x.mean().item()) < 0.05
    # a background pixel (0 before normalisation) maps to the same value in all three sets
    assert mnist.train_x.min() == mnist.val_x.min() == mnist.test_x.min() < 0


def test_split_is_disjoint_and_the_documented_permutation(mnist):
    from torchvision.datasets import MNIST

    raw = MNIST(str(data.default_root()), train=True, download=False)
    perm = torch.randperm(60_000, generator=rng.generator(data.SPLIT_SEED, "split"))
    val_idx, train_idx = perm[: data.N_VALIDATION], perm[data.N_VALIDATION :]
    assert len(set(val_idx.tolist()) & set(train_idx.tolist())) == 0
    assert torch.equal(mnist.val_y, raw.targets[val_idx]) and torch.equal(mnist.train_y, raw.targets[train_idx])
    # same images, up to the affine normalisation: recover the pixels and compare exactly on the 0..255 grid
    pixels = raw.data.reshape(60_000, 784).float()
    for x, idx in ((mnist.train_x, train_idx), (mnist.val_x, val_idx)):
        scale = (x.max() - x.min()) / 255
        back = torch.round((x - x.min()) / scale)
        assert torch.equal(back, pixels[idx])
    # and no validation image appears among the training images
    train_rows = {r.numpy().tobytes() for r in mnist.train_x}
    assert sum(r.numpy().tobytes() in train_rows for r in mnist.val_x) == 0


def test_mnist_is_deterministic(mnist):
    again = data.mnist()  # a fresh load, not the cached fixture
    assert again is not mnist
    for f in ("train_x", "train_y", "val_x", "val_y", "test_x", "test_y"):
        assert torch.equal(getattr(again, f), getattr(mnist, f)), f


# ---------------------------------------------------------------- Fashion-MNIST and load()

FASHION_SRC = lambda: data.default_root() / "FashionMNIST" / "raw"  # noqa: E731


@pytest.fixture(scope="module")
def fashion() -> data.Dataset:
    """Real Fashion-MNIST, loaded once per module; skipped only when LTH_DATA is unset and it is missing."""
    try:
        return data.fashion_mnist()
    except data.DataError as e:
        if os.environ.get("LTH_DATA"):
            raise
        pytest.skip(f"Fashion-MNIST not available and LTH_DATA is unset (set LTH_DATA=../shared/data): {e}")


def _link_fashion(tmp_path, skip=(), truncate=None, cut=1000):
    """A root under tmp_path whose FashionMNIST/raw/ links the real files, less ``skip``, ``truncate`` cut short by ``cut`` bytes."""
    src = FASHION_SRC()
    if not src.is_dir():
        pytest.skip(f"no Fashion-MNIST under {src} (set LTH_DATA)")
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in data.FASHION_MNIST_FILES:
        if name in skip:
            continue
        if name == truncate:  # a short copy of our own; the shared file is only read
            with open(src / name, "rb") as f:
                (raw / name).write_bytes(f.read(data.FASHION_MNIST_FILES[name] - cut))
        else:
            os.symlink((src / name).resolve(), raw / name)
    return raw


def test_fashion_split_sizes_shapes_and_name(fashion):
    assert fashion.name == "fashion-mnist"
    assert fashion.train_x.shape == (55_000, 784) and fashion.train_y.shape == (55_000,)
    assert fashion.val_x.shape == (5_000, 784) and fashion.val_y.shape == (5_000,)
    assert fashion.test_x.shape == (10_000, 784) and fashion.test_y.shape == (10_000,)
    assert fashion.train_x.dtype == torch.float32 and fashion.train_y.dtype == torch.int64
    for y in (fashion.train_y, fashion.val_y, fashion.test_y):
        assert y.min() == 0 and y.max() == 9


def test_fashion_classes_are_balanced(fashion):
    # order-independent: 6,000 training images per class (README), split 55K/5K; 1,000 test images per class
    assert torch.bincount(torch.cat([fashion.train_y, fashion.val_y]), minlength=10).tolist() == [6_000] * 10
    assert torch.bincount(fashion.test_y, minlength=10).tolist() == [1_000] * 10
    assert torch.bincount(fashion.val_y, minlength=10).min() > 350  # a random split keeps every class


def test_fashion_normalised_with_its_own_training_statistics(fashion):
    assert abs(fashion.train_x.mean().item()) < 1e-4
    assert abs(fashion.train_x.std().item() - 1.0) < 1e-4
    assert abs(fashion.val_x.mean().item()) < 0.05 and abs(fashion.test_x.mean().item()) < 0.05
    assert fashion.train_x.min() == fashion.val_x.min() == fashion.test_x.min() < 0
    # undo the affine map: pixel 0 -> -mean/std, pixel 255 -> (1 - mean)/std; the README gives
    # mean 0.2860 and std 0.3530 over all 60,000 images (MNIST's are 0.1307 and 0.3081)
    lo, hi = fashion.train_x.min().item(), fashion.train_x.max().item()
    std = 1.0 / (hi - lo)
    mean = -lo * std
    assert abs(mean - 0.2860) < 0.002 and abs(std - 0.3530) < 0.002


def test_fashion_uses_the_same_split_permutation_as_mnist(fashion):
    from torchvision.datasets import FashionMNIST

    raw = FashionMNIST(str(data.default_root()), train=True, download=False)
    assert raw.targets[:5].tolist() == [9, 0, 0, 3, 0]  # the README's first labels, original order
    perm = torch.randperm(60_000, generator=rng.generator(data.SPLIT_SEED, "split"))
    val_idx, train_idx = perm[: data.N_VALIDATION], perm[data.N_VALIDATION :]
    assert torch.equal(fashion.val_y, raw.targets[val_idx]) and torch.equal(fashion.train_y, raw.targets[train_idx])
    pixels = raw.data.reshape(60_000, 784).float()
    for x, idx in ((fashion.train_x, train_idx), (fashion.val_x, val_idx)):
        scale = (x.max() - x.min()) / 255
        assert torch.equal(torch.round((x - x.min()) / scale), pixels[idx])


def test_fashion_missing_folder_raises_data_error_naming_folder_files_and_lth_data(tmp_path):
    with pytest.raises(data.DataError) as e:
        data.fashion_mnist(root=tmp_path)
    msg = str(e.value)
    assert msg.startswith("Fashion-MNIST not found")
    assert str(tmp_path / "FashionMNIST" / "raw") in msg and "<root>/FashionMNIST/raw/" in msg
    for name in data.FASHION_MNIST_FILES:
        assert name in msg
    assert "LTH_DATA" in msg
    assert list(tmp_path.iterdir()) == []  # an explicit root is never written to


def test_fashion_is_not_read_from_the_mnist_folder(tmp_path):
    src = data.default_root() / "MNIST"
    if not src.is_dir():
        pytest.skip(f"no MNIST under {src} (set LTH_DATA)")
    os.symlink(src.resolve(), tmp_path / "MNIST")  # MNIST present, FashionMNIST absent
    with pytest.raises(data.DataError, match="FashionMNIST"):
        data.fashion_mnist(root=tmp_path)


def test_fashion_missing_single_file_is_named(tmp_path):
    _link_fashion(tmp_path, skip={"t10k-images-idx3-ubyte"})
    with pytest.raises(data.DataError, match="lacks t10k-images-idx3-ubyte "):
        data.fashion_mnist(root=tmp_path)


@pytest.mark.parametrize("victim", ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
def test_fashion_truncated_file_raises_data_error(tmp_path, victim):
    raw = _link_fashion(tmp_path, truncate=victim)
    size = data.FASHION_MNIST_FILES[victim]
    with pytest.raises(data.DataError) as e:
        data.fashion_mnist(root=tmp_path)
    msg = str(e.value)
    assert msg.startswith("Fashion-MNIST file") and "truncated" in msg
    assert str(raw / victim) in msg and str(size - 1000) in msg and str(size) in msg


def test_fashion_corrupt_file_of_the_right_size_raises_data_error(tmp_path):
    raw = _link_fashion(tmp_path, skip={"train-labels-idx1-ubyte"})
    (raw / "train-labels-idx1-ubyte").write_bytes(bytes(data.FASHION_MNIST_FILES["train-labels-idx1-ubyte"]))
    with pytest.raises(data.DataError, match="could not be read") as e:
        data.fashion_mnist(root=tmp_path)
    assert str(raw) in str(e.value)


def test_load_dispatches_by_name(fashion, mnist):
    assert data.NAMES == ("mnist", "fashion-mnist")
    again = data.load("fashion-mnist")
    assert again.name == "fashion-mnist"
    for f in ("train_x", "train_y", "val_x", "val_y", "test_x", "test_y"):
        assert torch.equal(getattr(again, f), getattr(fashion, f)), f
    del again
    m = data.load("mnist", device="cpu")
    assert m.name == "mnist" and torch.equal(m.train_x, mnist.train_x) and torch.equal(m.test_y, mnist.test_y)


def test_load_passes_the_root_on(tmp_path):
    with pytest.raises(data.DataError, match="FashionMNIST"):
        data.load("fashion-mnist", root=tmp_path)
    with pytest.raises(data.DataError, match="MNIST not found"):
        data.load("mnist", root=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["cifar10", "Fashion-MNIST", "fashion_mnist", "xor", ""])
def test_load_unknown_name_raises_value_error_naming_it_and_the_choices(name, tmp_path):
    with pytest.raises(ValueError) as e:
        data.load(name, root=tmp_path)
    msg = str(e.value)
    assert repr(name) in msg and "'mnist'" in msg and "'fashion-mnist'" in msg
    assert not isinstance(e.value, data.DataError)
