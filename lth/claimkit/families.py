"""The registered claims: the fixed families over which alpha is split and Holm adjusts.

Alpha per claim is ``family_alpha / m`` with m the number of claims *registered* in the
claim's family here, not the number collected: ``pytest -k`` or a crashed neighbour never
changes a claim's alpha. The paper's claims and the follow-up claims are separate families
(each at the preset's ``family_alpha``), so adding a claim beyond the paper never changes
a verdict about the paper. The A/A calibration check is in neither: it is not a claim.
"""
from __future__ import annotations

FAMILIES: dict[str, tuple[str, ...]] = {
    "paper": ("XOR-1", "XOR-2", "MNIST-1", "MNIST-2a", "MNIST-2b", "MNIST-3", "MNIST-4a", "MNIST-4b", "MNIST-5",
              "MNIST-6"),
    # the seed summary's own questions about pruning before reset: asked here, not by the paper (claims v3)
    "seed": ("MNIST-7a", "MNIST-7b"),
    "beyond": ("FMNIST-3", "FMNIST-4a", "FMNIST-2b", "FMNIST-2a", "SIGN-1", "SUPERMASK-1", "LMC-1"),
}
TITLES = {"paper": "The paper's claims", "seed": "The seed's questions", "beyond": "Beyond the paper"}
ORDER = tuple(FAMILIES)  # how reports list the families


def register(family: str, ids: tuple[str, ...]) -> None:
    """Register a family of claims (e.g. a project's own claims beside these, or a test's fake ones)."""
    taken = {i for name, members in FAMILIES.items() if name != family for i in members} & set(ids)
    if taken:
        raise ValueError(f"claims {sorted(taken)} are already registered in another family")
    FAMILIES[family] = tuple(ids)


def family_of(claim_id: str) -> str:
    """The family a claim id is registered in; ValueError for an unregistered id."""
    for family, ids in FAMILIES.items():
        if claim_id in ids:
            return family
    raise ValueError(f"claim {claim_id!r} is not registered in lth/registry.py (families: "
                     f"{', '.join(f'{k}: {len(v)}' for k, v in FAMILIES.items())})")


def m(claim_id: str) -> int:
    """The number of claims registered in ``claim_id``'s family: the m of its Bonferroni alpha and of Holm."""
    return len(FAMILIES[family_of(claim_id)])
