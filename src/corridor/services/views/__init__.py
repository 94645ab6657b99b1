"""What the pages that can be shown as of any moment show, each a pure function of
the folded state (`OperationState`), so that now and then are the same code: the
services read the state through `timeline.read_at`, then shape it by role and audit
the read.

    alerts.py    the alerts, what each is about and what explains it
"""
