"""A ticket as plain PyTorch: an ``nn.Sequential`` state_dict with its masks, in one file.

lth keeps S networks as stacked tensors (``w{l}``: [S, fan_in, fan_out], ``b{l}``: [S, fan_out])
and computes ``h @ w + b``. ``nn.Linear`` stores its weight as [out, in] and computes
``h @ weight.T + bias``, so exporting one seed takes ``w{l}[s].T``. The exported file is a
plain dict, loadable with ``torch.load(path, weights_only=True)`` and usable without lth::

    {"state_dict":   {"0.weight": [out, in], "0.bias": [out], "2.weight": ..., ...},  # pruned weights +0.0
     "masks":        {"0.weight": bool [out, in], "2.weight": ..., ...},             # True = kept
     "architecture": {"sizes": [784, 300, 100, 10], "activation": "relu", "output": "softmax", "name": ...},
     "meta":         {...}}                                                          # str/int/float/bool/None

Rebuild the model with ``nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(),
nn.Linear(100, 10))`` (or :func:`to_sequential`) and ``load_state_dict(ticket["state_dict"])``. The
model returns logits: apply softmax for a ``softmax`` output, ``torch.sigmoid`` for the one logit
of a ``sigmoid`` output (the XOR nets). To keep pruned weights at zero while fine-tuning, multiply
each weight's gradient by its mask (or reapply ``weight.data.mul_(mask)`` after each step).
"""
from __future__ import annotations

import operator
import os
from pathlib import Path
from typing import Mapping

import torch
from torch import nn

from lth.core import masks as lth_masks
from lth.core import models
from lth.core.atomic import write_atomic

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
_TOP_KEYS = ("state_dict", "masks", "architecture", "meta")


def _linear_index(layer: int) -> int:
    """Position of layer ``layer``'s nn.Linear in the Sequential (an activation follows every hidden one)."""
    return 2 * layer


def weight_keys(arch: models.Architecture) -> list[str]:
    """The state_dict keys of the Linear weights, in layer order: "0.weight", "2.weight", ..."""
    return [f"{_linear_index(l)}.weight" for l in range(arch.n_layers)]


def to_sequential(arch: models.Architecture, *, device: str | torch.device | None = None,
                  dtype: torch.dtype | None = None) -> nn.Sequential:
    """``nn.Sequential`` of Linear and activation layers matching ``arch``; the last Linear gives logits.

    Freshly initialised by PyTorch's defaults (draws from the global RNG); load a ticket's
    state_dict into it, or use :func:`load_ticket`.
    """
    if not isinstance(arch, models.Architecture):
        raise ValueError(f"arch must be an lth.models.Architecture, got {type(arch).__name__}")
    layers: list[nn.Module] = []
    for l in range(arch.n_layers):
        layers.append(nn.Linear(arch.sizes[l], arch.sizes[l + 1], device=device, dtype=dtype))
        if l < arch.n_layers - 1:
            layers.append(_ACTIVATIONS[arch.activation]())
    return nn.Sequential(*layers)


def _check_seed_index(seed_index: object, n_seeds: int) -> int:
    if isinstance(seed_index, bool):
        raise ValueError(f"seed_index must be an integer in [0, {n_seeds}), got {seed_index!r}")
    try:
        s = operator.index(seed_index)
    except TypeError:
        raise ValueError(f"seed_index must be an integer in [0, {n_seeds}), got {seed_index!r}") from None
    if not 0 <= s < n_seeds:
        raise ValueError(f"seed_index {s} is out of range: the batch holds {n_seeds} seeds (0..{n_seeds - 1})")
    return s


