"""Reading a list of people to register (a city's CSV or Excel file) and naming each row's problems.

Pure: no database, no web framework. The field checks are the ones sign-up and registration use (ascc.text,
the closed sets of registration.models, ascc.i18n countries); what needs the database (already registered,
the registration rules) is checked by registration.importing.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ascc.i18n import countries
from ascc.registration.models import CATEGORIES, MODES
from ascc.text import FieldError, clean_line, email_key, latin_name, normalize_email, optional_line

MAX_BYTES = 2 * 1024 * 1024  # a list of a few thousand people
MAX_ROWS = 2000
SHOWN_MAX = 300  # characters of a cell kept for the preview (an overlong one is named as such anyway)
LANGS = ("en", "ja")

# The columns, in the template's order: field -> headers accepted (English first, then Japanese).
COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "メールアドレス", "メール", "eメール"),
    "name_latin": (
        "name_latin",
        "name (latin)",
        "name",
        "氏名（ローマ字）",
        "氏名(ローマ字)",
        "ローマ字氏名",
    ),
    "name_local": ("name_local", "name (local script)", "local name", "氏名", "氏名（現地表記）", "現地表記"),
    "organization": ("organization", "organisation", "所属", "所属団体", "所属機関"),
    "position": ("position", "title", "役職", "職名"),
    "country": ("country", "国", "国・地域"),
    "city": ("city", "都市", "市区町村"),
    "category": ("category", "区分", "参加区分"),
    "mode": ("mode", "attendance", "参加方法", "参加形態"),
    "lang": ("lang", "language", "言語"),
}
REQUIRED = ("email", "name_latin")

# Words people write instead of the codes (compared folded: case, width, spaces).
MODE_WORDS = {"in person": "in_person", "onsite": "in_person", "現地": "in_person", "会場": "in_person",
              "現地参加": "in_person", "オンライン": "online", "オンライン参加": "online"}  # fmt: skip
LANG_WORDS = {"english": "en", "英語": "en", "japanese": "ja", "日本語": "ja"}


class FileProblem(ValueError):
    """The file as a whole cannot be read; `key` is a message catalogue key."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass
class Row:
    line: int  # the line (CSV) or row (Excel) number a person sees in their spreadsheet
    values: dict[str, str]
    problems: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "values": {name: value[:SHOWN_MAX] for name, value in self.values.items()},
            "problems": {name: [key, params] for name, (key, params) in self.problems.items()},
        }


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().replace("_", " ").split())


_HEADERS = {_fold(header): name for name, headers in COLUMNS.items() for header in headers}


