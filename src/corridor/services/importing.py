"""Importing pre-registration lists: households drawn up before the day of the move.

The file
--------
A CSV file (UTF-8, with or without a byte-order mark, fields separated by commas
or semicolons) or an XLSX workbook (its first sheet). Line 1 holds the column
names; every line after it is one person. Blank lines are skipped.

Column names are matched ignoring case and surrounding spaces (a space inside a
name counts as `_`). Each column also has an Arabic name:

    household            رقم_العائلة   required: rows with the same key form one household
    gathering_point_id   نقطة_التجمع   required: the household's gathering point
    token                الرمز         the household's boarding token (family number, wristband)
    given_name           الاسم         required
    father_name          اسم_الأب
    family_name          الكنية
    sex                  الجنس         female/male/unknown, also f/m, أنثى/ذكر; blank: unknown
    birth_year           سنة_الميلاد   give birth_year or age, not both
    age                  العمر         in years, when only an age is known
    needs                الاحتياجات    separated by ';' (or ','): wounded, medical, ...
    consent              الموافقة      yes/no, true/false, 1/0, نعم/لا; blank: no
    destination_id       الوجهة        the person's chosen reception or hospital

`gathering_point_id` and `token` belong to the household: they may be left blank
on a household's later rows, but where given they must agree. Other columns are
ignored (and listed in the report), so a list may carry working notes that
Corridor does not keep.

The rules
---------
Every row is checked by the same event schema the API uses, and every reference
against the current record (the gathering point and destination exist and are of
the right kind, the token is not already issued). Problems are reported by line
as a spreadsheet numbers it (the header is line 1), and an import with any
problem records nothing. A clean import is recorded as one command: all its
households, or none if recording fails.

Whole-file problems (unreadable, not CSV or XLSX, empty, missing required
columns, too large) raise `ImportFailed` with one printable line.
"""

from __future__ import annotations

import csv
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from pydantic import TypeAdapter, ValidationError

from corridor.domain import events as ev
from corridor.domain.permissions import COORDINATES
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import ARRIVAL_KINDS, LocationKind
from corridor.services.ledger import Ledger, Principal, Refused

# Limits against hostile or mistaken files.
MAX_ROWS = 200_000
MAX_CELL = 1000  # characters; names are at most 120, so only a broken file comes near this
MAX_COLUMNS = 50
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # an XLSX is a ZIP: refuse zip bombs before opening
PROGRESS_EVERY = 1000

REQUIRED = ("household", "gathering_point_id", "given_name")
COLUMNS = (*REQUIRED, "token", "father_name", "family_name", "sex", "birth_year", "age",
           "needs", "consent", "destination_id")
ARABIC = {unicodedata.normalize("NFC", name): column for name, column in {
    "رقم_العائلة": "household", "الاسم": "given_name", "اسم_الأب": "father_name",
    "الكنية": "family_name", "الجنس": "sex", "سنة_الميلاد": "birth_year", "العمر": "age",
    "الاحتياجات": "needs", "الموافقة": "consent", "الوجهة": "destination_id",
    "نقطة_التجمع": "gathering_point_id", "الرمز": "token",
}.items()}
SEXES = {"female": "female", "f": "female", "أنثى": "female", "انثى": "female",
         "male": "male", "m": "male", "ذكر": "male", "unknown": "unknown", "u": "unknown"}
CONSENT = {"yes": True, "true": True, "1": True, "نعم": True,
           "no": False, "false": False, "0": False, "لا": False}
PERSON_COLUMNS = ("given_name", "father_name", "family_name", "birth_year", "age",
                  "destination_id")
MAX_MEMBERS = 60  # HouseholdRegistered's limit, reported at the row that passes it

_ID = TypeAdapter(ev.Id)
_TOKEN = TypeAdapter(ev.Token)


class ImportFailed(Exception):
    """The file as a whole cannot be imported; the message is one printable line."""


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # as a spreadsheet numbers it: the header is line 1
    field: str
    message: str


@dataclass(slots=True)
class ImportReport:
    """What an import found. With no errors, every household in it was recorded;
    with any error, nothing was."""

    path: Path
    rows: int = 0
    households: int = 0
    persons: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        """One line per problem, `file:line: field: message`, as compilers print them."""
        return [f"{self.path}:{e.line}: {e.field}: {e.message}" for e in self.errors]


