"""Tasks: made by hand, by stage automations, or moving through a task pipeline."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELED = "canceled", _("Cancelled")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Source(models.TextChoices):
        MANUAL = "manual", _("By hand")
        AUTOMATION = "automation", _("Stage automation")
        PIPELINE = "pipeline", _("Task pipeline")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tasks", verbose_name=_("assignee")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Task pipelines: the same engine moves tasks through stages.
    pipeline = models.ForeignKey("workflows.Pipeline", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    version = models.ForeignKey("workflows.PipelineVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    stage = models.ForeignKey("workflows.Stage", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    current_visit = models.ForeignKey("workflows.StageVisit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Which automation made it on which stage visit: running an automation twice makes one task.
    automation = models.ForeignKey("workflows.StageAutomation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    origin_visit = models.ForeignKey("workflows.StageVisit", null=True, blank=True, on_delete=models.SET_NULL, related_name="spawned_tasks")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "-priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["origin_visit", "automation"], name="task_one_per_automation_visit")
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_my_tasks_idx"),
            models.Index(fields=["warn_at"], name="task_warn_due", condition=models.Q(status="open", warned_at__isnull=True)),
            models.Index(fields=["due_at"], name="task_breach_due", condition=models.Q(status="open", breached_at__isnull=True)),
            models.Index(fields=["remind_at"], name="task_remind_due", condition=models.Q(status="open", reminded_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at is not None and self.due_at < timezone.now()


class TaskUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Task, on_delete=models.CASCADE)


class TaskGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Task, on_delete=models.CASCADE)
