"""Client import task. Safe to run twice: a second run resumes after the rows already counted."""
from celery import shared_task


@shared_task(name="clients.import_run")
def client_import_run_task(job_id: int) -> dict | None:
    from apps.clients.imports.services import client_import_run

    job = client_import_run(job_id=job_id)
    return None if job is None else {"status": job.status, "processed": job.processed_rows}
