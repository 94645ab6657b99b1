"""Importing pre-registration lists: households drawn up before the day of the move.

An import is all or nothing: a list with any problem records nothing and the report
names every problem by line; a clean list is recorded as one command, all its
households or none if recording fails. The references are checked twice, once
to report them and again inside the write lock, against the very state the
households join, so that a token another registrar issued a moment ago is caught.

    formats.py   reading the file: CSV or XLSX, as rows of text cells
    rows.py      the columns and the checks on each row, and against the record

Whole-file problems (unreadable, not CSV or XLSX, empty, missing required columns,
too large) raise `ImportFailed` with one printable line.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from corridor.domain import events as ev
from corridor.domain.permissions import COORDINATES
from corridor.domain.state import OperationState
from corridor.services.importing.formats import ImportFailed, read_rows
from corridor.services.importing.rows import (
    COLUMNS,
    Household,
    ImportReport,
    RowError,
    header,
    parse,
    reference_errors,
)
from corridor.services.ledger import Ledger, Principal, Refused

__all__ = ["ImportFailed", "ImportReport", "RowError", "import_households"]


class _Invalid(Exception):
    """References the record does not hold, found while recording: abandons the command."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def import_households(ledger: Ledger, principal: Principal, path: Path,
                      progress: Callable[[int], None] | None = None) -> ImportReport:
    """Check the list at `path` and record its households, all or none.

    `progress` is called with the number of rows parsed since its last call."""
    if principal.role not in COORDINATES:
        raise PermissionError(f"the {principal.role} role may not import lists; "
                              "a coordinator or admin may")
    report = ImportReport(path)
    with closing(read_rows(path)) as rows:  # closes the file even when a limit stops reading
        columns = header(path, next(rows, None), report)
        households = parse(path, rows, columns, report, progress)
    report.households, report.persons = len(households), sum(h.rows for h in households)
    if report.errors:
        report.errors += ledger.read(lambda state: reference_errors(state, households))
    else:
        events = [_event(h) for h in households]

        def decide(state: OperationState) -> list[ev.Payload]:
            # Checked inside the write lock, against the very state the households join,
            # so a token another registrar issued a moment ago is caught too.
            if problems := reference_errors(state, households):
                raise _Invalid(problems)
            return list(events)

        try:
            ledger.execute(principal, decide)
        except _Invalid as invalid:
            report.errors += invalid.errors
        except Refused as refused:
            raise ImportFailed(f"{path}: the record refused the import: {refused.reason}"
                               ) from None
    report.errors.sort(key=lambda e: (e.line, COLUMNS.index(e.field)
                                      if e.field in COLUMNS else len(COLUMNS)))
    return report


def _event(household: Household) -> ev.HouseholdRegistered:
    return ev.HouseholdRegistered(
        household_id=str(uuid.uuid4()), gathering_point_id=household.gathering_point_id or "",
        token=household.token, members=[person for _, person in household.members])