@dataclass(slots=True)
class _Household:
    key: str
    line: int  # its first row
    given: dict[str, tuple[str, int]] = field(default_factory=dict)  # field -> value, line
    members: list[tuple[int, ev.PersonDetails]] = field(default_factory=list)
    rows: int = 0
    seen: dict[tuple[Any, ...], int] = field(default_factory=dict)  # person -> first line
    bad: set[str] = field(default_factory=set)  # household fields already reported wrong

    @property
    def gathering_point_id(self) -> str | None:
        return self.given.get("gathering_point_id", (None, 0))[0]

    @property
    def token(self) -> str | None:
        return self.given.get("token", (None, 0))[0]


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
    with closing(_read(path)) as rows:  # closes the file even when a limit stops reading
        columns = _header(path, next(rows, None), report)
        households = _parse(path, rows, columns, report, progress)
    report.households, report.persons = len(households), sum(h.rows for h in households)
    if report.errors:
        report.errors += ledger.read(lambda state: _reference_errors(state, households))
    else:
        events = [_event(h) for h in households]

        def decide(state: OperationState) -> list[ev.Payload]:
            # Checked inside the write lock, against the very state the households join,
            # so a token another registrar issued a moment ago is caught too.
            if problems := _reference_errors(state, households):
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


# --- reading the file -----------------------------------------------------------------


