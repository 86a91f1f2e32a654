"""In-app notifications (with e-mail copies). `dedupe_key` makes each one exist at most once."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils import timezone


class Notification(models.Model):
    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        SLA_WARNING = "sla_warning", _("Deadline approaching")
        SLA_BREACH = "sla_breach", _("Deadline missed")
        ESCALATION = "escalation", _("Escalation")
        TASK_REMINDER = "task_reminder", _("Task reminder")
        AUTOMATION = "automation", _("Stage automation")
        BILLING = "billing", _("Billing")
        BIRTHDAY = "birthday", _("Birthday")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # e.g. "sla_breach:visit:12:level:1:user:7". Inserted with ON CONFLICT DO NOTHING, so a
    # sweep that runs twice notifies once.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.title
