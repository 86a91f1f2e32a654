"""Reading an uploaded spreadsheet as a stream of rows, never the whole file at once.

CSV: the encoding is UTF-8 (with or without BOM) or, when that fails, cp1251 (what Russian and
Ukrainian Excel saves as "CSV"); the delimiter (, ; or tab) is sniffed from the first 64 KB.
XLSX: openpyxl in read-only mode, which parses the sheet XML as it goes.
Rows are numbered as the spreadsheet numbers them (the header is row 1), blank rows skipped.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils.translation import gettext as _

from apps.api.errors import DomainError

MAX_FILE_SIZE = 20 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
PREVIEW_ROWS = 5
MAX_COLUMNS = 200
# A CSV field may be a long note, but not the whole file in one unclosed quote.
csv.field_size_limit(1024 * 1024)


class ImportFileInvalid(DomainError):
    code = "invalid_file"

    def __init__(self, message: str):
        super().__init__(message, fields={"file": [message]})


@dataclass
class Inspection:
    """What the upload learned about a file: how to read it, its header, a preview and its size."""

    format: str
    encoding: str = ""
    delimiter: str = ""
    header: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)
    total_rows: int = 0
    sha256: str = ""


def file_format(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in {"csv", "txt"}:
        return "csv"
    if extension == "xlsx":
        return "xlsx"
    raise ImportFileInvalid(_("Upload a CSV or XLSX file."))


def cell_text(value) -> str:
    """A cell as the person sees it: whole numbers without ".0", dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _is_blank(cells) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in cells)


# CSV ------------------------------------------------------------------------------------------

def _csv_encoding(fileobj) -> str:
    """utf-8-sig when the whole file decodes as UTF-8 (read in chunks), else cp1251."""
    fileobj.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := fileobj.read(1024 * 1024):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8-sig"


def _csv_delimiter(fileobj, encoding: str) -> str:
    fileobj.seek(0)
    sample = fileobj.read(SNIFF_BYTES)
    if b"\x00" in sample:
        raise ImportFileInvalid(_("This does not look like a CSV file."))
    text = sample.decode(encoding, errors="ignore")
    if len(sample) == SNIFF_BYTES and "\n" in text:
        text = text[: text.rindex("\n")]  # a cut last line would mislead the sniffer
    try:
        return csv.Sniffer().sniff(text, delimiters=",;\t").delimiter
    except csv.Error:
        first_line = text.split("\n", 1)[0]
        return max(",;\t", key=first_line.count)


def _csv_rows(fileobj, encoding: str, delimiter: str) -> Iterator[list]:
    fileobj.seek(0)
    text = io.TextIOWrapper(fileobj, encoding=encoding, newline="")
    try:
        yield from csv.reader(text, delimiter=delimiter)
    except csv.Error as exc:
        raise ImportFileInvalid(_("The CSV file is broken: %(error)s") % {"error": exc}) from exc
    finally:
        if not text.closed:
            text.detach()  # leave the underlying file to its owner


# XLSX -----------------------------------------------------------------------------------------

def _xlsx_rows(fileobj) -> Iterator[tuple]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    fileobj.seek(0)
    try:
        # data_only: a formula cell gives the value Excel last computed, not its formula.
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileInvalid(_("This is not an XLSX file Excel can open.")) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


# Both -----------------------------------------------------------------------------------------

def raw_rows(fileobj, *, format: str, encoding: str = "", delimiter: str = "") -> Iterator[tuple[int, list]]:
    """(row number, cells) of every non-blank row, header included; cells keep their types (XLSX)."""
    rows = _xlsx_rows(fileobj) if format == "xlsx" else _csv_rows(fileobj, encoding, delimiter)
    try:
        for number, cells in enumerate(rows, start=1):
            if cells and not _is_blank(cells):
                yield number, list(cells[:MAX_COLUMNS])
            elif number == 1:
                yield number, []  # a blank first row: the caller reports a missing header
    finally:
        rows.close()  # now, while the file is still open


def data_rows(fileobj, *, format: str, encoding: str = "", delimiter: str = "") -> Iterator[tuple[int, list]]:
    """The rows after the header."""
    rows = raw_rows(fileobj, format=format, encoding=encoding, delimiter=delimiter)
    next(rows, None)
    return rows


def file_inspect(fileobj, name: str, size: int) -> Inspection:
    """Check the file and read it once: format, encoding, delimiter, header, preview, row count, hash.
    Raises ImportFileInvalid for a wrong type, an empty or oversized file, or a file without a header."""
    result = Inspection(format=file_format(name))
    if size == 0:
        raise ImportFileInvalid(_("The file is empty."))
    if size > MAX_FILE_SIZE:
        raise ImportFileInvalid(_("The file is larger than %(mb)s MB.") % {"mb": MAX_FILE_SIZE // (1024 * 1024)})
    digest = hashlib.sha256()
    fileobj.seek(0)
    while chunk := fileobj.read(1024 * 1024):
        digest.update(chunk)
    result.sha256 = digest.hexdigest()
    if result.format == "csv":
        result.encoding = _csv_encoding(fileobj)
        result.delimiter = _csv_delimiter(fileobj, result.encoding)
    rows = raw_rows(fileobj, format=result.format, encoding=result.encoding, delimiter=result.delimiter)
    first = next(rows, None)
    if first is None:
        raise ImportFileInvalid(_("The file is empty."))
    number, header = first
    header = [cell_text(value) for value in header]
    while header and not header[-1]:
        header.pop()
    if number != 1 or not header:
        raise ImportFileInvalid(_("The first row must name the columns."))
    result.header = header
    for _number, cells in rows:
        if len(result.preview) < PREVIEW_ROWS:
            result.preview.append([cell_text(value) for value in cells[: len(header)]])
        result.total_rows += 1
    return result