def _read(path: Path) -> Generator[list[str], None, None]:
    """The file's rows as lists of text cells, header first, blank rows included so
    that a row's position is its line number."""
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            head = file.read(8192)
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if not head:
        raise ImportFailed(f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise ImportFailed(f"{path}: the file is larger than {MAX_FILE_BYTES // 2**20} MB; "
                           "split the list")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_rows(path, head)
    if suffix == ".csv":
        return _csv_rows(path, head)
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFailed(f"{path}: old Excel (.xls) workbooks are not read; "
                           "save it as .xlsx or as CSV UTF-8")
    named = f"its name ends in {suffix}" if suffix else "its name has no extension"
    raise ImportFailed(f"{path}: not a CSV or XLSX file ({named}); "
                       "save the list as .csv or .xlsx")


def _csv_rows(path: Path, head: bytes) -> Generator[list[str], None, None]:
    if head.startswith(b"PK\x03\x04"):
        raise ImportFailed(f"{path}: is a ZIP archive (an XLSX workbook?), not CSV text; "
                           "give it the .xlsx extension")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFailed(f"{path}: is UTF-16 text; save it as CSV UTF-8")
    if b"\x00" in head:
        raise ImportFailed(f"{path}: is binary, not CSV text")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut by the 8 KB read
            raise ImportFailed(f"{path}: is not UTF-8 text; save it as CSV UTF-8") from None
    return _csv_records(path)


def _csv_records(path: Path) -> Generator[list[str], None, None]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            # The header names hold neither separator, so its line tells them apart
            # reliably (csv.Sniffer guesses wrong on one-column or quoted files).
            first = file.readline()
            delimiter = ";" if first.count(";") > first.count(",") else ","
            file.seek(0)
            # strict: an unclosed quote is an error, not a cell swallowing the rest of the file
            line = 1  # of the record being read, as a spreadsheet numbers rows
            for record in csv.reader(file, delimiter=delimiter, strict=True):
                yield record
                line += 1
    except UnicodeDecodeError:
        raise ImportFailed(f"{path}: is not UTF-8 text; save it as CSV UTF-8") from None
    except csv.Error as exc:
        raise ImportFailed(f"{path}:{line}: cannot be read as CSV: {exc}") from None


def _xlsx_rows(path: Path, head: bytes) -> Generator[list[str], None, None]:
    not_xlsx = ImportFailed(f"{path}: is not an XLSX workbook; save the sheet as .xlsx or CSV")
    if not head.startswith(b"PK\x03\x04"):
        raise not_xlsx
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise not_xlsx from None
    if "xl/workbook.xml" not in {entry.filename for entry in entries}:
        raise not_xlsx
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        raise ImportFailed(f"{path}: unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; "
                           "split the list")
    return _xlsx_records(path)


def _xlsx_records(path: Path) -> Generator[list[str], None, None]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ImportFailed(f"{path}: the workbook cannot be read: {exc}") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ImportFailed(f"{path}: the workbook has no sheet")
        for values in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a user sees: 1985, not 1985.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header(path: Path, cells: list[str] | None, report: ImportReport) -> list[str | None]:
    """The column each cell position holds (None: ignored)."""
    if cells is None:
        raise ImportFailed(f"{path}: the file is empty")
    names = [_column_name(cell) for cell in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise ImportFailed(f"{path}: line 1 is empty; it must hold the column names")
    if len(names) > MAX_COLUMNS:
        raise ImportFailed(f"{path}: more than {MAX_COLUMNS} columns")
    columns: list[str | None] = []
    for name, cell in zip(names, cells, strict=False):
        column = ARABIC.get(name, name)
        if column not in COLUMNS:
            columns.append(None)
            if name:
                report.ignored_columns.append(cell.strip())
        elif column in columns:
            raise ImportFailed(f"{path}: column {column} appears twice in the header")
        else:
            columns.append(column)
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise ImportFailed(f"{path}: missing required column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(missing)} (line 1 must name the columns)")
    return columns


def _column_name(cell: str) -> str:
    name = unicodedata.normalize("NFC", cell).strip().casefold()
    return "_".join(name.replace("-", " ").split())


# --- checking rows ---------------------------------------------------------------------


def _parse(path: Path, rows: Iterable[list[str]], columns: list[str | None],
           report: ImportReport, progress: Callable[[int], None] | None) -> list[_Household]:
    households: dict[str, _Household] = {}
    token_holders: dict[str, _Household] = {}
    for line, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ImportFailed(f"{path}: more than {MAX_ROWS:,} rows; split the list")
        if progress and report.rows % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        values = _row_values(line, cells, columns, report.errors)
        if values is not None:
            _add_row(line, values, households, token_holders, report.errors)
    if progress:
        progress(report.rows % PROGRESS_EVERY)
    if not report.rows:
        raise ImportFailed(f"{path}: there are no rows below the header")
    for household in households.values():
        if household.gathering_point_id is None and "gathering_point_id" not in household.bad:
            report.errors.append(RowError(household.line, "gathering_point_id",
                                          f"household {household.key} has no gathering point"))
    return list(households.values())


def _row_values(line: int, cells: list[str], columns: list[str | None],
                errors: list[RowError]) -> dict[str, str] | None:
    """The row's non-blank cells by column, or None if the row cannot be read."""
    values: dict[str, str] = {}
    problems = []
    for position, cell in enumerate(cells):
        column = columns[position] if position < len(columns) else None
        where = column or f"column {position + 1}"
        if len(cell) > MAX_CELL:
            problems.append(RowError(line, where, f"the cell is longer than {MAX_CELL} "
                                                  "characters"))
        elif position >= len(columns) and cell.strip():
            problems.append(RowError(line, where, "the row has more cells than the header "
                                                  "has columns (an unquoted separator?)"))
        elif column and cell.strip():
            values[column] = cell.strip()
    errors += problems
    return None if problems else values


def _add_row(line: int, values: dict[str, str], households: dict[str, _Household],
             token_holders: dict[str, _Household], errors: list[RowError]) -> None:
    key = unicodedata.normalize("NFC", values.get("household", ""))
    person = _person(line, values, errors)
    if not key:
        errors.append(RowError(line, "household", "required: the key that groups a "
                                                  "household's rows"))
        return
    household = households.get(key)
    if household is None:
        household = households[key] = _Household(key, line)
    household.rows += 1
    if household.rows == MAX_MEMBERS + 1:
        errors.append(RowError(line, "household", f"household {key} has more than "
                                                  f"{MAX_MEMBERS} members"))
    _household_field(line, household, "gathering_point_id", values, _ID, errors)
    _household_field(line, household, "token", values, _TOKEN, errors)
    token = values.get("token")
    if token and household.token == token:
        holder = token_holders.setdefault(token, household)
        if holder is not household:
            first = holder.given["token"][1]
            errors.append(RowError(line, "token", f"token {token} is also given to household "
                                                  f"{holder.key} (line {first})"))
    if person is not None:
        same = _person_key(person)
        if same in household.seen:
            errors.append(RowError(line, "household", "a duplicate row: the same person as "
                                                      f"line {household.seen[same]}"))
        else:
            household.seen[same] = line
            household.members.append((line, person))


def _household_field(line: int, household: _Household, name: str, values: dict[str, str],
                     adapter: TypeAdapter[str], errors: list[RowError]) -> None:
    """Set a household-level field from its first non-blank cell; later cells must agree."""
    value = values.get(name)
    if value is None or name in household.bad:
        return
    if name not in household.given:
        try:
            household.given[name] = adapter.validate_python(value), line
        except ValidationError as exc:
            household.bad.add(name)
            errors.append(RowError(line, name, _message(exc.errors()[0])))
    elif household.given[name][0] != value:
        current, first = household.given[name]
        errors.append(RowError(line, name, f"household {household.key} has {name} {current} "
                                           f"on line {first}"))


def _person(line: int, values: dict[str, str], errors: list[RowError]) -> ev.PersonDetails | None:
    """The row's person, checked by the event schema, or None with its problems listed."""
    data: dict[str, Any] = {"person_id": str(uuid.uuid4())}
    data.update({name: values[name] for name in PERSON_COLUMNS if name in values})
    problems = []
    if "sex" in values:
        data["sex"] = SEXES.get(values["sex"].casefold())
        if data["sex"] is None:
            del data["sex"]
            problems.append(RowError(line, "sex", f"{values['sex']!r}: use female, male or "
                                                  "unknown (also f, m, أنثى, ذكر)"))
    if "consent" in values:
        data["consent"] = CONSENT.get(values["consent"].casefold())
        if data["consent"] is None:
            del data["consent"]
            problems.append(RowError(line, "consent", f"{values['consent']!r}: use yes or no "
                                                      "(also true/false, 1/0, نعم/لا)"))
    if "needs" in values:
        data["needs"] = [need.strip().casefold()
                         for need in values["needs"].replace(",", ";").split(";")
                         if need.strip()]
    person: ev.PersonDetails | None = None
    try:
        person = ev.PersonDetails.model_validate(data)
    except ValidationError as exc:
        problems += [RowError(line, _field_of(error), _message(error)) for error in exc.errors()]
    errors += problems
    return None if problems else person


def _field_of(error: Any) -> str:
    loc = error["loc"]
    # A model-level rule (birth_year and age both given) has no field of its own.
    return str(loc[0]) if loc else "age"


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "required"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "enum":
        return f"{error['input']!r}: {message}"
    return message


def _person_key(person: ev.PersonDetails) -> tuple[Any, ...]:
    return (person.given_name, person.father_name, person.family_name, person.sex,
            person.birth_year, person.age, tuple(sorted(person.needs)), person.consent,
            person.destination_id)


# --- checking against the record and recording -----------------------------------------


def _reference_errors(state: OperationState, households: list[_Household]) -> list[RowError]:
    errors = []
    for household in households:
        if "gathering_point_id" in household.given:
            point_id, line = household.given["gathering_point_id"]
            place = state.locations.get(point_id)
            if place is None:
                errors.append(RowError(line, "gathering_point_id",
                                       f"gathering point {point_id} is not known"))
            elif place.kind != LocationKind.GATHERING_POINT:
                errors.append(RowError(line, "gathering_point_id",
                                       f"{point_id} is a {place.kind}, not a gathering point"))
        if "token" in household.given:
            token, line = household.given["token"]
            if token in state.tokens:
                errors.append(RowError(line, "token", f"token {token} is already issued to "
                                                      f"household {state.tokens[token]}"))
        for line, person in household.members:
            if person.destination_id is None:
                continue
            place = state.locations.get(person.destination_id)
            if place is None or place.kind not in ARRIVAL_KINDS:
                errors.append(RowError(line, "destination_id", f"{person.destination_id} is "
                                       "not a known reception or hospital"))
    return errors


def _event(household: _Household) -> ev.HouseholdRegistered:
    return ev.HouseholdRegistered(
        household_id=str(uuid.uuid4()), gathering_point_id=household.gathering_point_id or "",
        token=household.token, members=[person for _, person in household.members])
