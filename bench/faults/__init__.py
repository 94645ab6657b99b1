"""The fault suite: field devices' stories delivered to a real `corridor serve` through
the public sync API with the faults of the field (lost responses, the same batch
pushed twice at once, devices syncing out of order, the server killed mid-push, a
restore from an older backup, clocks hours off, hostile events inside batches), then
the invariants checked: every device event in the ledger exactly once, nothing
acknowledged missing, no 5xx, the chain verifies, a rebuild equals the live
projections, the counts and every person's status are what happened.

`python -m bench.faults --runs N` runs N randomized runs; `tests/test_faults.py` a
short slice of them. See docs/sync.md and docs/benchmarks.md.
"""
