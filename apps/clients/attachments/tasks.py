from celery import shared_task


@shared_task(name="clients.attachment_orphans_remove")
def attachment_orphans_remove_task() -> int:
    """Nightly, per company (beat fans it out): files no attachment row points to are deleted."""
    from apps.clients.attachments.services import attachment_orphans_remove

    return attachment_orphans_remove()
