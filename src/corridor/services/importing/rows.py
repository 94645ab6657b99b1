"""A pre-registration list's columns and the checks on its rows.

Line 1 holds the column names; every line after it is one person. Blank lines are
skipped. Column names are matched ignoring case and surrounding spaces (a space
inside a name counts as `_`). Each column also has an Arabic name:

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

Every row is checked by the same event schema the API uses, and every reference
against the current record (the gathering point and destination exist and are of
the right kind, the token is not already issued). Problems are reported by line
as a spreadsheet numbers it (the header is line 1), every one of them, so that a
list is corrected in one pass; a problem with the file as a whole (no header,
missing required columns, too many rows) raises `ImportFailed`.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from corridor.domain import events as ev
from corridor.domain.state import OperationState
from corridor.services.importing.formats import MAX_COLUMNS, ImportFailed

MAX_ROWS = 200_000
MAX_CELL = 1000  # characters; names are at most 120, so only a broken file comes near this
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
# The columns whose cells are one of a few spellings, and what to write instead.
_SPELLED: tuple[tuple[str, Mapping[str, object], str], ...] = (
    ("sex", SEXES, "use female, male or unknown (also f, m, أنثى, ذكر)"),
    ("consent", CONSENT, "use yes or no (also true/false, 1/0, نعم/لا)"),
)
PERSON_COLUMNS = ("given_name", "father_name", "family_name", "birth_year", "age",
                  "destination_id")
MAX_MEMBERS = 60  # HouseholdRegistered's limit, reported at the row that passes it

_ID = TypeAdapter(ev.Id)
_TOKEN = TypeAdapter(ev.Token)


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
class Household:
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


# --- the header ------------------------------------------------------------------------


def header(path: Path, cells: list[str] | None, report: ImportReport) -> list[str | None]:
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


def parse(path: Path, rows: Iterable[list[str]], columns: list[str | None],
          report: ImportReport, progress: Callable[[int], None] | None) -> list[Household]:
    """The households the rows below the header form; each problem in `report`."""
    households: dict[str, Household] = {}
    token_holders: dict[str, Household] = {}
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


def _add_row(line: int, values: dict[str, str], households: dict[str, Household],
             token_holders: dict[str, Household], errors: list[RowError]) -> None:
    key = unicodedata.normalize("NFC", values.get("household", ""))
    person = _person(line, values, errors)
    if not key:
        errors.append(RowError(line, "household", "required: the key that groups a "
                                                  "household's rows"))
        return
    household = households.get(key)
    if household is None:
        household = households[key] = Household(key, line)
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


def _household_field(line: int, household: Household, name: str, values: dict[str, str],
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
    for name, spellings, hint in _SPELLED:
        if name in values:
            value = spellings.get(values[name].casefold())
            if value is None:
                problems.append(RowError(line, name, f"{values[name]!r}: {hint}"))
            else:
                data[name] = value
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


# --- checking against the record -------------------------------------------------------


def reference_errors(state: OperationState, households: list[Household]) -> list[RowError]:
    """What the households name that the record does not hold, or holds otherwise: the
    record's own rules (`registration_problems`), each put on the line that gave the
    field. A field the list left out, or already reported wrong, is not judged again."""
    errors = []
    for household in households:
        registration = ev.HouseholdRegistered.model_construct(
            household_id="", gathering_point_id=household.gathering_point_id or "",
            token=household.given.get("token", (None, 0))[0],
            members=[person for _, person in household.members])
        for problem in state.registration_problems(registration):
            field = problem.field or ""
            if field in household.given:
                errors.append(RowError(household.given[field][1], field, problem.reason))
            elif field.startswith("members."):
                _, index, name = field.split(".")
                errors.append(RowError(household.members[int(index)][0], name, problem.reason))
    return errors
