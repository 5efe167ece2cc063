"""Exporting a ticket as plain PyTorch: round trips against lth's own forward, the file format, errors.

Logits are compared with ``torch.testing.assert_close(rtol=1e-5, atol=1e-5 * max|logit|)`` in
float32: lth computes ``h @ w`` with w [in, out], nn.Linear ``addmm(b, h, W.T)`` with W [out, in],
which may round differently; in float64 the same comparison holds at rtol 1e-12.
"""
from __future__ import annotations


import pytest
import torch
from torch import nn

from lth.core import data
from lth.core import export
from lth.core import models
from lth.core import pruning
from lth.core import masks as lth_masks

SEEDS = [3, 7, 11]
DENSITY = 0.21


def _assert_logits_close(got: torch.Tensor, want: torch.Tensor, rtol: float = 1e-5) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=rtol, atol=rtol * float(want.abs().max()))


def _batch(arch: models.Architecture, trained: bool = True, dtype=torch.float32):
    """(initial params, 'trained' params, masks from the trained weights at 21%) for SEEDS.

    'Trained' stands for any other weights: the initial ones moved by noise, with nonzero biases,
    so that the export is checked on weights and biases that are not the initial zeros.
    """
    init = models.init_params(arch, SEEDS)
    g = torch.Generator().manual_seed(123)
    final = {k: v + 0.05 * torch.randn(v.shape, generator=g) for k, v in init.items()}
    init = {k: v.to(dtype) for k, v in init.items()}
    final = {k: v.to(dtype) for k, v in final.items()}
    weights = {k: v for k, v in final.items() if k.startswith("w")}
    m = pruning.one_shot_to_density(weights, DENSITY)
    return init, final, m


def _inputs(arch: models.Architecture, dtype=torch.float32) -> torch.Tensor:
    if arch.sizes[0] == 2:
        return data.xor().train_x.to(dtype)
    g = torch.Generator().manual_seed(5)
    return torch.randn(64, arch.sizes[0], generator=g).to(dtype)


ARCHS = {
    "lenet-300-100": models.lenet_300_100(),
    "xor-2-10-1": models.xor_net(10),
    "xor-2-6-1-tanh": models.xor_net(6, activation="tanh"),
}


# ---------------------------------------------------------------- to_sequential

def test_to_sequential_matches_the_architecture():
    seq = export.to_sequential(models.lenet_300_100())
    kinds = [type(m) for m in seq]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]  # no output activation: logits
    assert [(m.in_features, m.out_features) for m in seq if isinstance(m, nn.Linear)] == [(784, 300), (300, 100), (100, 10)]
    assert [type(m) for m in export.to_sequential(models.xor_net(4, "tanh"))] == [nn.Linear, nn.Tanh, nn.Linear]
    sig = models.Architecture((5, 4, 3, 2), activation="sigmoid")
    assert [type(m) for m in export.to_sequential(sig)] == [nn.Linear, nn.Sigmoid, nn.Linear, nn.Sigmoid, nn.Linear]
    assert export.weight_keys(sig) == ["0.weight", "2.weight", "4.weight"]
    assert list(export.to_sequential(sig).state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    with pytest.raises(ValueError, match="Architecture"):
        export.to_sequential((784, 300, 10))


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("which", ["initial", "trained"])
@pytest.mark.parametrize("arch_name", list(ARCHS))
def test_round_trip_gives_lths_logits(tmp_path, arch_name, which):
    arch = ARCHS[arch_name]
    init, final, m = _batch(arch)
    params = init if which == "initial" else final
    x = _inputs(arch)
    want_all = models.forward(arch, lth_masks.apply(params, m), x)  # [S, N, out]
    for s in range(len(SEEDS)):
        path = export.save_ticket(tmp_path / f"t{s}.pt", arch, params, m, s,
                                  meta={"seed": SEEDS[s], "density": DENSITY, "weights": which})
        assert path == tmp_path / f"t{s}.pt"
        model, masks = export.load_ticket(path)
        assert isinstance(model, nn.Sequential)
        with torch.no_grad():
            got = model(x)
        _assert_logits_close(got, want_all[s])
        # the masks are lth's, transposed to nn.Linear's [out, in], and the density is the ticket's
        assert list(masks) == export.weight_keys(arch)
        for l, key in enumerate(export.weight_keys(arch)):
            assert masks[key].dtype == torch.bool
            assert torch.equal(masks[key], m[f"w{l}"][s].T)
            weight = model.get_parameter(key).detach()
            assert torch.equal(weight[masks[key]], params[f"w{l}"][s].T[masks[key]])  # kept weights bit for bit
            assert bool((weight[~masks[key]] == 0).all()) and not bool(torch.signbit(weight[~masks[key]]).any())
        # every layer keeps 21% of its weights, rounded half up (pruning.one_shot_to_density)
        assert [int(v.sum()) for v in masks.values()] == [int(DENSITY * v.numel() + 0.5) for v in masks.values()]


@pytest.mark.parametrize("arch_name", ["lenet-300-100", "xor-2-10-1"])
def test_file_is_plain_pytorch_loadable_with_weights_only(tmp_path, arch_name):
    arch = ARCHS[arch_name]
    init, final, m = _batch(arch)
    s = 1
    path = export.save_ticket(tmp_path / "ticket.pt", arch, final, m, s, meta={"seed": SEEDS[s], "note": "x"})
    state = torch.load(path, weights_only=True)  # no lth needed from here on
    assert list(state) == ["state_dict", "masks", "architecture", "meta"]
    assert state["architecture"] == {"sizes": list(arch.sizes), "activation": arch.activation,
                                     "output": arch.output, "name": arch.name}
    assert state["meta"] == {"seed": SEEDS[s], "note": "x"}
    layers: list[nn.Module] = []
    sizes = state["architecture"]["sizes"]
    for l in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[l], sizes[l + 1]))
        if l < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    model.load_state_dict(state["state_dict"])  # strict: the keys and shapes are nn.Sequential's own
    for key, mask in state["masks"].items():
        assert mask.dtype == torch.bool and mask.shape == state["state_dict"][key].shape
        assert bool((state["state_dict"][key][~mask] == 0).all())
    x = _inputs(arch)
    with torch.no_grad():
        got = model(x)
    _assert_logits_close(got, models.forward(arch, lth_masks.apply(final, m), x)[s])


