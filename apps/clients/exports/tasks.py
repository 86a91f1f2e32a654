"""Client export task. Safe to run twice: a finished export is left alone, an interrupted one rebuilt."""
from celery import shared_task


@shared_task(name="clients.export_run")
def client_export_run_task(export_id: int) -> dict | None:
    from apps.clients.exports.services import client_export_run

    export = client_export_run(export_id=export_id)
    return None if export is None else {"status": export.status, "rows": export.row_count}


@shared_task(name="clients.exports_expire")
def client_exports_expire_task() -> int:
    """Daily, per company (beat fans it out): old export files are deleted."""
    from apps.clients.exports.services import client_exports_expire

    return client_exports_expire()
