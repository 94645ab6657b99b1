"""Views: what a page shows, each a pure function of `OperationState`, so that a page
shown now and as of an earlier moment (`services.timeline.read_at`) is the same code.
The state they are given is shared: they read it, never change it, and return plain
values that do not refer back into it. The services read the state through
`timeline.read_at`, then shape what a view returns by role and audit the read.

    setup.py      the steps of setting up an operation and what each has recorded; the
                  vehicles free to plan; a convoy as a coordinator's decision names it
    convoys.py    the convoy board (filters, order, pages) and the convoy page, each
                  vehicle's trip with its counts
    manifests.py  the manifest of one trip (a vehicle in one convoy)
    alerts.py     the alerts, what each is about and what explains it
    dashboard.py  the figures a coordinator reads first, what explains the total, and
                  the movements per day and checkpoint
"""
