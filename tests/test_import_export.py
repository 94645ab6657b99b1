"""Importing pre-registration lists and exporting the record as CSV, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from corridor.domain import events as ev
from corridor.domain.vocabulary import Role
from corridor.services import importing, reads
from corridor.services.exporting import export_csv
from corridor.services.importing import ImportFailed, RowError, import_households
from corridor.services.ledger import Ledger, Principal
from corridor.storage import ledger_store, projection_store
from corridor.storage.schema import audit_log, households, persons

DATA = Path(__file__).parent / "data"
COORDINATOR = Principal("coord", Role.COORDINATOR)
PARTNER = Principal("partner", Role.PARTNER)
HEADER = ("household,gathering_point_id,token,given_name,father_name,family_name,sex,"
          "birth_year,age,needs,consent,destination_id")


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    """An operation with two gathering points, a checkpoint, a reception and a hospital."""
    ledger = Ledger(engine)
    places = [("gp", "gathering_point"), ("gp2", "gathering_point"), ("cp1", "checkpoint"),
              ("rc", "reception"), ("hosp", "hospital")]
    ledger.execute(COORDINATOR, lambda _: [ev.OperationOpened(name="Test operation"), *(
        ev.LocationAdded(location_id=place, kind=kind, name=place.upper(), latitude=36.2,
                         longitude=37.1) for place, kind in places)])
    return ledger


def write(tmp_path: Path, lines: list[str], name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def register(ledger: Ledger, token: str, given_name: str = "Existing") -> str:
    event = ev.HouseholdRegistered(household_id=f"h-{token}", gathering_point_id="gp",
                                   token=token, members=[ev.PersonDetails(
                                       person_id=f"p-{token}", given_name=given_name)])
    ledger.execute(COORDINATOR, lambda _: [event])
    return event.household_id


def person_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(persons)).scalar_one())


def head(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        return ledger_store.head(conn)


def household_with(engine: Engine, token: str) -> dict[str, Any]:
    with engine.connect() as conn:
        household_id = conn.execute(select(households.c.household_id)
                                    .where(households.c.token == token)).scalar_one()
    return reads.household(engine, COORDINATOR, household_id)


def export(engine: Engine, what: str, principal: Principal = COORDINATOR) -> tuple[str, int]:
    out = io.StringIO()
    written = export_csv(engine, what, out, principal)
    return out.getvalue(), written


def rows_of(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


# --- importing -------------------------------------------------------------------------


def test_a_valid_list_groups_rows_into_households(ledger: Ledger, engine: Engine,
                                                  tmp_path: Path) -> None:
    path = write(tmp_path, [
        HEADER,
        "H1,gp,F-1,Amina,Khaled,Haddad,f,1980,,pregnant,yes,rc",
        "H2,gp2,F-2,Yusuf,,Saleh,male,,,wounded;elderly,1,hosp",
        "H1,,,Omar,,Haddad,m,,7,,no,",
        "",
        "H1,gp,F-1,Layla,,Haddad,female,2015,,,true,",
    ])
    parsed: list[int] = []
    report = import_households(ledger, COORDINATOR, path, parsed.append)

    assert report.errors == []
    assert (report.rows, report.households, report.persons) == (4, 2, 4)
    assert sum(parsed) == 4
    haddad = household_with(engine, "F-1")
    assert haddad["gathering_point_id"] == "gp"
    members = {m["given_name"]: m for m in haddad["members"]}
    assert set(members) == {"Amina", "Omar", "Layla"}
    assert (members["Amina"]["sex"], members["Amina"]["needs"], members["Amina"]["consent"],
            members["Amina"]["destination_id"]) == ("female", ["pregnant"], True, "rc")
    assert members["Omar"]["birth_year_estimated"] and not members["Omar"]["consent"]
    saleh = household_with(engine, "F-2")
    assert [(m["given_name"], m["needs"]) for m in saleh["members"]] == [
        ("Yusuf", ["elderly", "wounded"])]
    assert person_count(engine) == 4


def test_arabic_headers_and_names_with_semicolons_and_a_bom(ledger: Ledger,
                                                            engine: Engine) -> None:
    report = import_households(ledger, COORDINATOR, DATA / "pre_registration_ar.csv")

    assert report.errors == []
    assert (report.households, report.persons) == (2, 4)
    halabi = household_with(engine, "A-1")
    assert sorted((m["given_name"], m["father_name"], m["family_name"], m["sex"])
                  for m in halabi["members"]) == sorted([
        ("فاطمة", "محمد", "الحلبي", "female"), ("علي", "أحمد", "الحلبي", "male"),
        ("مريم", "علي", "الحلبي", "female")])
    [zainab] = household_with(engine, "A-2")["members"]
    assert (zainab["needs"], zainab["consent"], zainab["destination_id"]) == (
        ["elderly"], False, "hosp")


def test_an_xlsx_workbook_imports_its_first_sheet(ledger: Ledger, engine: Engine,
                                                  tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Household", "Gathering_Point_ID", "Token", "Given Name", "Family_Name",
                  "Birth_Year", "Consent", "Notes"])
    sheet.append([7, "gp", "X-7", "Hana", "Darwish", 1990, True, "by the mosque"])
    sheet.append([])
    sheet.append([7, "gp", "X-7", "Sami", "Darwish", 2012, False, None])
    workbook.create_sheet("Other").append(["not", "read"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)

    report = import_households(ledger, COORDINATOR, path)

    assert report.errors == []
    assert report.ignored_columns == ["Notes"]
    members = household_with(engine, "X-7")["members"]
    assert sorted((m["given_name"], m["birth_year"], m["consent"]) for m in members) == [
        ("Hana", 1990, True), ("Sami", 2012, False)]


def test_a_list_with_bad_rows_records_nothing_and_names_each_line(ledger: Ledger, engine: Engine,
                                                                  tmp_path: Path) -> None:
    register(ledger, "OLD-1")
    before = (head(engine), person_count(engine))
    path = write(tmp_path, [
        HEADER,
        "H1,gp,,Amina,,Haddad,f,1980,,,yes,",
        "H1,gp,,Omar,,Haddad,m,1982,,,yes,",
        "H2,nowhere,,Yusuf,,Saleh,m,1970,,,yes,",
        "H3,gp,,Hana,,Darwish,f,1990,,,yes,",
        "H3,gp,,Sami,,Darwish,m,2012,,,yes,",
        "H4,gp,,,,Khalil,f,1999,,,yes,",
    ])

    report = import_households(ledger, COORDINATOR, path)

    assert [(e.line, e.field) for e in report.errors] == [(4, "gathering_point_id"),
                                                          (7, "given_name")]
    assert report.errors[0].message == "gathering point nowhere is not known"
    assert report.messages()[1] == f"{path}:7: given_name: required"
    assert (head(engine), person_count(engine)) == before


def test_each_kind_of_row_problem_is_reported(ledger: Ledger, engine: Engine,
                                              tmp_path: Path) -> None:
    path = write(tmp_path, [
        HEADER,
        "H1,gp,T-1,Amina,,Haddad,f,1980,,,yes,",
        "H1,gp2,T-2,Omar,,Haddad,m,1982,,,yes,",  # household fields disagree
        "H1,gp,,Amina,,Haddad,f,1980,,,yes,",  # the same person again
        "H2,gp,T-1,Yusuf,,Saleh,m,,,,yes,",  # another household's token
        "H3,cp1,,Hana,,Darwish,x,1990,30,,maybe,",
        "H3,,,Rana,,Darwish,f,,,,,cp1",
        "H4,gp,bad token!,Sami,,Darwish,m,2012,,,yes,",
        "H5,gp,,Rami," + "x" * 1001 + ",,m,,,,,",
        "H6,gp,,Nour,,,f,,,,,,surplus",
        ",gp,,Nobody,,,,,,,,",
    ])

    report = import_households(ledger, COORDINATOR, path)

    assert [(e.line, e.field) for e in report.errors] == [
        (3, "gathering_point_id"), (3, "token"), (4, "household"), (5, "token"),
        (6, "gathering_point_id"), (6, "sex"), (6, "age"), (6, "consent"),
        (7, "destination_id"), (8, "token"), (9, "father_name"), (10, "column 13"),
        (11, "household")]
    by_line = {(e.line, e.field): e.message for e in report.errors}
    assert by_line[(4, "household")] == "a duplicate row: the same person as line 2"
    assert by_line[(6, "gathering_point_id")] == "cp1 is a checkpoint, not a gathering point"
    assert by_line[(7, "destination_id")] == "cp1 is a checkpoint, not a reception or hospital"
    assert by_line[(10, "column 13")].startswith("the row has more cells than the header")
    assert person_count(engine) == 0


def test_schema_rules_apply_to_rows_as_they_do_to_the_api(ledger: Ledger,
                                                          tmp_path: Path) -> None:
    path = write(tmp_path, [
        HEADER,
        "H1,gp,,Amina,,,f,1980,40,,,",  # birth year and age
        "H2,gp,,Omar,,,m,1800,,,,",  # before 1900
        "H3,gp,,Hana,,,f,,,wounded;flying,,",  # not a need
        "H4,gp,,Sami,,,m,,,,,",
        "H5,gp,,Ruba,\u202eiraH,,f,,,,,",  # a direction override in a name
    ])

    report = import_households(ledger, COORDINATOR, path)

    assert [(e.line, e.field) for e in report.errors] == [(2, "age"), (3, "birth_year"),
                                                          (4, "needs"), (6, "father_name")]
    assert report.errors[0].message == "give birth_year or age, not both"
    assert report.errors[2].message.startswith("'flying':")
    assert "bidirectional control character U+202E" in report.errors[3].message


def test_a_token_already_issued_is_refused(ledger: Ledger, engine: Engine,
                                           tmp_path: Path) -> None:
    existing = register(ledger, "F-9")
    path = write(tmp_path, [HEADER, "H1,gp,F-9,Amina,,,f,,,,,"])

    report = import_households(ledger, COORDINATOR, path)

    assert report.errors == [RowError(2, "token", f"token F-9 already belongs to household "
                                                  f"{existing}")]
    assert person_count(engine) == 1


def test_a_token_issued_while_the_file_is_read_is_caught_when_recording(
        ledger: Ledger, engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, "H1,gp,F-1,Amina,,,f,,,,,", "H2,gp,F-2,Omar,,,m,,,,,"])
    before = head(engine)

    def someone_else_registers(_: int) -> None:
        if head(engine) == before:
            register(ledger, "F-2")

    report = import_households(ledger, COORDINATOR, path, someone_else_registers)

    assert [(e.line, e.field) for e in report.errors] == [(3, "token")]
    assert person_count(engine) == 1  # only the other registrar's household


def test_a_failure_while_recording_writes_nothing(ledger: Ledger, engine: Engine,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, [HEADER, "H1,gp,F-1,Amina,,,f,,,,,", "H2,gp,F-2,Omar,,,m,,,,,"])
    before = head(engine)

    def broken(*_: Any) -> None:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(projection_store, "write_changes", broken)
        with pytest.raises(RuntimeError, match="disk full"):
            import_households(ledger, COORDINATOR, path)
    assert (head(engine), person_count(engine)) == (before, 0)

    # Nothing half-done lingers: the same list imports cleanly afterwards.
    assert import_households(ledger, COORDINATOR, path).errors == []
    assert person_count(engine) == 2


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("list.pdf", b"%PDF-1.4 ...", "not a CSV or XLSX file"),
    ("list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel (.xls)"),
    ("list.csv", b"PK\x03\x04\x14\x00\x00\x00", "is a ZIP archive"),
    ("list.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is binary"),
    ("list.csv", "household,given_name\nH1,Zo\xe9\n".encode("latin-1"), "is not UTF-8"),
    ("list.csv", "household\n".encode("utf-16"), "is UTF-16"),
    ("list.xlsx", b"household,given_name\n", "is not an XLSX workbook"),
    ("list.csv", b"", "the file is empty"),
    ("list.csv", b'household,gathering_point_id,given_name\nH1,gp,"Amina\nH2,gp,Omar\n',
     ":2: cannot be read as CSV: unexpected end of data"),
    ("list.csv", b"household,gathering_point_id,given_name\nH1,gp," + b"x" * 200_000,
     ":2: a line is longer than 65,536 characters"),
    ("list.csv", b"household,gathering_point_id,given_name\nH1,gp,\"" + b"x\n" * 70_000,
     ":2: cannot be read as CSV: field larger than field limit"),
    ("list.csv", HEADER.encode() + b"\n\n", "no rows below the header"),
    ("list.csv", b"\nH1,gp,Amina\n", "line 1 is empty"),
    ("list.csv", b"household,family_name,token\nH1,Haddad,F-1\n",
     "missing required columns gathering_point_id, given_name"),
    ("list.csv", "household;gathering_point_id;given_name;الاسم\n".encode(),
     "column given_name appears twice"),
])
def test_whole_file_problems_raise_one_clear_line(ledger: Ledger, tmp_path: Path, name: str,
                                                  content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=re.escape(problem)) as failed:
        import_households(ledger, COORDINATOR, path)
    assert str(failed.value).startswith(str(path)) and "\n" not in str(failed.value)


def test_too_many_rows_stop_the_import(ledger: Ledger, engine: Engine, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing.rows, "MAX_ROWS", 3)
    path = write(tmp_path, [HEADER, *(f"H{n},gp,,Person {n},,,,,,,," for n in range(4))])
    with pytest.raises(ImportFailed, match="more than 3 rows"):
        import_households(ledger, COORDINATOR, path)
    assert person_count(engine) == 0


def test_only_coordinators_import_lists(ledger: Ledger, tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, "H1,gp,,Amina,,,f,,,,,"])
    with pytest.raises(PermissionError, match="registrar role may not import"):
        import_households(ledger, Principal("reg", Role.REGISTRAR), path)


# --- exporting -------------------------------------------------------------------------


def test_persons_export_round_trips_names_and_has_a_bom(ledger: Ledger, engine: Engine,
                                                        tmp_path: Path) -> None:
    import_households(ledger, COORDINATOR, DATA / "pre_registration_ar.csv")
    path = tmp_path / "persons.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        written = export_csv(engine, "persons", out, COORDINATOR)

    assert written == 4
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == [
        "person_id", "household_id", "token", "given_name", "father_name", "family_name", "sex",
        "birth_year", "birth_year_estimated", "needs", "consent", "destination_id", "status",
        "vehicle_id", "location_id", "removal_reason", "removed_by", "registered_at",
        "status_at"]
    assert sorted((r["given_name"], r["father_name"], r["family_name"], r["token"])
                  for r in rows) == sorted([
        ("فاطمة", "محمد", "الحلبي", "A-1"), ("علي", "أحمد", "الحلبي", "A-1"),
        ("مريم", "علي", "الحلبي", "A-1"), ("زينب", "", "العلي", "A-2")])
    fatima = next(r for r in rows if r["given_name"] == "فاطمة")
    assert (fatima["needs"], fatima["consent"], fatima["birth_year_estimated"],
            fatima["status"]) == ("pregnant", "true", "true", "waiting")
    assert fatima["registered_at"].endswith("+00:00")


def test_needs_are_joined_in_a_stable_order(ledger: Ledger, engine: Engine,
                                            tmp_path: Path) -> None:
    import_households(ledger, COORDINATOR, write(tmp_path, [
        HEADER, "H1,gp,,Yusuf,,,m,,,wounded;elderly;disability,,"]))
    [row] = rows_of(export(engine, "persons")[0])
    assert row["needs"] == "disability;elderly;wounded"


def test_formulas_in_names_are_exported_as_text(ledger: Ledger, engine: Engine,
                                                tmp_path: Path) -> None:
    import_households(ledger, COORDINATOR, write(tmp_path, [
        HEADER, 'H1,gp,,"=HYPERLINK(""http://x"",""y"")",@SUM(A1),+1,,,,,,',
        "H1,gp,,-2,,Plain,,,,,,"]))
    rows = rows_of(export(engine, "persons")[0])
    assert sorted((r["given_name"], r["father_name"], r["family_name"]) for r in rows) == [
        ("'-2", "", "Plain"), ("'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(A1)", "'+1")]
    with engine.connect() as conn:  # the record itself keeps what was typed
        names = conn.execute(select(persons.c.given_name)).scalars().all()
    assert '=HYPERLINK("http://x","y")' in names


def test_every_exported_field_is_quoted_so_no_delimiter_splits_out_a_formula(
        ledger: Ledger, engine: Engine, tmp_path: Path) -> None:
    import_households(ledger, COORDINATOR, write(tmp_path, [
        HEADER, 'H1,gp,,"Amina;=1+2",";@SUM(A1)","x,+2",,,,,,']))
    text, _ = export(engine, "persons")
    lines = text.removeprefix("\ufeff").splitlines()
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    # A spreadsheet that reads the file with another separator (a semicolon locale,
    # tabs) still finds no cell that starts a formula.
    for delimiter in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter):
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
    row = rows_of(text)[0]
    assert (row["given_name"], row["father_name"], row["family_name"]) == (
        "Amina;'=1+2", ";'@SUM(A1)", "x,'+2")


def test_an_xlsx_whose_cells_hold_too_much_text_is_refused_unread(
        ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing.formats, "MAX_SHARED_STRINGS", 1000)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["H1", "gp", "", "Amina"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    with zipfile.ZipFile(path, "a") as archive:  # as Excel writes cells' text
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>x</t></si>" * 100 + "</sst>")
    with pytest.raises(ImportFailed, match="more than 0 MB of text"):
        import_households(ledger, COORDINATOR, path)


def test_partners_get_suppressed_counts_and_nothing_personal(ledger: Ledger, engine: Engine,
                                                             tmp_path: Path) -> None:
    import_households(ledger, COORDINATOR, DATA / "pre_registration_ar.csv")
    for what in ("persons", "alerts", "events", "vehicles", "convoys", "incidents"):
        with pytest.raises(PermissionError, match=f"partner role may export counts only, "
                                                  f"not {what}"):
            export(engine, what, PARTNER)

    partner = {(r["status"], r["need"]): r["count"] for r in rows_of(export(engine, "counts",
                                                                            PARTNER)[0])}
    coordinator = {(r["status"], r["need"]): r["count"] for r in rows_of(export(engine,
                                                                                "counts")[0])}
    assert (partner[("waiting", "")], coordinator[("waiting", "")]) == ("<5", "4")
    assert (partner[("waiting", "pregnant")], coordinator[("waiting", "pregnant")]) == ("<5", "1")
    assert partner[("arrived", "")] == coordinator[("arrived", "")] == "0"


def test_personal_exports_are_audited(ledger: Ledger, engine: Engine) -> None:
    for what in ("persons", "alerts", "events", "counts", "vehicles"):
        export(engine, what)
    with engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.username, audit_log.c.action)
                               .order_by(audit_log.c.id)).all()
    assert [tuple(a) for a in actions] == [("coord", "export persons"), ("coord", "export alerts"),
                                           ("coord", "export events")]


def test_the_events_export_is_the_ledger(ledger: Ledger, engine: Engine) -> None:
    register(ledger, "F-1", "=cmd")
    text, written = export(engine, "events")
    rows = rows_of(text)
    seq, chain = head(engine)
    assert written == len(rows) == seq
    assert list(rows[0]) == ["seq", "id", "type", "payload", "device_id", "author",
                             "recorded_at", "received_at", "digest", "chain"]
    assert (rows[-1]["type"], rows[-1]["chain"]) == ("HouseholdRegistered", chain)
    assert '"given_name":"=cmd"' in rows[-1]["payload"]


def test_vehicles_and_convoys_export_their_lists(ledger: Ledger, engine: Engine) -> None:
    ledger.execute(COORDINATOR, lambda _: [
        ev.RouteDefined(route_id="r1", name="Route", origin_id="gp", checkpoint_ids=["cp1"],
                        destination_id="rc"),
        ev.VehicleRegistered(vehicle_id="bus1", kind="bus", label="Bus 1", capacity=40),
        ev.VehicleRegistered(vehicle_id="bus2", kind="bus", label="Bus 2", capacity=40),
        ev.ConvoyPlanned(convoy_id="c1", label="Convoy 1", route_id="r1",
                         vehicle_ids=["bus1", "bus2"])])
    vehicles = rows_of(export(engine, "vehicles")[0])
    assert [(v["vehicle_id"], v["capacity"], v["convoy_id"]) for v in vehicles] == [
        ("bus1", "40", "c1"), ("bus2", "40", "c1")]
    [convoy] = rows_of(export(engine, "convoys")[0])
    assert (convoy["vehicle_ids"], convoy["state"]) == ("bus1;bus2", "planned")


def test_an_unknown_export_is_named(engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown export 'people'; choose one of: persons"):
        export(engine, "people")
