"""Writes of the client import: upload, mapping, dry run, start, and the run itself (the task body).

Every row goes through `client_create` / `client_update`, so an imported client obeys the same
rules as one typed in; each row runs in its own savepoint, so a bad row is reported and the rest
goes on. A row is a duplicate when one of its phones or e-mails is already on a client (one
created earlier by this import included); a row with neither is matched by its folded full name
and birthday when it has a birthday, and is otherwise new.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import is_manager
from apps.api.errors import Conflict, DomainError
from apps.audit.services import audit_record
from apps.clients.custom_fields.selectors import custom_field_list
from apps.clients.imports.mapping import CUSTOM_PREFIX, mapping_guess, mapping_problems, row_fields
from apps.clients.imports.models import ERRORS_KEPT, ClientImport
from apps.clients.imports.reading import cell_text, data_rows, file_inspect
from apps.clients.models import Client
from apps.clients.phones import default_region, phone_normalize
from apps.clients.search import fold
from apps.clients.services import client_create, client_duplicates, client_update

logger = logging.getLogger(__name__)

# Rows per transaction in a run: progress, counters and errors are saved with the rows they count,
# so a run that dies resumes exactly where its last batch ended.
BATCH_ROWS = 200
LIST_FIELDS = ("phones", "emails", "tags")


class ImportNotAllowed(DomainError):
    code = "permission_denied"
    status_code = 403


class ImportStateInvalid(Conflict):
    code = "invalid_state"


def _require_manager(actor) -> None:
    if not is_manager(actor):
        raise ImportNotAllowed(_("Only managers, admins and owners can import clients."))


def _custom_fields() -> list:
    """The active custom fields a column may fill (one query)."""
    return list(custom_field_list(active_only=True))


# Upload, mapping, start ------------------------------------------------------------------------

def client_import_upload(*, actor, uploaded_file, duplicate_mode: str = ClientImport.DuplicateMode.SKIP) -> ClientImport:
    """Keep the file in the company's own folder, read its header, guess the mapping, count its rows.
    Raises ImportFileInvalid for a file that cannot be imported."""
    _require_manager(actor)
    if duplicate_mode not in ClientImport.DuplicateMode.values:
        raise DomainError(_("Choose what to do with duplicates."), code="validation_error",
                          fields={"duplicate_mode": [_("Choose skip, update or create.")]})
    name = (getattr(uploaded_file, "name", "") or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255]
    inspection = file_inspect(uploaded_file, name, uploaded_file.size)
    job = ClientImport(
        created_by=actor, original_name=name, format=inspection.format, encoding=inspection.encoding,
        delimiter=inspection.delimiter, header=inspection.header, mapping=mapping_guess(inspection.header, _custom_fields()),
        duplicate_mode=duplicate_mode, total_rows=inspection.total_rows, file_sha256=inspection.sha256,
    )
    uploaded_file.seek(0)
    job.file.save(name, uploaded_file, save=False)
    try:
        with transaction.atomic():
            job.save()
            audit_record(action="clients.import_uploaded", actor=actor, target=job,
                         changes={"file": name, "rows": job.total_rows, "sha256": job.file_sha256})
    except BaseException:
        job.file.storage.delete(job.file.name)  # no row names it: do not keep it
        raise
    return job


def client_import_preview(*, job: ClientImport, rows: int = 5) -> list[list[str]]:
    """The first data rows as text, for the mapping step."""
    preview = []
    with _job_rows(job) as rows_iter:
        for _number, cells in rows_iter:
            preview.append([cell_text(value) for value in cells[: len(job.header)]])
            if len(preview) >= rows:
                break
    return preview


@transaction.atomic
def client_import_set_mapping(*, job: ClientImport, actor, mapping: dict, duplicate_mode: str | None = None) -> ClientImport:
    """Choose the columns (and what to do with duplicates); a dry run done before must be redone."""
    _require_manager(actor)
    job = ClientImport.objects.select_for_update().get(pk=job.pk)
    if job.status not in {ClientImport.Status.UPLOADED, ClientImport.Status.DRY_RUN_DONE}:
        raise ImportStateInvalid(_("This import has already started."))
    mapping = {str(index): name for index, name in (mapping or {}).items() if name}
    problems = mapping_problems(mapping, len(job.header), _custom_fields())
    if duplicate_mode is not None and duplicate_mode not in ClientImport.DuplicateMode.values:
        problems.append(_("Choose skip, update or create for duplicates."))
    if problems:
        raise DomainError(problems[0], code="validation_error", fields={"mapping": problems})
    job.mapping = mapping
    if duplicate_mode is not None:
        job.duplicate_mode = duplicate_mode
    job.status = ClientImport.Status.UPLOADED
    job.dry_run = {}
    job.save(update_fields=["mapping", "duplicate_mode", "status", "dry_run"])
    return job


@transaction.atomic
def client_import_start(*, job: ClientImport, actor) -> ClientImport:
    """Queue the run after commit, in this company's schema."""
    _require_manager(actor)
    job = ClientImport.objects.select_for_update().get(pk=job.pk)
    if job.status not in {ClientImport.Status.UPLOADED, ClientImport.Status.DRY_RUN_DONE}:
        raise ImportStateInvalid(_("This import has already started."))
    problems = mapping_problems(job.mapping, len(job.header), _custom_fields())
    if problems:
        raise DomainError(problems[0], code="validation_error", fields={"mapping": problems})
    job.status = ClientImport.Status.RUNNING
    job.started_at = timezone.now()
    job.processed_rows = job.created_count = job.updated_count = job.skipped_count = job.error_count = 0
    job.errors = []
    job.save()
    audit_record(action="clients.import_started", actor=actor, target=job,
                 changes={"rows": job.total_rows, "duplicate_mode": job.duplicate_mode})
    from apps.clients.imports.tasks import client_import_run_task
    from tenants.dispatch import enqueue_on_commit

    enqueue_on_commit(client_import_run_task, job_id=job.pk)
    return job


