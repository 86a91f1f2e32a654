"""Client export: who may export, starting an export, and the run itself (the body of the task).

An export is asked for with a filter spec (apps.clients.filters), a saved segment (with more
filters that win over the segment's, as on the list), explicit client ids, or ids and a spec
together (both must hold). It is built by a Celery task in the company's
schema from what the requesting user may see *when the task runs*, streamed row by row into a
temporary file, and kept in MEDIA_ROOT/<schema>/exports/ until it is downloaded through the
checked view.
"""
from __future__ import annotations

import csv
import io
import logging
import re
import tempfile
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.permissions import is_admin, is_manager
from apps.api.errors import DomainError, NotFound, NotPermitted
from apps.audit.services import audit_record
from apps.clients.exports.models import ClientExport
from apps.clients.filters import filter_spec_clean
from apps.clients.models import Category, Client, CustomField, Segment

logger = logging.getLogger(__name__)

# Explicit ids per export (and per bulk action): a page of checkboxes, not the whole base; a
# whole base is exported with a filter.
MAX_CLIENT_IDS = 5000
# Rows fetched per round trip from the server-side cursor (and written between progress saves).
CHUNK_ROWS = 2000
# How many unknown ids an error message names.
IDS_NAMED = 20


class ExportNotAllowed(NotPermitted):
    pass


class ExportInvalid(DomainError):
    code = "validation_error"


