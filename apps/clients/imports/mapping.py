"""Which column holds which client field, guessed from the header (English, Russian, Ukrainian), and
a row's cells turned into the keyword arguments of the client services.

Only the shape of the data is handled here (splitting full names and lists of phones, reading
dates, field lengths); what makes a client valid is decided by `apps.clients.services`.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.clients.imports.reading import cell_text
from apps.clients.models import Client

# The fields a column can fill, in the order the mapping page lists them.
IMPORT_FIELDS = {
    "full_name": gettext_lazy("Full name (surname, first name, patronymic)"),
    "surname": gettext_lazy("Surname"),
    "first_name": gettext_lazy("First name"),
    "patronymic": gettext_lazy("Patronymic"),
    "company_name": gettext_lazy("Company"),
    "phones": gettext_lazy("Phones"),
    "emails": gettext_lazy("E-mails"),
    "birthday": gettext_lazy("Birthday"),
    "address": gettext_lazy("Address"),
    "tax_id": gettext_lazy("Tax id"),
    "tags": gettext_lazy("Tags"),
    "notes": gettext_lazy("Notes"),
}
# Several columns may feed these (a "Phone" and a "Mobile" column); the others take one column.
REPEATABLE_FIELDS = {"phones", "emails", "tags", "notes"}
NAME_FIELDS = {"full_name", "surname", "first_name", "company_name"}
# A column may also fill one of the company's active custom fields: "custom:<key>".
CUSTOM_PREFIX = "custom:"


def import_fields(definitions=()) -> dict:
    """IMPORT_FIELDS and the active custom fields among `definitions` ("custom:<key>": label)."""
    fields = dict(IMPORT_FIELDS)
    for field in definitions:
        if field.is_active:
            fields[f"{CUSTOM_PREFIX}{field.key}"] = field.label
    return fields

_HEADERS = {
    "full_name": ["full name", "fullname", "name", "client", "contact", "contact name", "фио", "ф и о", "имя фамилия",
                  "клиент", "контакт", "пиб", "піб", "п і б", "клієнт", "повне ім'я"],
    "surname": ["surname", "last name", "lastname", "family name", "фамилия", "прізвище", "призвище"],
    "first_name": ["first name", "firstname", "given name", "имя", "ім'я", "імя", "имя клиента"],
    "patronymic": ["patronymic", "middle name", "отчество", "по батькові", "по-батькові"],
    "company_name": ["company", "company name", "organization", "organisation", "компания", "организация",
                     "название компании", "компанія", "організація", "назва компанії"],
    "phones": ["phone", "phones", "phone number", "mobile", "tel", "telephone", "телефон", "телефоны", "тел",
               "мобильный", "мобильный телефон", "номер телефона", "телефони", "мобільний", "номер телефону"],
    "emails": ["e-mail", "email", "emails", "e-mails", "e mail", "mail", "почта", "электронная почта", "эл почта",
               "пошта", "електронна пошта", "ел пошта"],
    "birthday": ["birthday", "birth date", "date of birth", "dob", "дата рождения", "день рождения", "др",
                 "дата народження", "день народження"],
    "address": ["address", "адрес", "адреса"],
    "tax_id": ["tax id", "taxid", "vat", "vat number", "инн", "іпн", "рнокпп", "єдрпоу", "едрпоу", "код єдрпоу"],
    "tags": ["tags", "tag", "теги", "тег", "мітки"],
    "notes": ["notes", "note", "comment", "comments", "примечание", "примечания", "комментарий", "примітка",
              "примітки", "коментар"],
}
_APOSTROPHES = re.compile(r"[’ʼ`´‘]")
_PUNCTUATION = re.compile(r"[.:*№#()\[\]]")
_SPACES = re.compile(r"\s+")


def header_key(text: str) -> str:
    """A header cell folded for matching: case, "ё", apostrophes, dots and spacing do not matter."""
    text = _APOSTROPHES.sub("'", (text or "").lower().replace("ё", "е"))
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


_BY_HEADER = {header_key(header): name for name, headers in _HEADERS.items() for header in headers}
# Headers that merely contain one of these words ("Телефон 2", "Мобильный номер", "Work e-mail").
_BY_WORD = [("phones", ("phone", "телефон", "моб", "mobile")), ("emails", ("e-mail", "email", "почта", "пошта")),
            ("birthday", ("birth", "рожд", "народж")), ("address", ("address", "адрес"))]


def mapping_guess(header: list[str], definitions=()) -> dict[str, str]:
    """{"<column index>": field} for the header cells it recognizes (a custom field by its label or
    key); a single-value field goes to its first column only."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    custom = {}
    for field in definitions:
        if field.is_active:
            for text in (field.key, field.label):
                custom.setdefault(header_key(text), f"{CUSTOM_PREFIX}{field.key}")
    for index, text in enumerate(header):
        key = header_key(text)
        name = _BY_HEADER.get(key) or custom.get(key)
        if name is None and key:
            name = next((field for field, words in _BY_WORD if any(word in key for word in words)), None)
        if name is None or (name in taken and name not in REPEATABLE_FIELDS):
            continue
        mapping[str(index)] = name
        taken.add(name)
    return mapping