# Reading rows ---------------------------------------------------------------------------------

@contextmanager
def _job_rows(job: ClientImport) -> Iterator[Iterator[tuple[int, list]]]:
    with job.file.storage.open(job.file.name, "rb") as fileobj:
        rows = data_rows(fileobj, format=job.format, encoding=job.encoding, delimiter=job.delimiter)
        try:
            yield rows
        finally:
            rows.close()


# One row ---------------------------------------------------------------------------------------

class _Outcome:
    CREATED, UPDATED, SKIPPED, REJECTED = "created", "updated", "skipped", "rejected"


def _messages(exc: DomainError) -> dict[str, list[str]]:
    """A service error as {field: [messages]}; "phones.1" is reported as "phones", "custom.<key>"
    as the mapping names it ("custom:<key>")."""
    out: dict[str, list[str]] = {}
    for name, errors in exc.fields.items():
        field = str(name).split(".")[0]
        if field == "custom" and "." in str(name):
            field = f"{CUSTOM_PREFIX}{str(name).split('.', 1)[1]}"
        for error in errors if isinstance(errors, (list, tuple)) else [errors]:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            out.setdefault(field, []).append(text)
    return out or {"non_field_errors": [exc.message]}


def _match_keys(fields: dict, region: str | None) -> tuple[list[str], list[str]]:
    phones = []
    for raw in fields.get("phones", []):
        try:
            phones.append(phone_normalize(raw, region))
        except ValidationError:
            continue  # the service reports it
    emails = [e.strip().lower() for e in fields.get("emails", []) if e.strip()]
    return phones, emails


def _name_key(kind: str, surname: str = "", first_name: str = "", patronymic: str = "", company_name: str = "") -> str:
    parts = [company_name] if kind == Client.Kind.COMPANY else [surname, first_name, patronymic]
    return fold(" ".join(p for p in parts if p))


def _existing(fields: dict, phones: list[str], emails: list[str]) -> Client | None:
    """The client this row duplicates, if any (the oldest one when several match)."""
    if phones or emails:
        # No ORDER BY ... LIMIT: that walks the primary key past every client instead of using the
        # GIN indexes. The matches are few; the oldest wins.
        found = list(client_duplicates(phones=phones, emails=emails).order_by().values_list("pk", flat=True)[:100])
        return Client.objects.get(pk=min(found)) if found else None
    if fields.get("birthday"):
        key = _name_key(fields["kind"], *(fields.get(n, "") for n in ("surname", "first_name", "patronymic", "company_name")))
        if not key:
            return None
        candidates = Client.objects.filter(birthday=fields["birthday"], kind=fields["kind"]).only(
            "kind", "surname", "first_name", "patronymic", "company_name"
        )
        return next((c for c in candidates.order_by("pk") if _name_key(c.kind, c.surname, c.first_name, c.patronymic, c.company_name) == key), None)
    return None


