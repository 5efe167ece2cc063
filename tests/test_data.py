"""Data sets: XOR, the MNIST split and normalisation, and the errors for missing or broken files."""
from __future__ import annotations

import os
import shutil

import pytest
import torch

from lth import data, rng


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
