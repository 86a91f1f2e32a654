"""Writes of the client import: upload, mapping, the check (dry run), start, and the run (task bodies).

Rows go in batches (`batches.batch_import`): each row is checked in Python by the client services'
own rules, so an imported client obeys the same rules as one typed in, and a bad row is reported
while the rest goes on; the batch's duplicates are looked up at once and its cards written in bulk.
The dry run goes through the same code and rolls each batch back, so it reports what the run does.
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import is_manager
from apps.api.errors import Conflict, DomainError, NotPermitted
from apps.audit.services import audit_record
from apps.clients.custom_fields.selectors import custom_field_list
from apps.clients.imports.batches import Imagined, Outcome, RowResult, batch_import
from apps.clients.imports.mapping import mapping_guess, mapping_problems
from apps.clients.imports.models import ERRORS_KEPT, ClientImport
from apps.clients.imports.reading import cell_text, data_rows, file_inspect
from apps.clients.phones import default_region

logger = logging.getLogger(__name__)

# Rows per transaction in a run: progress, counters and errors are saved with the rows they count,
# so a run that dies resumes exactly where its last batch ended.
BATCH_ROWS = 500
EDITABLE = (ClientImport.Status.UPLOADED, ClientImport.Status.CHECKING, ClientImport.Status.DRY_RUN_DONE)


class ImportNotAllowed(NotPermitted):
    pass


class ImportStateInvalid(Conflict):
    code = "invalid_state"


def _require_manager(actor) -> None:
    if not is_manager(actor):
        raise ImportNotAllowed(_("Only managers, admins and owners can import clients."))


def _custom_fields() -> list:
    """The active custom fields a column may fill (one query)."""
    return list(custom_field_list(active_only=True))


def _require_usable_mapping(job: ClientImport) -> None:
    problems = mapping_problems(job.mapping, len(job.header), _custom_fields())
    if problems:
        raise DomainError(problems[0], code="validation_error", fields={"mapping": problems})


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
    """Choose the columns (and what to do with duplicates); a check done or running before must be
    redone (a running one stops at its next batch)."""
    _require_manager(actor)
    job = ClientImport.objects.select_for_update().get(pk=job.pk)
    if job.status not in EDITABLE:
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
    job.checked_rows = 0
    job.save(update_fields=["mapping", "duplicate_mode", "status", "dry_run", "checked_rows"])
    return job


@transaction.atomic
def client_import_start(*, job: ClientImport, actor) -> ClientImport:
    """Queue the run after commit, in this company's schema (a check still running stops)."""
    _require_manager(actor)
    job = ClientImport.objects.select_for_update().get(pk=job.pk)
    if job.status not in EDITABLE:
        raise ImportStateInvalid(_("This import has already started."))
    _require_usable_mapping(job)
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


def _batches(rows: Iterator[tuple[int, list]], *, skip: int = 0) -> Iterator[list[tuple[int, list]]]:
    """The rows in lists of BATCH_ROWS, after the first `skip` (done by an earlier attempt)."""
    batch: list[tuple[int, list]] = []
    for position, row in enumerate(rows, start=1):
        if position <= skip:
            continue
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _tally(results: list[RowResult], counts: Counter, errors: list[dict]) -> None:
    for result in results:
        counts[result.outcome] += 1
        if result.outcome == Outcome.REJECTED and len(errors) < ERRORS_KEPT:
            errors.append({"row": result.number, "errors": result.errors})


# The check (dry run) --------------------------------------------------------------------------

def _checks_in_background(job: ClientImport) -> bool:
    rows = settings.CLIENT_IMPORT_CHECK_SYNC_ROWS
    size = settings.CLIENT_IMPORT_CHECK_SYNC_BYTES
    return job.total_rows > rows or job.file.size > size


