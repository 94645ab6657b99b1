"""What batch duplicate detection needs beyond the base install, and which extra brings it.

The server, the demo and search need none of it (numpy, Splink with DuckDB and pyarrow
were two thirds of a 473 MiB base install): Corridor's own batch scorer (`dedupe`)
needs numpy, Splink's (`batch`) splink, and its Spark backend pyspark.
"""

from __future__ import annotations

import importlib

#: Package → the extra that installs it.
EXTRA = {"numpy": "batch", "splink": "batch", "pyspark": "spark"}


class MissingExtra(RuntimeError):
    """A package of an extra is not installed; the message says what to install."""


def require(*packages: str) -> None:
    """Raise MissingExtra, in one line naming the extra, unless every package imports."""
    for package in packages:
        try:
            importlib.import_module(package)
        except ModuleNotFoundError as missing:
            raise MissingExtra(f"batch duplicate detection needs {package}, which the base "
                               f"install leaves out: pip install 'corridor[{EXTRA[package]}]'"
                               ) from missing
