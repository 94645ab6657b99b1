"""Views: what a page shows, each a pure function of `OperationState`, so a page reads
the same code now and as of any earlier moment (`services/timeline.read_at`). Callers
in services shape them by role and audit personal reads.

- `counts.py`: people by status and by need, households, open alerts (the dashboard's
  figures and `GET /api/operation`'s counts).
"""