def _check_params(arch: models.Architecture, params: Mapping[str, torch.Tensor]) -> int:
    """Raise ValueError unless ``params`` are this architecture's seed-batched w/b tensors; return S."""
    expected = {f"{p}{l}" for l in range(arch.n_layers) for p in "wb"}
    if set(params) != expected:
        raise ValueError(f"params are keyed {sorted(params)}, architecture {arch.name!r} needs {sorted(expected)}")
    lth_masks.check_weights(dict(params))
    n_seeds = params["w0"].shape[0]
    for l in range(arch.n_layers):
        w, b = params[f"w{l}"], params[f"b{l}"]
        if tuple(w.shape[1:]) != (arch.sizes[l], arch.sizes[l + 1]):
            raise ValueError(f"weight 'w{l}' has shape {tuple(w.shape)}, architecture {arch.name!r} needs "
                             f"[seeds, {arch.sizes[l]}, {arch.sizes[l + 1]}]")
        if not isinstance(b, torch.Tensor) or tuple(b.shape) != (n_seeds, arch.sizes[l + 1]):
            raise ValueError(f"bias 'b{l}' has shape {tuple(getattr(b, 'shape', ()))}, expected [{n_seeds}, {arch.sizes[l + 1]}]")
        if b.dtype != w.dtype:
            raise ValueError(f"bias 'b{l}' has dtype {b.dtype}, its weight {w.dtype}")
    return n_seeds