def mapping_problems(mapping: dict, columns: int, definitions=()) -> list[str]:
    """Why a mapping cannot be used (empty when it can)."""
    problems = []
    seen: set[str] = set()
    known = import_fields(definitions)
    for index, name in mapping.items():
        if not (str(index).isascii() and str(index).isdigit() and len(str(index)) <= 6) or int(index) >= columns:
            problems.append(_("There is no column %(index)s.") % {"index": index})
        elif name not in known:
            problems.append(_("%(field)s is not a client field.") % {"field": name})
        elif name in seen and name not in REPEATABLE_FIELDS:
            problems.append(_("%(field)s is chosen for more than one column.") % {"field": known[name]})
        seen.add(name)
    if not seen & NAME_FIELDS:
        problems.append(_("Choose the column with the name (full name, surname, first name or company)."))
    return problems


# Cells to fields -------------------------------------------------------------------------------

_PHONE_SPLIT = re.compile(r"[,;/\n]+")
_EMAIL_SPLIT = re.compile(r"[,;\s]+")
_TAG_SPLIT = re.compile(r"[,;\n]+")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M:%S")
_LENGTHS = {name: Client._meta.get_field(name).max_length for name in ("surname", "first_name", "patronymic", "company_name", "tax_id")}


def date_parse(value) -> date:
    """A date from an Excel date cell, an Excel day number, or ISO, dd.mm.yyyy or dd/mm/yyyy text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    text = cell_text(value)
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def name_split(text: str) -> dict[str, str]:
    """"Шевченко Тарас Григорович" -> surname, first name, patronymic (as these customers write names)."""
    parts = text.split()
    if not parts:
        return {}
    return {"surname": parts[0], "first_name": " ".join(parts[1:2]), "patronymic": " ".join(parts[2:])}


_YES = {"yes", "y", "true", "1", "+", "да", "д", "так", "т", "✓", "x"}
_NO = {"no", "n", "false", "0", "-", "нет", "н", "ні"}


def custom_cell(field, value, text: str):
    """A cell as the value of a custom field, read as people type it in spreadsheets (dd.mm.yyyy
    dates, "yes" / "так" / "да", a decimal comma); the service checks the result as it checks any
    value. Raises ValueError with the reason."""
    kind = field.type
    if kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        number = text.replace("\u00a0", "").replace(" ", "")
        return number.replace(",", ".") if number.count(",") == 1 and "." not in number else number
    if kind == "date":
        try:
            return date_parse(value)
        except (ValueError, OverflowError):
            raise ValueError(_("%(value)s is not a date (use YYYY-MM-DD or DD.MM.YYYY).") % {"value": text}) from None
    if kind == "boolean":
        folded = text.strip().lower()
        if folded in _YES:
            return True
        if folded in _NO:
            return False
        raise ValueError(_("%(value)s is not yes or no.") % {"value": text})
    return text


def row_fields(cells: list, mapping: dict[str, str], definitions=()) -> tuple[dict, dict[str, list[str]]]:
    """The row's non-empty values as client service keyword arguments, and the cells it could not read."""
    fields: dict = {}
    errors: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    custom_fields = {field.key: field for field in definitions if field.is_active}
    for index, name in mapping.items():
        position = int(index)
        value = cells[position] if position < len(cells) else None
        text = cell_text(value)
        if not text:
            continue
        if name.startswith(CUSTOM_PREFIX):
            field = custom_fields.get(name[len(CUSTOM_PREFIX):])
            if field is None:
                continue  # hidden since the mapping was chosen
            try:
                fields.setdefault("custom", {})[field.key] = custom_cell(field, value, text)
            except ValueError as exc:
                errors.setdefault(name, []).append(str(exc))
        elif name == "full_name":
            names = {**name_split(text), **names}
        elif name in {"surname", "first_name", "patronymic"}:
            names[name] = text
        elif name == "phones":
            if isinstance(value, (int, float)) and len(text) >= 11:
                text = f"+{text}"  # a number cell: Excel dropped the "+" of an international number
            fields.setdefault("phones", []).extend(p.strip() for p in _PHONE_SPLIT.split(text) if p.strip())
        elif name == "emails":
            fields.setdefault("emails", []).extend(e for e in _EMAIL_SPLIT.split(text) if e)
        elif name == "tags":
            fields.setdefault("tags", []).extend(t.strip() for t in _TAG_SPLIT.split(text) if t.strip())
        elif name == "notes":
            fields["notes"] = f"{fields['notes']}\n{text}" if fields.get("notes") else text
        elif name == "birthday":
            try:
                fields["birthday"] = date_parse(value)
            except (ValueError, OverflowError):
                errors.setdefault("birthday", []).append(
                    _("%(value)s is not a date (use YYYY-MM-DD or DD.MM.YYYY).") % {"value": text}
                )
        else:
            fields[name] = text
    # A full name column fills the name parts that have no column of their own.
    for name, text in names.items():
        if text:
            fields[name] = text
    for name, limit in _LENGTHS.items():
        if len(fields.get(name, "")) > limit:
            errors.setdefault(name, []).append(_("Longer than %(limit)s characters.") % {"limit": limit})
    has_person = fields.get("surname") or fields.get("first_name")
    fields["kind"] = Client.Kind.PERSON if has_person or not fields.get("company_name") else Client.Kind.COMPANY
    return fields, errors