def test_round_trip_in_float64_is_tight(tmp_path):
    arch = models.lenet_300_100(0.5)
    _, final, m = _batch(arch, dtype=torch.float64)
    model, _ = export.load_ticket(export.save_ticket(tmp_path / "t.pt", arch, final, m, 2))
    assert model.get_parameter("0.weight").dtype == torch.float64
    x = _inputs(arch, torch.float64)
    with torch.no_grad():
        _assert_logits_close(model(x), models.forward(arch, lth_masks.apply(final, m), x)[2], rtol=1e-12)


def test_ticket_state_is_a_small_copy_not_a_view_of_the_batch(tmp_path):
    arch = ARCHS["lenet-300-100"]
    _, final, m = _batch(arch)
    state = export.ticket_state(arch, final, m, 0)
    for t in list(state["state_dict"].values()) + list(state["masks"].values()):
        assert t.is_contiguous() and t.untyped_storage().nbytes() == t.numel() * t.element_size()
    path = export.save_ticket(tmp_path / "t.pt", arch, final, m, 0)
    one_net = arch.n_weights() * 4 + sum(arch.sizes[1:]) * 4 + arch.n_weights()  # floats + bool masks
    assert path.stat().st_size < one_net * 1.05  # not the whole 3-seed batch
    snapshot = {k: v.clone() for k, v in state["state_dict"].items()}
    for v in final.values():  # the export does not share memory with the caller's tensors
        v.add_(1.0)
    m["w0"].logical_not_()
    assert all(torch.equal(state["state_dict"][k], snapshot[k]) for k in snapshot)
    assert bool((state["state_dict"]["0.weight"][~state["masks"]["0.weight"]] == 0).all())


def test_load_ticket_leaves_the_global_rng_alone_and_gives_trainable_parameters(tmp_path):
    arch = ARCHS["xor-2-10-1"]
    _, final, m = _batch(arch)
    path = export.save_ticket(tmp_path / "t.pt", arch, final, m, 0)
    before = torch.get_rng_state()
    model, _ = export.load_ticket(path)
    assert torch.equal(torch.get_rng_state(), before)
    assert all(p.requires_grad and p.device.type == "cpu" for p in model.parameters())


# ---------------------------------------------------------------- saving

def test_save_is_atomic_and_overwrites(tmp_path, monkeypatch):
    arch = ARCHS["xor-2-10-1"]
    init, final, m = _batch(arch)
    path = export.save_ticket(tmp_path / "sub" / "t.pt", arch, init, m, 0)  # parents created
    first = path.read_bytes()
    export.save_ticket(path, arch, final, m, 1)  # overwrite
    assert path.read_bytes() != first
    second = path.read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == ["t.pt"]  # no temp files left

    with pytest.raises(ValueError):  # invalid input: nothing written, the old file untouched
        export.save_ticket(path, arch, final, m, 5)

    def broken_save(obj, f, *a, **k):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        export.save_ticket(path, arch, init, m, 0)
    assert path.read_bytes() == second
    assert sorted(p.name for p in path.parent.iterdir()) == ["t.pt"]

    with pytest.raises(ValueError, match="folder"):
        export.save_ticket(tmp_path, arch, init, m, 0)


