"""Files the record is written to (exports, backups, candidate pairs): private and whole.

An export holds names and whereabouts, a backup the hashes of every password and
token, so each is created readable by its owner only (0600), whatever the umask.
It is written under a fresh name in the target's directory, opened exclusively
(`mkstemp`: O_CREAT | O_EXCL, so nobody's file or symlink placed there beforehand is
followed or truncated), and renamed over the target only once it is complete: an
interrupted export never leaves half a file under the real name.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def private_file(target: Path, mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """Open a new private file that becomes `target` when the block succeeds. `mode`
    and `options` are as for `open` ("w" with encoding and newline, or "wb")."""
    target = Path(target)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                             dir=target.parent)
    try:
        with os.fdopen(descriptor, mode, **options) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
