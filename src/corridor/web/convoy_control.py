"""Which convoy control actions can work in which convoy state.

The setup helper's convoy control screens (issue 12) own this module; until they are
merged the board and the convoy page read the mapping from here, so the merge
replaces this file and nothing else.
"""

from __future__ import annotations

from corridor.domain.vocabulary import ConvoyState

# Convoy state → the actions possible in it (`/convoys/{id}/control/{action}`).
ACTIONS: dict[str, set[str]] = {
    ConvoyState.PLANNED: {"depart", "abort"},
    ConvoyState.DEPARTED: {"hold", "turn-back"},
    ConvoyState.HELD: {"release", "turn-back"},
    ConvoyState.TURNED_BACK: {"return"},
    ConvoyState.RETURNED: set(),
    ConvoyState.ABORTED: set(),
    ConvoyState.ARRIVED: set(),
}