def can_export_clients(user) -> bool:
    """The one rule: managers (and admins, owners) may export; anyone else needs the permission
    "clients.export_client", which a custom role grants through its auth group."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_manager(user) or user.has_perm("clients.export_client")


def _require_export_right(actor) -> None:
    if not can_export_clients(actor):
        raise ExportNotAllowed(_("You do not have the right to export clients."))


def client_ids_clean(raw, *, field: str = "client_ids") -> list[int]:
    """Distinct positive ids in the order given, at most MAX_CLIENT_IDS; ExportInvalid otherwise."""
    if not isinstance(raw, (list, tuple)) or not raw:
        message = _("Choose at least one client.")
        raise ExportInvalid(message, fields={field: [ValidationError(message, code="required")]})
    ids: list[int] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            message = _("Client ids are positive whole numbers.")
            raise ExportInvalid(message, fields={field: [ValidationError(message, code="invalid")]})
        ids.append(value)
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_CLIENT_IDS:
        message = _("Choose at most %(max)d clients, or use a filter.") % {"max": MAX_CLIENT_IDS}
        raise ExportInvalid(message, fields={field: [ValidationError(message, code="max_length")]})
    return ids


def client_ids_unknown_error(unknown: list[int], *, field: str = "client_ids", error_class=ExportInvalid) -> DomainError:
    """Ids the user cannot see are reported as not found, named (the first IDS_NAMED of them)."""
    named = ", ".join(str(pk) for pk in unknown[:IDS_NAMED]) + ("…" if len(unknown) > IDS_NAMED else "")
    message = _("Unknown clients: %(ids)s.") % {"ids": named}
    return error_class(
        message, fields={field: [ValidationError(message, code="not_found")]}, extra={"unknown_ids": unknown[:IDS_NAMED]}
    )


def export_selection(*, user, spec: dict, client_ids: list[int] | None) -> QuerySet[Client]:
    """The clients an export of `spec` (narrowed to `client_ids`) holds for `user`, in list order."""
    from apps.clients.selectors import client_list_filtered

    queryset = client_list_filtered(user, spec)
    if client_ids:
        queryset = queryset.filter(pk__in=client_ids)
    return queryset


def _resolve_selection(*, actor, filters, client_ids, segment) -> tuple[dict, list[int], Segment | None]:
    if segment is not None:
        from apps.clients.selectors import segment_list_visible_to

        if not isinstance(segment, Segment) or not segment_list_visible_to(actor).filter(pk=segment.pk).exists():
            raise ExportInvalid(_("Unknown segment."), fields={"segment": [ValidationError(_("Unknown segment."), code="not_found")]})
        # As the list folds a segment in (filters.filter_spec_with_segment): explicit filters win.
        # The result is kept on the export, so the file holds what was asked for even if the
        # segment is edited or deleted before the task runs.
        if filters is None or isinstance(filters, dict):
            filters = {**(segment.filters or {}), **(filters or {})}
    spec = filter_spec_clean(filters)
    ids = client_ids_clean(client_ids) if client_ids is not None else []
    if ids:
        from apps.clients.selectors import client_list_visible_to

        seen = set(client_list_visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
        unknown = [pk for pk in ids if pk not in seen]
        if unknown:
            raise client_ids_unknown_error(unknown)
    return spec, ids, segment


# Each export copies the client base and costs a worker a scan of it: a person gets a few at a
# time and a few dozen a day, which no honest use reaches and a script copying the base would.
EXPORTS_IN_FLIGHT_PER_USER = 3
EXPORTS_PER_USER_PER_DAY = 50


class ExportBudgetSpent(DomainError):
    code = "too_many_exports"
    status_code = 429


def _require_export_budget(actor) -> None:
    from datetime import timedelta

    from django.utils import timezone as dj_timezone

    mine = ClientExport.objects.filter(created_by=actor)
    if mine.filter(status__in=[ClientExport.Status.QUEUED, ClientExport.Status.RUNNING]).count() >= EXPORTS_IN_FLIGHT_PER_USER:
        raise ExportBudgetSpent(_("Your earlier exports are still being built; start another when one is ready."))
    if mine.filter(created_at__gte=dj_timezone.now() - timedelta(days=1)).count() >= EXPORTS_PER_USER_PER_DAY:
        raise ExportBudgetSpent(_("That is %(count)s exports in a day, the most one person may start; try again tomorrow.") % {"count": EXPORTS_PER_USER_PER_DAY})


@transaction.atomic
def client_export_create(*, actor, format: str, filters: dict | None = None, client_ids: list[int] | None = None,
                         segment: Segment | None = None) -> tuple[ClientExport, int]:
    """`client_export_start`, also answering how many clients match now (for the bulk action)."""
    _require_export_right(actor)
    _require_export_budget(actor)
    if format not in ClientExport.Format.values:
        message = _("Choose CSV or XLSX.")
        raise ExportInvalid(message, fields={"format": [ValidationError(message, code="invalid_choice")]})
    spec, ids, segment = _resolve_selection(actor=actor, filters=filters, client_ids=client_ids, segment=segment)
    matched = export_selection(user=actor, spec=spec, client_ids=ids).order_by().count()
    export = ClientExport.objects.create(created_by=actor, format=format, filters=spec, client_ids=ids, segment=segment)
    audit_record(
        action="clients.export_requested", actor=actor, target=export,
        changes={
            "format": format, "filters": spec, "client_ids": len(ids), "segment": segment.pk if segment else None,
            "count": matched,
        },
    )
    from apps.clients.exports.tasks import client_export_run_task
    from tenants.dispatch import enqueue_on_commit

    enqueue_on_commit(client_export_run_task, export_id=export.pk)
    return export, matched


@transaction.atomic
def client_export_start(*, actor, format: str, filters: dict | None = None, client_ids: list[int] | None = None,
                        segment: Segment | None = None) -> ClientExport:
    """Record an export of the clients `actor` may see that match `segment` and `filters` (which win), narrowed
    to `client_ids` when given; audited with the spec and the current count; the file is built by
    a task queued after commit. Raises ExportNotAllowed (403) without the right, ExportInvalid (400)
    for a bad format, spec, segment or ids (ids the actor cannot see are named as unknown)."""
    export, _matched = client_export_create(actor=actor, format=format, filters=filters, client_ids=client_ids, segment=segment)
    return export


# Reading exports ------------------------------------------------------------------------------

def client_export_list_visible_to(user) -> QuerySet[ClientExport]:
    """Admins see every export of the company; anyone else their own."""
    queryset = ClientExport.objects.select_related("created_by", "segment")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if is_admin(user):
        return queryset
    return queryset.filter(created_by=user)


@transaction.atomic
def client_export_file_open(*, export: ClientExport, actor):
    """The finished file of an export `actor` may download, opened for reading, audited as
    `clients.export_downloaded`. NotFound unless the export is done and its file lies in this
    company's folder (a row pointing elsewhere is never served)."""
    _require_export_right(actor)
    if not client_export_list_visible_to(actor).filter(pk=export.pk).exists():
        raise NotFound(_("Not found."))
    name = export.file.name or ""
    if export.status != ClientExport.Status.DONE or not _is_own_file(name):
        raise NotFound(_("Not found."))
    try:
        handle = export.file.storage.open(name, "rb")
    except OSError:
        raise NotFound(_("Not found.")) from None
    audit_record(action="clients.export_downloaded", actor=actor, target=export,
                 changes={"format": export.format, "rows": export.row_count})
    return handle


def _is_own_file(name: str) -> bool:
    prefix = f"{connection.schema_name}/exports/"
    parts = name.split("/")
    return name.startswith(prefix) and ".." not in parts and "" not in parts and "\\" not in name