def template_csv() -> bytes:
    """The template a city fills in: the English headers, one example row; UTF-8 with a BOM for Excel."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS.keys())
    writer.writerow(["haruka.sato@example.org", "Haruka Sato", "佐藤 遥", "City of Yokohama",
                     "Director", "JP", "Yokohama", "city_official", "in_person", "ja"])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16, tab-separated
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileProblem("import.file.encoding") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")  # Japanese Excel's "CSV" is Shift_JIS (Windows-31J)
    except UnicodeDecodeError as exc:
        raise FileProblem("import.file.encoding") from exc


def _csv_cells(data: bytes) -> list[list[str]]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:  # a stray quote that never closes, a field beyond the csv module's limit
        raise FileProblem("import.file.unreadable") from exc


def _xlsx_cells(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # imported here: only Excel uploads pay for it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileProblem("import.file.unreadable") from exc
    try:
        sheet = book.worksheets[0]
        return [
            ["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
        ]
    except Exception as exc:  # a damaged sheet inside a good archive: openpyxl raises what its parser raised
        raise FileProblem("import.file.unreadable") from exc
    finally:
        book.close()


def read_file(filename: str, data: bytes) -> list[Row]:
    """The file's rows (blank ones left out) with every problem named; FileProblem if it cannot be read."""
    if len(data) > MAX_BYTES:
        raise FileProblem("import.file.too_large", mb=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise FileProblem("import.file.empty")
    cells = _xlsx_cells(data) if data[:2] == b"PK" or filename.lower().endswith(".xlsx") else _csv_cells(data)
    return read_cells(cells)


def read_cells(cells: list[list[str]]) -> list[Row]:
    if not cells:
        raise FileProblem("import.file.empty")
    columns: dict[int, str] = {}
    for index, header in enumerate(cells[0]):
        name = _HEADERS.get(_fold(header or ""))
        if name and name not in columns.values():
            columns[index] = name
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        raise FileProblem("import.file.columns_missing", columns=", ".join(missing))
    records = []
    for number, cells_of_row in enumerate(cells[1:], start=2):
        if not any((c or "").strip() for c in cells_of_row):
            continue
        values = {name: "" for name in COLUMNS}
        for index, name in columns.items():
            values[name] = cells_of_row[index] if index < len(cells_of_row) else ""
        records.append((number, values))
    if len(records) > MAX_ROWS:
        raise FileProblem("import.file.too_many_rows", max=MAX_ROWS)
    return check_rows(records)


def check_rows(records: Iterable[tuple[int, dict[str, Any]]]) -> list[Row]:
    """Each record's problems, field by field, and addresses given twice in the list."""
    rows = [check_row(line, values) for line, values in records]
    first_line: dict[str, int] = {}
    for row in rows:
        if "email" in row.problems:
            continue
        key = email_key(row.values["email"])
        if key in first_line:
            row.problems["email"] = ("import.problem.duplicate_in_file", {"line": first_line[key]})
        else:
            first_line[key] = row.line
    return rows


def _country_key(text: str) -> str:
    return _fold(text).replace(" ", "").replace("-", "")  # "Viet Nam" is Vietnam, "Sri-Lanka" Sri Lanka


def _country_names() -> dict[str, str]:
    names = {}
    for lang in LANGS:
        for code, name in countries(lang):
            names[_country_key(name)] = code
            names[_country_key(code)] = code
    return names


_COUNTRIES: dict[str, str] = {}


def country_code(text: str) -> str | None:
    """An ISO code from a code or a country's name in English or Japanese ("JP", "Japan", "日本")."""
    if not _COUNTRIES:
        _COUNTRIES.update(_country_names())
    return _COUNTRIES.get(_country_key(text))


def _choice(text: str, allowed: Iterable[str], words: dict[str, str]) -> str | None:
    folded = _fold(text)
    for value in allowed:
        if folded == _fold(value):
            return value
    return words.get(folded)


def check_row(line: int, raw: dict[str, Any]) -> Row:
    """One person's fields as the registration will store them, or the reason each one cannot be."""
    # Control characters and NULs never reach the database, not even as a preview (clean_line, as every check).
    values = {name: clean_line(str(raw.get(name) or "")) for name in COLUMNS}
    row = Row(line, values)

    def check(name: str, checker: Any, *args: Any) -> None:
        try:
            result = checker(name, values[name], *args)
        except FieldError as exc:
            row.problems[name] = (exc.key, exc.params)
        else:
            values[name] = result or ""

    check("email", normalize_email)
    check("name_latin", latin_name)
    check("name_local", optional_line)
    check("organization", optional_line)
    check("position", optional_line)
    check("city", optional_line, 120)
    if values["country"].strip():
        code = country_code(values["country"])
        if code is None:
            row.problems["country"] = ("import.problem.country_unknown", {})
        else:
            values["country"] = code
    for name, allowed, words, default in (
        ("category", CATEGORIES, {}, "city_official"),
        ("mode", MODES, MODE_WORDS, "in_person"),
        ("lang", LANGS, LANG_WORDS, "en"),
    ):
        if not values[name].strip():
            values[name] = default
            continue
        chosen = _choice(values[name], allowed, words)
        if chosen is None:
            row.problems[name] = (f"import.problem.{name}_unknown", {"allowed": ", ".join(allowed)})
        else:
            values[name] = chosen
    return row
