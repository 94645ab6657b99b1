"""A scratch layer over the folded state, to judge a command without changing the state.

A command is judged by the fold itself: its facts are applied and settled on a
*trial* of the state (`OperationState.would_refuse`), so the rules that decide are
the fold's own, never a second copy of them. The trial must leave the state as it
was whatever it concludes, and cost what the facts touch, not a copy of the whole
state (200,000 people). So each of the state's dictionaries gets a `Layer`: reads
fall through to the state's dictionary, writes and deletions stay in the layer, and
a value read through it (a person, a list of filed facts) is copied the first time,
so the fold can change it in place as it always does and change only the copy.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

# Values read through a layer as they are: nothing can change them in place.
IMMUTABLE = (str, int, float, bool, tuple, frozenset, datetime, type(None))
_MISSING: Any = object()


def _own(value: V) -> V:
    """A value the layer may let the fold change: a copy, unless it cannot change."""
    if isinstance(value, IMMUTABLE):
        return value
    params = getattr(type(value), "__dataclass_params__", None)
    if params is not None and params.frozen:
        return value
    return copy.copy(value)


class Layer(dict[K, V]):
    """A dictionary written over another, `base`, which it never changes. It holds
    what was written or read through it; `gone` hides the base's keys deleted here.
    Like the base, it makes a missing value with the base's default factory."""

    __slots__ = ("base", "gone", "default")

    def __init__(self, base: dict[K, V]) -> None:
        super().__init__()
        self.base = base
        self.gone: set[K] = set()
        self.default: Callable[[], V] | None = getattr(base, "default_factory", None)

    def _below(self, key: K) -> bool:
        return key not in self.gone and key in self.base

    def __missing__(self, key: K) -> V:
        if self._below(key):
            value = _own(self.base[key])
        elif self.default is not None:
            value = self.default()
        else:
            raise KeyError(key)
        dict.__setitem__(self, key, value)
        return value

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or self._below(key)  # type: ignore[arg-type]

    def get(self, key: K, default: Any = None) -> Any:
        return self[key] if key in self else default

    def __delitem__(self, key: K) -> None:
        if key not in self:
            raise KeyError(key)
        dict.pop(self, key, None)
        self.gone.add(key)

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        if key not in self:
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = self[key]
        del self[key]
        return value

    def __iter__(self) -> Iterator[K]:
        yield from dict.__iter__(self)
        for key in self.base:
            if key not in self.gone and not dict.__contains__(self, key):
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def keys(self) -> Any:
        return list(self)

    def values(self) -> Any:
        return [self[key] for key in list(self)]

    def items(self) -> Any:
        return [(key, self[key]) for key in list(self)]


def layered(obj: T, **given: Any) -> T:
    """A trial of `obj`: an object of its type whose dictionaries are layers over
    obj's and whose sets are copies (the small ones the fold keeps while it settles).
    `given` sets attributes outright: those the trial starts afresh, or those that
    point at other layered objects. Anything else fails here, so an attribute the
    fold might change through a trial without a layer is found by the first test."""
    trial = object.__new__(type(obj))
    for name, value in vars(obj).items():
        if name in given:
            value = given[name]
        elif isinstance(value, dict):
            value = Layer(value)
        elif isinstance(value, set):
            value = set(value)
        elif not isinstance(value, IMMUTABLE):
            raise TypeError(f"{type(obj).__name__}.{name}: a trial cannot layer a "
                            f"{type(value).__name__}")
        setattr(trial, name, value)
    return trial