def _update_fields(client: Client, fields: dict) -> dict:
    """The row's non-empty values for an existing client; phones, e-mails and tags are added to its own."""
    changes = {name: value for name, value in fields.items() if name != "kind"}
    for name in LIST_FIELDS:
        if name in changes:
            changes[name] = [*getattr(client, name), *changes[name]]
    return changes


def _row_apply(*, fields: dict, mode: str, actor, region: str | None) -> str:
    """Write one parsed row through the client services; raises DomainError when it is refused."""
    phones, emails = _match_keys(fields, region)
    existing = None if mode == ClientImport.DuplicateMode.CREATE else _existing(fields, phones, emails)
    if existing is None:
        # `_existing` just looked for this row's phones and e-mails: no second lookup in the service.
        client_create(actor=actor, allow_duplicate=True, **fields)
        return _Outcome.CREATED
    if mode == ClientImport.DuplicateMode.SKIP:
        return _Outcome.SKIPPED
    client_update(client=existing, actor=actor, **_update_fields(existing, fields))
    return _Outcome.UPDATED


def _row_process(*, cells: list, job: ClientImport, actor, region: str | None, definitions=()) -> tuple[str, dict]:
    """Apply one row in its own savepoint: (outcome, errors)."""
    fields, errors = row_fields(cells, job.mapping, definitions)
    if errors:
        return _Outcome.REJECTED, errors
    try:
        with transaction.atomic():
            return _row_apply(fields=fields, mode=job.duplicate_mode, actor=actor, region=region), {}
    except DomainError as exc:
        return _Outcome.REJECTED, _messages(exc)
    except DatabaseError as exc:  # a value the database refuses; the savepoint is gone, the run goes on
        logger.warning("client import %s: row refused by the database: %s", job.pk, exc)
        return _Outcome.REJECTED, {"non_field_errors": [_("The database refused this row.")]}


# Dry run --------------------------------------------------------------------------------------

class _DryRunRollback(Exception):
    pass


def client_import_dry_run(*, job: ClientImport) -> dict:
    """Check every row as the run would, writing nothing: {"would_create", "would_update",
    "would_skip", "error_count", "errors": [{"row", "errors"}]}; kept on the job as `dry_run`.

    Each row is written and rolled back in its own short transaction (holding no lock between
    rows); rows that repeat an earlier row of the file count as duplicates of it."""
    job = ClientImport.objects.get(pk=job.pk)
    if job.status not in {ClientImport.Status.UPLOADED, ClientImport.Status.DRY_RUN_DONE}:
        raise ImportStateInvalid(_("This import has already started."))
    problems = mapping_problems(job.mapping, len(job.header), _custom_fields())
    if problems:
        raise DomainError(problems[0], code="validation_error", fields={"mapping": problems})
    actor = job.created_by
    region = default_region()
    counts = {_Outcome.CREATED: 0, _Outcome.UPDATED: 0, _Outcome.SKIPPED: 0, _Outcome.REJECTED: 0}
    errors: list[dict] = []
    seen: set[str] = set()  # match keys of rows this file would create
    definitions = _custom_fields()
    with _job_rows(job) as rows:
        for number, cells in rows:
            outcome, row_errors = _dry_run_row(cells=cells, job=job, actor=actor, region=region, seen=seen, definitions=definitions)
            counts[outcome] += 1
            if row_errors and len(errors) < ERRORS_KEPT:
                errors.append({"row": number, "errors": row_errors})
    report = {
        "would_create": counts[_Outcome.CREATED], "would_update": counts[_Outcome.UPDATED],
        "would_skip": counts[_Outcome.SKIPPED], "error_count": counts[_Outcome.REJECTED], "errors": errors,
        "checked_at": timezone.now().isoformat(),
    }
    updated = ClientImport.objects.filter(
        pk=job.pk, status__in=[ClientImport.Status.UPLOADED, ClientImport.Status.DRY_RUN_DONE], mapping=job.mapping
    ).update(dry_run=report, status=ClientImport.Status.DRY_RUN_DONE)
    if not updated:
        raise ImportStateInvalid(_("The import changed while it was being checked; check it again."))
    return report