def _plain(value: object, where: str) -> object:
    """``value`` if it is plain metadata (str/int/float/bool/None, or lists and str-keyed dicts of those)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        return {_key(k, where): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise ValueError(f"{where} must be a str, int, float, bool or None (or a list/dict of them), "
                     f"got {type(value).__name__}")


def _key(k: object, where: str) -> str:
    if not isinstance(k, str):
        raise ValueError(f"{where} keys must be strings, got {k!r}")
    return k


def ticket_state(arch: models.Architecture, params: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor],
                 seed_index: int, meta: Mapping[str, object] | None = None) -> dict:
    """Network ``seed_index`` of a seed batch as a plain dict: state_dict, masks, architecture, meta.

    ``params`` are lth's ``{"w{l}": [S, in, out], "b{l}": [S, out]}`` (initial or trained weights),
    ``masks`` lth's ``{"w{l}": bool [S, in, out]}``. The state_dict is that of :func:`to_sequential`
    (weights transposed to [out, in]) with pruned weights exactly +0.0; the masks are keyed by the
    Linear weight keys ("0.weight", ...), bool [out, in]. All tensors are contiguous CPU copies
    (not views of the batch), so the dict saves small and loads with ``weights_only=True``.
    """
    if not isinstance(arch, models.Architecture):
        raise ValueError(f"arch must be an lth.models.Architecture, got {type(arch).__name__}")
    n_seeds = _check_params(arch, params)
    weights = {f"w{l}": params[f"w{l}"] for l in range(arch.n_layers)}
    lth_masks.check_masks(dict(masks), weights)
    s = _check_seed_index(seed_index, n_seeds)
    if meta is not None and not isinstance(meta, Mapping):
        raise ValueError(f"meta must be a dict of plain values, got {type(meta).__name__}")
    meta = _plain(meta, "meta") if meta is not None else {}
    state_dict: dict[str, torch.Tensor] = {}
    out_masks: dict[str, torch.Tensor] = {}
    for l in range(arch.n_layers):
        w = params[f"w{l}"][s].detach().to("cpu")
        m = masks[f"w{l}"][s].to("cpu")
        kept = torch.where(m, w, torch.zeros((), dtype=w.dtype))  # +0.0 where pruned, as lth.masks.apply
        i = _linear_index(l)
        state_dict[f"{i}.weight"] = kept.T.contiguous().clone()
        state_dict[f"{i}.bias"] = params[f"b{l}"][s].detach().to("cpu").contiguous().clone()
        out_masks[f"{i}.weight"] = m.T.contiguous().clone()
    d = arch.to_dict()
    architecture = {"sizes": [int(x) for x in d["sizes"]], "activation": str(d["activation"]),
                    "output": str(d["output"]), "name": str(d["name"])}
    return {"state_dict": state_dict, "masks": out_masks, "architecture": architecture, "meta": meta}


def save_ticket(path: str | os.PathLike, arch: models.Architecture, params: Mapping[str, torch.Tensor],
                masks: Mapping[str, torch.Tensor], seed_index: int, meta: Mapping[str, object] | None = None) -> Path:
    """Write :func:`ticket_state` to ``path`` atomically (a temp file beside it, then ``os.replace``).

    Parent folders are created. Everything is validated before anything is written; a failed
    write leaves no partial file and an existing ``path`` untouched. Returns the path.
    """
    state = ticket_state(arch, params, masks, seed_index, meta)
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give the path of the file to write (e.g. ticket.pt)")
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, lambda f: torch.save(state, f))


def read_ticket(path: str | os.PathLike) -> dict:
    """The dict written by :func:`save_ticket`, loaded with ``weights_only=True`` onto the CPU and checked.

    Raises FileNotFoundError for a missing file and ValueError, naming the file, for one that is
    not a ticket (unreadable, keys or shapes that do not fit its architecture, a pruned weight
    that is not zero).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no ticket file at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise ValueError(f"{path} is not a readable ticket ({type(e).__name__}: {e})") from e
    if not isinstance(state, dict) or any(k not in state for k in _TOP_KEYS):
        have = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{path} is not a ticket: expected keys {list(_TOP_KEYS)}, found {have}")
    try:
        a = state["architecture"]
        arch = models.Architecture(tuple(int(x) for x in a["sizes"]), activation=a["activation"],
                                   output=a["output"], name=a["name"])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path} holds an invalid architecture {state['architecture']!r}: {e}") from e
    sd, ms = state["state_dict"], state["masks"]
    want = {k for i in range(arch.n_layers) for k in (f"{_linear_index(i)}.weight", f"{_linear_index(i)}.bias")}
    if not isinstance(sd, dict) or set(sd) != want:
        raise ValueError(f"{path}: state_dict keys {sorted(sd) if isinstance(sd, dict) else sd!r} do not fit "
                         f"architecture {arch.sizes}; expected {sorted(want)}")
    if not isinstance(ms, dict) or set(ms) != set(weight_keys(arch)):
        raise ValueError(f"{path}: masks keyed {sorted(ms) if isinstance(ms, dict) else ms!r}, expected {weight_keys(arch)}")
    for l in range(arch.n_layers):
        i = _linear_index(l)
        w, b, m = sd[f"{i}.weight"], sd[f"{i}.bias"], ms[f"{i}.weight"]
        shape = (arch.sizes[l + 1], arch.sizes[l])
        if not isinstance(w, torch.Tensor) or tuple(w.shape) != shape or not w.is_floating_point():
            raise ValueError(f"{path}: '{i}.weight' must be a float tensor {list(shape)}, got {getattr(w, 'shape', w)!r}")
        if not isinstance(b, torch.Tensor) or tuple(b.shape) != (shape[0],) or b.dtype != w.dtype:
            raise ValueError(f"{path}: '{i}.bias' must be a {w.dtype} tensor [{shape[0]}], got {getattr(b, 'shape', b)!r}")
        if not isinstance(m, torch.Tensor) or m.dtype != torch.bool or tuple(m.shape) != shape:
            raise ValueError(f"{path}: mask '{i}.weight' must be a bool tensor {list(shape)}, got {getattr(m, 'shape', m)!r}")
        if bool((w[~m] != 0).any()):
            raise ValueError(f"{path}: '{i}.weight' has nonzero weights where its mask prunes them")
    return state


def load_ticket(path: str | os.PathLike) -> tuple[nn.Sequential, dict[str, torch.Tensor]]:
    """Rebuild the exported network: ``(model, masks)``, the model on the CPU in the saved dtype.

    ``masks`` maps the Linear weight keys ("0.weight", ...) to bool [out, in] (True = kept); the
    model's parameters are the saved tensors (requires_grad as usual). The file's metadata is
    ``read_ticket(path)["meta"]``.
    """
    state = read_ticket(path)
    a = state["architecture"]
    arch = models.Architecture(tuple(int(x) for x in a["sizes"]), activation=a["activation"],
                               output=a["output"], name=a["name"])
    dtype = state["state_dict"]["0.weight"].dtype
    model = to_sequential(arch, device="meta", dtype=dtype)  # no allocation, no draw from the global RNG
    model.load_state_dict(state["state_dict"], strict=True, assign=True)
    return model, dict(state["masks"])
