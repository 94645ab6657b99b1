"""What the pages that can be shown as of any moment show, as pure functions of the
state (`OperationState`), so that now and any earlier moment are the same code
(`services.timeline.read_at`). The state they are given is shared: they never change it.

- convoys: the convoy board (filters, order, pages) and the convoy page, each
  vehicle's trip with its counts;
- manifests: the manifest of one trip (a vehicle in one convoy).
"""
