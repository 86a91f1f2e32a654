"""Client import tasks. Safe to run twice: a second run resumes after the rows already counted; a
second check of the same token starts the check again (it writes nothing but its report)."""
from celery import shared_task


@shared_task(name="clients.import_run")
def client_import_run_task(job_id: int) -> dict | None:
    from apps.clients.imports.services import client_import_run

    job = client_import_run(job_id=job_id)
    return None if job is None else {"status": job.status, "processed": job.processed_rows}


@shared_task(name="clients.import_dry_run")
def client_import_dry_run_task(job_id: int, token: str) -> dict | None:
    from apps.clients.imports.models import ClientImport
    from apps.clients.imports.services import client_import_dry_run

    job = ClientImport.objects.filter(pk=job_id).first()
    report = None if job is None else client_import_dry_run(job=job, token=token)
    if report is None:
        return None
    return {key: report[key] for key in ("would_create", "would_update", "would_skip", "error_count")}