def _dry_run_row(*, cells: list, job: ClientImport, actor, region: str | None, seen: set[str], definitions=()) -> tuple[str, dict]:
    fields, errors = row_fields(cells, job.mapping, definitions)
    if errors:
        return _Outcome.REJECTED, errors
    phones, emails = _match_keys(fields, region)
    keys = [f"p:{p}" for p in phones] + [f"e:{e}" for e in emails]
    if not keys and fields.get("birthday"):
        name = _name_key(fields["kind"], *(fields.get(n, "") for n in ("surname", "first_name", "patronymic", "company_name")))
        keys = [f"n:{name}:{fields['birthday'].isoformat()}"] if name else []
    mode = job.duplicate_mode
    try:
        with transaction.atomic():
            if mode != ClientImport.DuplicateMode.CREATE and any(k in seen for k in keys) and not _existing(fields, phones, emails):
                # It repeats a row this dry run would create, which exists only in its imagination:
                # skip it, or check it as a card of its own.
                outcome = _Outcome.SKIPPED
                if mode == ClientImport.DuplicateMode.UPDATE:
                    client_create(actor=actor, allow_duplicate=True, **fields)
                    outcome = _Outcome.UPDATED
            else:
                outcome = _row_apply(fields=fields, mode=mode, actor=actor, region=region)
            raise _DryRunRollback(outcome)
    except _DryRunRollback as done:
        outcome = done.args[0]
    except DomainError as exc:
        return _Outcome.REJECTED, _messages(exc)
    except DatabaseError:
        return _Outcome.REJECTED, {"non_field_errors": [_("The database refused this row.")]}
    if outcome == _Outcome.CREATED:
        seen.update(keys)
    return outcome, {}


# The run --------------------------------------------------------------------------------------

def client_import_run(*, job_id: int) -> ClientImport | None:
    """Import every row of a started job (the body of the `clients.import_run` task).

    Rows go in batches of BATCH_ROWS, each batch one transaction holding its rows, the counters,
    the progress and the errors; a run started again (a redelivered task) skips the rows already
    counted. Ends `done` (with an audit event `clients.imported`) or `failed`."""
    job = ClientImport.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status != ClientImport.Status.RUNNING:
        return job
    actor = job.created_by
    region = default_region()
    definitions = _custom_fields()
    try:
        with _job_rows(job) as rows:
            batch: list[tuple[int, list]] = []
            position = 0
            for number, cells in rows:
                position += 1
                if position <= job.processed_rows:
                    continue  # done by an earlier attempt
                batch.append((number, cells))
                if len(batch) >= BATCH_ROWS:
                    if not _batch_run(job=job, batch=batch, actor=actor, region=region, definitions=definitions):
                        return job
                    batch = []
            if batch and not _batch_run(job=job, batch=batch, actor=actor, region=region, definitions=definitions):
                return job
    except Exception as exc:  # noqa: BLE001 (any failure ends the job as failed, with its reason kept)
        logger.exception("client import %s failed", job_id)
        return _finish(job_id=job_id, status=ClientImport.Status.FAILED, reason=str(exc) or type(exc).__name__)
    return _finish(job_id=job_id, status=ClientImport.Status.DONE)


def _batch_run(*, job: ClientImport, batch: list[tuple[int, list]], actor, region: str | None, definitions=()) -> bool:
    """One transaction: the batch's rows and the job's counters. False when the job is no longer
    this run's to do (another attempt moved it on)."""
    with transaction.atomic():
        current = ClientImport.objects.select_for_update().get(pk=job.pk)
        if current.status != ClientImport.Status.RUNNING or current.processed_rows != job.processed_rows:
            return False
        for number, cells in batch:
            outcome, errors = _row_process(cells=cells, job=job, actor=actor, region=region, definitions=definitions)
            job.processed_rows += 1
            if outcome == _Outcome.CREATED:
                job.created_count += 1
            elif outcome == _Outcome.UPDATED:
                job.updated_count += 1
            elif outcome == _Outcome.SKIPPED:
                job.skipped_count += 1
            else:
                job.error_count += 1
                if len(job.errors) < ERRORS_KEPT:
                    job.errors.append({"row": number, "errors": errors})
        job.save(update_fields=["processed_rows", "created_count", "updated_count", "skipped_count", "error_count", "errors"])
    return True


@transaction.atomic
def _finish(*, job_id: int, status: str, reason: str = "") -> ClientImport:
    job = ClientImport.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job_id)
    job.status = status
    job.finished_at = timezone.now()
    if reason and len(job.errors) < ERRORS_KEPT:
        job.errors.append({"row": 0, "errors": {"file": [reason]}})
    job.save(update_fields=["status", "finished_at", "errors"])
    counts = {
        "status": status, "rows": job.total_rows, "processed": job.processed_rows, "created": job.created_count,
        "updated": job.updated_count, "skipped": job.skipped_count, "errors": job.error_count,
    }
    audit_record(action="clients.imported", actor=job.created_by, target=job, changes=counts)
    return job
