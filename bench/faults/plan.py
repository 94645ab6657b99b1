"""Which faults one run injects, drawn from its seed (or set by a test)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.faults import hostile

FAULTS = ("lost", "twice", "kill", "restore", "hostile", "skew")
ORDERS = ("causal", "late", "shuffled")


@dataclass(frozen=True, slots=True)
class Plan:
    # causal: devices sync as things happen; late: so do all but one or two, which come
    # online later with their backlog; shuffled: any device, any time.
    order: str
    max_batch: int  # each push takes 1..max_batch of a device's pending events
    lost: float = 0.0  # chance that a push's answer is lost (the push itself happened)
    twice: float = 0.0  # chance that a batch is pushed from two threads at once
    # Where the server is killed mid-push, and where a backup is taken and later
    # restored, as shares of the story's events receipted so far.
    kills: tuple[float, ...] = ()
    backup_at: float | None = None
    restore_at: float | None = None
    hostile: tuple[str, ...] = ()  # kinds of hostile events mixed into the streams
    skew: bool = False  # some devices' clocks hours off

    @classmethod
    def draw(cls, seed: int, order: str = "mixed", without: frozenset[str] = frozenset()) -> Plan:
        rng = random.Random(f"plan-{seed}")

        def chance(fault: str, p: float) -> bool:
            return fault not in without and rng.random() < p

        backup_at = rng.uniform(0.1, 0.5) if chance("restore", 0.15) else None
        return cls(
            order=order if order != "mixed" else rng.choice(ORDERS),
            max_batch=rng.choice([3, 10, 40, 1000]),
            lost=rng.choice([0.1, 0.25]) if chance("lost", 0.7) else 0.0,
            twice=rng.choice([0.1, 0.2]) if chance("twice", 0.6) else 0.0,
            kills=tuple(sorted(rng.uniform(0.1, 0.9) for _ in range(rng.randint(1, 2))))
            if chance("kill", 0.3) else (),
            backup_at=backup_at,
            restore_at=backup_at + rng.uniform(0.1, 0.4) if backup_at is not None else None,
            hostile=tuple(rng.sample(hostile.KINDS, rng.randint(1, 3)))
            if chance("hostile", 0.4) else (),
            skew=chance("skew", 0.5))