def client_export_filename(export: ClientExport) -> str:
    return f"clients-{timezone.localdate(export.created_at):%Y-%m-%d}-{export.pk}.{export.format}"


# The run --------------------------------------------------------------------------------------

def client_export_run(*, export_id: int) -> ClientExport | None:
    """Build the file of a queued export (the body of `clients.export_run`); ends `done` with the
    row count (audited as `clients.exported`) or `failed` with a short reason.

    Safe to run twice: a finished export is left alone; one that was running when its worker died
    is built again from the start (the file is only stored once complete)."""
    claimed = ClientExport.objects.filter(
        pk=export_id, status__in=[ClientExport.Status.QUEUED, ClientExport.Status.RUNNING]
    ).update(status=ClientExport.Status.RUNNING, row_count=0, error="")
    export = ClientExport.objects.select_related("created_by").filter(pk=export_id).first()
    if not claimed or export is None:
        return export
    user = export.created_by
    with translation.override(_user_language(user)), timezone.override(_user_zone(user)):
        if not can_export_clients(user):
            return _finish(export=export, status=ClientExport.Status.FAILED,
                           error=_("The export right was withdrawn before the file was built."))
        try:
            with tempfile.TemporaryFile() as out:
                rows = _write(export=export, user=user, out=out)
                out.seek(0)
                export.file.save(f"export.{export.format}", File(out), save=False)
        except Exception as exc:  # noqa: BLE001 (any failure ends the export as failed)
            # The type only: a message may quote a client's data.
            logger.error("client export %s failed: %s", export_id, type(exc).__name__)
            return _finish(export=export, status=ClientExport.Status.FAILED,
                           error=_("The file could not be built (%(reason)s). Try again.") % {"reason": type(exc).__name__})
        return _finish(export=export, status=ClientExport.Status.DONE, rows=rows)


@transaction.atomic
def _finish(*, export: ClientExport, status: str, rows: int = 0, error: str = "") -> ClientExport:
    export.status = status
    export.row_count = rows
    export.error = error[:300]
    export.finished_at = timezone.now()
    fields = ["status", "row_count", "error", "finished_at"] + (["file"] if status == ClientExport.Status.DONE else [])
    export.save(update_fields=fields)
    if status == ClientExport.Status.DONE:
        audit_record(action="clients.exported", actor=export.created_by, target=export,
                     changes={"format": export.format, "row_count": rows})
    else:
        audit_record(action="clients.export_failed", actor=export.created_by, target=export, changes={"format": export.format})
    return export


def _user_language(user) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    for candidate in (getattr(user, "language", ""), getattr(getattr(connection, "tenant", None), "language", "")):
        if candidate in available:
            return candidate
    return settings.LANGUAGE_CODE


