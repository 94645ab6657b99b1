"""Reading a pre-registration list's file: CSV or XLSX, as rows of text cells.

A CSV file is UTF-8, with or without a byte-order mark, its fields separated by
commas or semicolons; an XLSX workbook is read from its first sheet. Either is read
a row at a time (the CSV module over lines of bounded length, openpyxl in read-only
mode), so memory does not grow with the file; sizes are checked before reading, an
XLSX's unpacked size too (a small ZIP can unpack to gigabytes) and the text of its
cells, which openpyxl holds in memory; each cell is bounded by rows.py. A file that
cannot be read, or is not one of the two, raises `ImportFailed` with one printable
line that says what to do.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, TextIO

import openpyxl

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # an XLSX is a ZIP: refuse zip bombs before opening
MAX_COLUMNS = 50
# A CSV line (one record, or one line of a quoted cell that spans lines): 50 columns of
# the longest cell rows.py accepts, with room for quotes. A line is read at most this
# long, so a file without line breaks cannot make one string of the whole file.
MAX_LINE = 64 * 1024
# openpyxl keeps a workbook's shared strings (the text of its cells) in memory even in
# read-only mode: 200,000 people's names take a few MB of it.
MAX_SHARED_STRINGS = 64 * 1024 * 1024


class ImportFailed(Exception):
    """The file as a whole cannot be imported; the message is one printable line."""


def read_rows(path: Path) -> Generator[list[str], None, None]:
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
            first = file.readline(MAX_LINE)
            delimiter = ";" if first.count(";") > first.count(",") else ","
            file.seek(0)
            # strict: an unclosed quote is an error, not a cell swallowing the rest of the file
            line = 1  # of the record being read, as a spreadsheet numbers rows
            lines = _bounded_lines(path, file, lambda: line)
            for record in csv.reader(lines, delimiter=delimiter, strict=True):
                yield record
                line += 1
    except UnicodeDecodeError:
        raise ImportFailed(f"{path}: is not UTF-8 text; save it as CSV UTF-8") from None
    except csv.Error as exc:
        raise ImportFailed(f"{path}:{line}: cannot be read as CSV: {exc}") from None


def _bounded_lines(path: Path, file: TextIO, line: Callable[[], int]) -> Iterator[str]:
    """The file's lines, refusing one longer than MAX_LINE rather than reading it whole."""
    while text := file.readline(MAX_LINE + 1):
        if len(text) > MAX_LINE and not text.endswith("\n"):
            raise ImportFailed(f"{path}:{line()}: a line is longer than {MAX_LINE:,} characters; "
                               "is this a CSV list?")
        yield text


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
    if sum(entry.file_size for entry in entries
           if entry.filename.lower() == "xl/sharedstrings.xml") > MAX_SHARED_STRINGS:
        raise ImportFailed(f"{path}: its cells hold more than {MAX_SHARED_STRINGS // 2**20} MB "
                           "of text; split the list")
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
        # One cell past the limit, so that the header check can see a sheet too wide.
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
