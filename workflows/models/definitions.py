"""Pipeline definitions. A pipeline's versions are immutable once published; the draft is edited.

Deals and tasks point at the stage of the version they started on, so editing the draft or
publishing a new version never changes the path of work in flight.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.models.calendars import BusinessCalendar


class Pipeline(models.Model):
    class Kind(models.TextChoices):
        DEAL = "deal", _("Deals")
        TASK = "task", _("Tasks")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DEAL)
    description = models.CharField(max_length=300, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Overrides the company's default calendar."),
    )
    template_code = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PipelineVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    class TransitionMode(models.TextChoices):
        FREE = "free", _("Any stage to any stage")
        FORWARD_ONLY = "forward_only", _("Forward only")
        EXPLICIT = "explicit", _("Only the listed transitions")

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    transition_mode = models.CharField(max_length=16, choices=TransitionMode.choices, default=TransitionMode.FORWARD_ONLY)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["pipeline", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "number"], name="workflows_version_number_unique"),
            models.UniqueConstraint(fields=["pipeline"], condition=models.Q(status="draft"), name="workflows_one_draft_per_pipeline"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline} v{self.number} ({self.status})"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        ON_HOLD = "on_hold", _("On hold (clock paused)")
        WON = "won", _("Won / done")
        LOST = "lost", _("Lost / cancelled")

    class Assignment(models.TextChoices):
        KEEP = "keep", _("Keep the current responsible")
        FIXED = "fixed", _("A fixed person")
        ROUND_ROBIN = "round_robin", _("Round-robin among the role's holders")
        LEAST_LOADED = "least_loaded", _("The role holder with the fewest open items")

    version = models.ForeignKey(PipelineVersion, on_delete=models.CASCADE, related_name="stages")
    # Stable across versions: migrations between versions map stages by key by default.
    key = models.SlugField(max_length=60)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.OPEN)
    responsible_role = models.ForeignKey(
        "accounts.Role", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible role")
    )
    assignment = models.CharField(max_length=16, choices=Assignment.choices, default=Assignment.KEEP)
    fixed_assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sla_minutes = models.PositiveIntegerField(_("SLA, minutes"), null=True, blank=True)
    sla_business_time = models.BooleanField(_("count working hours only"), default=True)
    warn_percent = models.PositiveSmallIntegerField(_("warning threshold, percent of the SLA"), default=80)
    escalation_levels = models.PositiveSmallIntegerField(
        default=1, help_text=_("How many managers up a repeated breach climbs (1 = the responsible's manager).")
    )
    escalation_every_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Escalate one level further after this long still overdue.")
    )
    required_fields = models.JSONField(default=list, blank=True)
    skippable = models.BooleanField(default=True)
    entry_roles = models.ManyToManyField("accounts.Role", blank=True, related_name="+", verbose_name=_("roles that may move items here"))

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="workflows_stage_key_unique"),
            models.UniqueConstraint(
                fields=["version", "position"], name="workflows_stage_position_unique", deferrable=models.Deferrable.DEFERRED
            ),
            models.CheckConstraint(condition=models.Q(warn_percent__gte=1, warn_percent__lte=100), name="workflows_stage_warn_percent_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closing(self) -> bool:
        return self.kind in (self.Kind.WON, self.Kind.LOST)


class Transition(models.Model):
    """An allowed move in EXPLICIT mode, and who may make it (no roles: anyone who may edit)."""

    version = models.ForeignKey(PipelineVersion, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="transitions_out")
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="transitions_in")
    allowed_roles = models.ManyToManyField("accounts.Role", blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["from_stage", "to_stage"], name="workflows_transition_unique")]


class StageAutomation(models.Model):
    """What happens when an item enters a stage: a task from a template, or a notification."""

    class Action(models.TextChoices):
        CREATE_TASK = "create_task", _("Create a task")
        NOTIFY = "notify", _("Notify")

    class Target(models.TextChoices):
        RESPONSIBLE = "responsible", _("The responsible person")
        OWNER = "owner", _("The owner")
        MANAGER = "manager", _("The responsible's manager")
        ROLE = "role", _("Everyone holding a role")

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="automations")
    position = models.PositiveSmallIntegerField(default=0)
    action = models.CharField(max_length=12, choices=Action.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    role = models.ForeignKey("accounts.Role", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target = models.CharField(max_length=12, choices=Target.choices, default=Target.RESPONSIBLE)
    due_offset_minutes = models.PositiveIntegerField(null=True, blank=True)
    priority = models.CharField(max_length=8, default="normal")

    class Meta:
        ordering = ["stage", "position", "id"]