def test_meta_must_be_plain(tmp_path):
    arch = ARCHS["xor-2-10-1"]
    _, final, m = _batch(arch)
    meta = {"seed": 3, "density": 0.21, "ok": True, "none": None, "rounds": (1, 2), "spec": {"a": [1.5, "b"]}}
    state = export.ticket_state(arch, final, m, 0, meta=meta)
    assert state["meta"] == {"seed": 3, "density": 0.21, "ok": True, "none": None, "rounds": [1, 2], "spec": {"a": [1.5, "b"]}}
    assert export.ticket_state(arch, final, m, 0)["meta"] == {}
    with pytest.raises(ValueError, match=r"meta\['t'\]"):
        export.ticket_state(arch, final, m, 0, meta={"t": torch.ones(1)})
    with pytest.raises(ValueError, match="keys must be strings"):
        export.ticket_state(arch, final, m, 0, meta={1: "x"})
    with pytest.raises(ValueError, match="meta must be a dict"):
        export.ticket_state(arch, final, m, 0, meta=[("a", 1)])


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("bad", [3, -1, 100, True, 1.0, "0", None])
def test_bad_seed_index_raises_value_error(bad):
    arch = ARCHS["xor-2-10-1"]
    _, final, m = _batch(arch)
    with pytest.raises(ValueError, match="seed_index"):
        export.ticket_state(arch, final, m, bad)


def test_numpy_and_tensor_integers_are_valid_seed_indices():
    np = pytest.importorskip("numpy")
    arch = ARCHS["xor-2-10-1"]
    _, final, m = _batch(arch)
    ref = export.ticket_state(arch, final, m, 2)["state_dict"]["0.weight"]
    for s in (np.int64(2), torch.tensor(2)):
        assert torch.equal(export.ticket_state(arch, final, m, s)["state_dict"]["0.weight"], ref)


def test_masks_not_matching_params_raise_value_error():
    arch = ARCHS["xor-2-10-1"]
    _, final, m = _batch(arch)
    with pytest.raises(ValueError, match="keyed"):
        export.ticket_state(arch, final, {"w0": m["w0"]}, 0)
    with pytest.raises(ValueError, match="bool"):
        export.ticket_state(arch, final, {k: v.float() for k, v in m.items()}, 0)
    with pytest.raises(ValueError, match="shape"):
        export.ticket_state(arch, final, {k: v[:2] for k, v in m.items()}, 0)  # two seeds' masks for three
    with pytest.raises(ValueError, match="shape"):
        export.ticket_state(arch, final, {"w0": m["w0"].transpose(1, 2), "w1": m["w1"]}, 0)


def test_params_not_matching_the_architecture_raise_value_error():
    lenet, xor = ARCHS["lenet-300-100"], ARCHS["xor-2-10-1"]
    _, final, m = _batch(xor)
    with pytest.raises(ValueError, match="keyed"):
        export.ticket_state(lenet, final, m, 0)
    with pytest.raises(ValueError, match="w0"):
        export.ticket_state(models.xor_net(8), final, m, 0)
    with pytest.raises(ValueError, match="b1"):
        export.ticket_state(xor, {**final, "b1": final["b1"][:, None]}, m, 0)
    with pytest.raises(ValueError, match="Architecture"):
        export.ticket_state(xor.to_dict(), final, m, 0)


def test_read_ticket_rejects_what_is_not_a_ticket(tmp_path):
    with pytest.raises(FileNotFoundError):
        export.load_ticket(tmp_path / "absent.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="junk.pt"):
        export.load_ticket(tmp_path / "junk.pt")
    torch.save({"a": torch.ones(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a ticket"):
        export.load_ticket(tmp_path / "other.pt")
    arch = ARCHS["xor-2-10-1"]
    _, final, m = _batch(arch)
    state = export.ticket_state(arch, final, m, 0)
    state["state_dict"]["0.weight"][~state["masks"]["0.weight"]] = 1.0  # a pruned weight that is not zero
    torch.save(state, tmp_path / "tampered.pt")
    with pytest.raises(ValueError, match="nonzero"):
        export.load_ticket(tmp_path / "tampered.pt")
    state = export.ticket_state(arch, final, m, 0)
    state["architecture"]["sizes"] = [2, 8, 1]
    torch.save(state, tmp_path / "wrong-arch.pt")
    with pytest.raises(ValueError, match="0.weight"):
        export.read_ticket(tmp_path / "wrong-arch.pt")