def _user_zone(user) -> zoneinfo.ZoneInfo:
    name = getattr(user, "time_zone", "") or getattr(getattr(connection, "tenant", None), "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _rows_of(export: ClientExport, user) -> Iterator[Client]:
    queryset = export_selection(user=user, spec=export.filters or {}, client_ids=export.client_ids or None)
    queryset = queryset.prefetch_related(Prefetch("categories", queryset=Category.objects.only("pk", "name", "position")))
    return queryset.iterator(chunk_size=CHUNK_ROWS)


def _columns() -> list[tuple[str, Callable[[Client], object]]]:
    """(header, value of a client) in the active language; custom fields last, in their order."""
    yes, no = _("Yes"), _("No")
    kinds = {value: str(label) for value, label in Client.Kind.choices}

    def joined(values) -> str:
        return ", ".join(values or [])

    columns: list[tuple[str, Callable[[Client], object]]] = [
        ("ID", lambda c: c.pk),
        (_("Kind"), lambda c: kinds.get(c.kind, c.kind)),
        (_("Client"), lambda c: c.display_name),
        (_("Surname"), lambda c: c.surname),
        (_("First name"), lambda c: c.first_name),
        (_("Patronymic"), lambda c: c.patronymic),
        (_("Company"), lambda c: c.company_name),
        (_("Phones"), lambda c: joined(c.phones)),
        (_("E-mails"), lambda c: joined(c.emails)),
        (_("Source"), lambda c: c.source.name if c.source_id else ""),
        (_("Birthday"), lambda c: c.birthday),
        (_("Address"), lambda c: c.address),
        (_("Tax id"), lambda c: c.tax_id),
        (_("Tags"), lambda c: joined(c.tags)),
        # Prefetched in the categories' own order (position, name).
        (_("Categories"), lambda c: joined(category.name for category in c.categories.all())),
        (_("Owner"), lambda c: str(c.owner)),
        (_("Agrees to e-mails"), lambda c: yes if c.consent_email else no),
        (_("Agrees to SMS"), lambda c: yes if c.consent_sms else no),
        (_("Created"), lambda c: timezone.localtime(c.created_at).replace(tzinfo=None)),
    ]
    for field in CustomField.objects.filter(is_active=True).order_by("position", "id"):
        columns.append((field.label, _custom_getter(field, yes, no)))
    return columns


def _custom_getter(field: CustomField, yes: str, no: str) -> Callable[[Client], object]:
    key, kind = field.key, field.type

    def value(client: Client):
        raw = (client.custom or {}).get(key)
        if raw is None or raw == "":
            return None
        if kind == CustomField.Type.BOOLEAN:
            return yes if raw is True or str(raw).lower() in {"true", "1", "yes"} else no
        if kind == CustomField.Type.NUMBER and isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return raw
        if kind == CustomField.Type.DATE:
            try:
                return date.fromisoformat(str(raw))
            except ValueError:
                return str(raw)
        return raw if isinstance(raw, str) else str(raw)

    return value


def _write(*, export: ClientExport, user, out) -> int:
    columns = _columns()
    rows = _rows_of(export, user)
    writer = _XlsxWriter(out) if export.format == ClientExport.Format.XLSX else _CsvWriter(out)
    writer.row([header for header, _value in columns])
    count = 0
    for client in rows:
        writer.row([value(client) for _header, value in columns])
        count += 1
        if count % CHUNK_ROWS == 0:
            ClientExport.objects.filter(pk=export.pk).update(row_count=count)
    writer.close()
    return count


# Spreadsheet cells ------------------------------------------------------------------------------

# A text cell a spreadsheet would read as a formula (CSV injection); signs followed by digits only
# (phones, negative numbers) are harmless and kept as they are.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBERS = re.compile(r"[+\-\d\s().,]+")
_ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _CsvWriter:
    """UTF-8 with a byte order mark (Excel then reads Cyrillic right), comma-separated."""

    def __init__(self, out):
        self._text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text, delimiter=",")

    def row(self, values: list) -> None:
        self._csv.writerow([self._cell(value) for value in values])

    @staticmethod
    def _cell(value) -> str:
        text = _text(value)
        if text.startswith(_FORMULA_START) and not _PLAIN_NUMBERS.fullmatch(text):
            return "'" + text
        return text

    def close(self) -> None:
        self._text.flush()
        self._text.detach()


class _XlsxWriter:
    """openpyxl's write-only workbook: rows go to a temporary file as they come, not into memory."""

    def __init__(self, out):
        from openpyxl import Workbook

        self._out = out
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title=_("Clients")[:31])

    def row(self, values: list) -> None:
        self._sheet.append([self._cell(value) for value in values])

    def _cell(self, value):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES

        if not isinstance(value, str):
            return value
        text = _ILLEGAL_XML.sub("", value)[:32767]
        if text.startswith("=") or text in ERROR_CODES:
            # Kept as text: a string cell is never evaluated.
            cell = WriteOnlyCell(self._sheet, value=text)
            cell.data_type = "s"
            return cell
        return text

    def close(self) -> None:
        self._book.save(self._out)


def client_exports_expire(*, keep_days: int | None = None) -> int:
    """Delete the files of exports older than CLIENT_EXPORT_KEEP_DAYS (a copy of the client base
    should not lie around); the rows stay for the record and answer 404 on download."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    keep_days = settings.CLIENT_EXPORT_KEEP_DAYS if keep_days is None else keep_days
    cutoff = timezone.now() - timedelta(days=keep_days)
    expired = 0
    for export in ClientExport.objects.filter(created_at__lt=cutoff).exclude(file="").iterator():
        name = export.file.name
        ClientExport.objects.filter(pk=export.pk).update(file="")
        if _is_own_file(name):
            try:
                export.file.storage.delete(name)
            except OSError:
                logger.exception("could not delete an expired export file")
        expired += 1
    return expired + _export_orphans_remove()


def _export_orphans_remove(older_than_hours: int = 24) -> int:
    """Files in this company's export folder no row names (a run redelivered while another was
    still writing, a run that died between storing and recording), once a day old."""
    from apps.clients.stored_files import orphans_remove

    known = set(ClientExport.objects.exclude(file="").values_list("file", flat=True))
    return orphans_remove(kind="exports", known=known, older_than_hours=older_than_hours)
