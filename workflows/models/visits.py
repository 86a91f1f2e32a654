"""Stage visits: one row per stay of a deal or task in a stage. Deadlines are data (brief, 4)."""
from django.conf import settings
from django.db import models
from django.utils import timezone

from workflows.models.definitions import Pipeline, Stage


class StageVisit(models.Model):
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="visits")
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="visits")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    left_at = models.DateTimeField(null=True, blank=True)
    left_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    # SLA time left when the item left for an on-hold stage; a return to this stage resumes it.
    remaining_seconds = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["entered_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(deal__isnull=False, task__isnull=True) | models.Q(deal__isnull=True, task__isnull=False)),
                name="workflows_visit_of_one_item",
            )
        ]
        indexes = [
            # The SLA monitor reads only open, pending rows through these.
            models.Index(fields=["warn_at"], name="visit_warn_due", condition=models.Q(left_at__isnull=True, warned_at__isnull=True)),
            models.Index(fields=["due_at"], name="visit_breach_due", condition=models.Q(left_at__isnull=True, breached_at__isnull=True)),
            models.Index(
                fields=["next_escalation_at"], name="visit_escalation_due", condition=models.Q(left_at__isnull=True)
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.left_at is None

    @property
    def on_time(self) -> bool | None:
        """Left (or still in) the stage before its deadline; None when the stage has no SLA."""
        if self.due_at is None:
            return None
        return (self.left_at or timezone.now()) <= self.due_at


class AssignmentCursor(models.Model):
    """Round-robin position per pipeline stage (by key, so it survives new versions)."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    stage_key = models.SlugField(max_length=60)
    last_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pipeline", "stage_key"], name="workflows_cursor_unique")]
