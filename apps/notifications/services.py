"""Creating notifications: each (recipient, reason) once, e-mailed after commit."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from apps.notifications.models import Notification


@dataclass(frozen=True)
class Draft:
    recipient_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    deal_id: int | None = None
    task_id: int | None = None
    dedupe_key: str | None = None


def notify_many(drafts: list[Draft], *, email: bool = True) -> list[int]:
    """Insert notifications, skipping any whose dedupe key exists; returns the new ids.

    ON CONFLICT DO NOTHING makes a repeated sweep (a task run twice) a no-op.
    """
    drafts = [d for d in drafts if d.recipient_id]
    if not drafts:
        return []
    now = timezone.now()
    table = Notification._meta.db_table
    values = []
    params: list = []
    for d in drafts:
        values.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s)")
        params += [d.recipient_id, d.kind, d.title[:200], d.body, d.url[:300], d.deal_id, d.task_id, d.dedupe_key, now]
    sql = (
        f"INSERT INTO {table} (recipient_id, kind, title, body, url, deal_id, task_id, dedupe_key, created_at) "
        f"VALUES {', '.join(values)} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if ids and email:
        from apps.notifications.tasks import notifications_email_send
        from tenants.dispatch import enqueue_on_commit

        enqueue_on_commit(notifications_email_send, ids)
    return ids


@transaction.atomic
def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when `ids` is None)."""
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())
