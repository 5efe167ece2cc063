"""A registry of named variants: one spelling per name, and one line naming the known ones for an unknown name.

Controls, pruning criteria, statistical designs and the Lab's sources are each one of these, the way
open_lth's branch registry and jaxpruner's ``register_algorithm`` keep their variants.
"""
from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(dict, Generic[T]):
    """A ``dict`` of name -> variant whose :meth:`named` says, in one line, what is known when a name is not."""

    def __init__(self, what: str):
        super().__init__()
        self.what = what  # how the error calls a variant, e.g. "control", "pruning criterion"

    def named(self, name: str) -> T:
        if name not in self:
            raise ValueError(f"unknown {self.what} {name!r}; known: {', '.join(self)}")
        return self[name]
