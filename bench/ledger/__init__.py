"""The ledger benchmark: push through the HTTP API against a raw-insert baseline,
rebuild, demo load and peak memory, on SQLite and PostgreSQL.

Run it with `python -m bench.ledger --help`. Every measured stage runs in its own
subprocess (see `stages.py`) so its peak RSS is its own.
"""
