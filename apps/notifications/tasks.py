from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.notifications.models import Notification


@shared_task(name="notifications.email_send")
def notifications_email_send(ids: list[int]) -> int:
    """E-mail copies of notifications; each at most once (emailed_at is set in the same transaction)."""
    from django.db import connection

    from tenants.services import tenant_base_url

    base_url = tenant_base_url(connection.schema_name)
    sent = 0
    with transaction.atomic():
        pending = (
            Notification.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("recipient")
            .filter(pk__in=ids, emailed_at__isnull=True)
        )
        for notification in pending:
            recipient = notification.recipient
            if not recipient.is_active or not recipient.email:
                continue
            with translation.override(recipient.language or "en"):
                body = render_to_string("notifications/email.txt", {"notification": notification, "base_url": base_url})
            send_mail(notification.title, body, None, [recipient.email])
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    return sent