def client_import_check(*, job: ClientImport, actor) -> ClientImport:
    """Check the file as the run would, writing nothing. A small file is checked at once (status
    "dry_run_done"); a big one in the background: status "checking" with `checked_rows` as its
    progress, then "dry_run_done", or back to "uploaded" with `dry_run["failed"]`. The report is
    the job's `dry_run`."""
    _require_manager(actor)
    if not _checks_in_background(job):
        client_import_dry_run(job=job)
        return ClientImport.objects.get(pk=job.pk)
    with transaction.atomic():
        job = ClientImport.objects.select_for_update().get(pk=job.pk)
        if job.status == ClientImport.Status.CHECKING:
            return job  # already on its way
        if job.status not in EDITABLE:
            raise ImportStateInvalid(_("This import has already started."))
        _require_usable_mapping(job)
        token = uuid.uuid4().hex
        job.status = ClientImport.Status.CHECKING
        job.dry_run = {"task": token}
        job.checked_rows = 0
        job.save(update_fields=["status", "dry_run", "checked_rows"])
        from apps.clients.imports.tasks import client_import_dry_run_task
        from tenants.dispatch import enqueue_on_commit

        enqueue_on_commit(client_import_dry_run_task, job_id=job.pk, token=token)
    return job


class _CheckCancelled(Exception):
    pass


def client_import_dry_run(*, job: ClientImport, token: str | None = None) -> dict | None:
    """Check every row as the run would, writing nothing: {"would_create", "would_update",
    "would_skip", "error_count", "errors": [{"row", "errors"}], "checked_at"}, kept on the job as
    `dry_run`. Without `token`, now (raises on a job that cannot be checked); with it, the body of
    the background check queued under that token (None when the job moved on meanwhile).

    Each batch is written and rolled back in its own short transaction, holding no lock between
    batches; rows repeating a row of an earlier batch count as duplicates of the card it would make."""
    job = ClientImport.objects.select_related("created_by").get(pk=job.pk)
    if token is None:
        if job.status not in EDITABLE:
            raise ImportStateInvalid(_("This import has already started."))
        _require_usable_mapping(job)
        current = ClientImport.objects.filter(
            pk=job.pk, status__in=EDITABLE, mapping=job.mapping, duplicate_mode=job.duplicate_mode
        )
        report = _dry_run_report(job)
    else:
        current = ClientImport.objects.filter(pk=job.pk, status=ClientImport.Status.CHECKING, dry_run__task=token)
        if job.status != ClientImport.Status.CHECKING or job.dry_run.get("task") != token:
            return None
        try:
            _require_usable_mapping(job)
            report = _dry_run_report(job, progress=current)
        except _CheckCancelled:
            return None
        except Exception as exc:  # noqa: BLE001 (a failed check is reported on the job, not lost in a log)
            logger.error("client import %s: the check failed: %s", job.pk, type(exc).__name__)
            reason = exc.message if isinstance(exc, DomainError) else _unexpected(exc)
            failed = {"failed": reason, "checked_at": timezone.now().isoformat()}
            current.update(status=ClientImport.Status.UPLOADED, dry_run=failed)
            return None
    updated = current.update(dry_run=report, status=ClientImport.Status.DRY_RUN_DONE, checked_rows=job.total_rows)
    if not updated:
        if token is not None:
            return None
        raise ImportStateInvalid(_("The import changed while it was being checked; check it again."))
    return report


def _dry_run_report(job: ClientImport, *, progress=None) -> dict:
    actor = job.created_by
    region = default_region()
    definitions = _custom_fields()
    counts: Counter = Counter()
    errors: list[dict] = []
    imagined = Imagined()
    checked = 0
    with _job_rows(job) as rows:
        for batch in _batches(rows):
            with transaction.atomic():
                results = batch_import(rows=batch, job=job, actor=actor, definitions=definitions, region=region,
                                       imagined=imagined)
                transaction.set_rollback(True)
            _tally(results, counts, errors)
            checked += len(batch)
            if progress is not None and not progress.update(checked_rows=checked):
                raise _CheckCancelled  # the mapping changed, the run started, or a newer check took over
    return {
        "would_create": counts[Outcome.CREATED], "would_update": counts[Outcome.UPDATED],
        "would_skip": counts[Outcome.SKIPPED], "error_count": counts[Outcome.REJECTED], "errors": errors,
        "checked_at": timezone.now().isoformat(),
    }


# The run --------------------------------------------------------------------------------------

def client_import_run(*, job_id: int) -> ClientImport | None:
    """Import every row of a started job (the body of the `clients.import_run` task).

    Rows go in batches of BATCH_ROWS, each batch one transaction holding its rows, the counters,
    the progress, the errors and one audit event; a run started again (a redelivered task) skips
    the rows already counted. Ends `done` (with an audit event `clients.imported`) or `failed`."""
    job = ClientImport.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status != ClientImport.Status.RUNNING:
        return job
    actor = job.created_by
    region = default_region()
    definitions = _custom_fields()
    try:
        with _job_rows(job) as rows:
            for batch in _batches(rows, skip=job.processed_rows):
                if not _batch_run(job=job, batch=batch, actor=actor, region=region, definitions=definitions):
                    return job
    except Exception as exc:  # noqa: BLE001 (any failure ends the job as failed, with its reason kept)
        # Not logger.exception: a database error's text can quote the row it failed on.
        logger.error("client import %s failed: %s", job_id, type(exc).__name__)
        return _finish(job_id=job_id, status=ClientImport.Status.FAILED, reason=exc.message if isinstance(exc, DomainError) else _unexpected(exc))
    return _finish(job_id=job_id, status=ClientImport.Status.DONE)


def _batch_run(*, job: ClientImport, batch: list[tuple[int, list]], actor, region: str | None = None, definitions=None) -> bool:
    """One transaction: the batch's rows, the job's counters and the batch's audit event. False when
    the job is no longer this run's to do (another attempt moved it on)."""
    if definitions is None:
        definitions = _custom_fields()
    with transaction.atomic():
        current = ClientImport.objects.select_for_update().get(pk=job.pk)
        if current.status != ClientImport.Status.RUNNING or current.processed_rows != job.processed_rows:
            return False
        results = batch_import(rows=batch, job=job, actor=actor, definitions=definitions, region=region)
        counts: Counter = Counter()
        _tally(results, counts, job.errors)
        job.processed_rows += len(results)
        job.created_count += counts[Outcome.CREATED]
        job.updated_count += counts[Outcome.UPDATED]
        job.skipped_count += counts[Outcome.SKIPPED]
        job.error_count += counts[Outcome.REJECTED]
        job.save(update_fields=["processed_rows", "created_count", "updated_count", "skipped_count", "error_count", "errors"])
        _batch_audit(job=job, actor=actor, results=results, counts=counts)
    return True


def _batch_audit(*, job: ClientImport, actor, results: list[RowResult], counts: Counter) -> None:
    """One `clients.import_batch` event for a batch that wrote anything: its rows, counts, the ids of
    the cards it created and, per updated card, what changed (as `client.updated` records it)."""
    created = [r.card.pk for r in results if r.outcome == Outcome.CREATED]
    updated = [
        {"id": r.card.pk, "row": r.number, "changes": r.changes}
        for r in results if r.outcome == Outcome.UPDATED and r.changes
    ]
    if not created and not updated:
        return
    audit_record(action="clients.import_batch", actor=actor, target=job, changes={
        "rows": [results[0].number, results[-1].number],
        "created": counts[Outcome.CREATED], "updated": counts[Outcome.UPDATED],
        "skipped": counts[Outcome.SKIPPED], "errors": counts[Outcome.REJECTED],
        "created_ids": created, "updated_clients": updated,
    })


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


def _unexpected(exc: Exception) -> str:
    """What the page says of an unexpected failure: its kind, never its text, which can quote a row."""
    return _("Stopped by an unexpected error (%(kind)s). Try again; if it happens again, contact support.") % {"kind": type(exc).__name__}
