"""Tenants (one per business, each with its own PostgreSQL schema) and their host names."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class Tenant(TenantMixin):
    class Status(models.TextChoices):
        TRIAL = "trial", _("Trial")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        READ_ONLY = "read_only", _("Read-only")
        SUSPENDED = "suspended", _("Suspended")
        DELETED = "deleted", _("Deleted")

    # Schemas are created by tenants.services.tenant_provision, inside the signup transaction.
    auto_create_schema = False
    auto_drop_schema = False

    name = models.CharField(_("company name"), max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIAL, db_index=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["schema_name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    @property
    def slug(self) -> str:
        """The tenant's slug is its schema name and the first label of its host name."""
        return self.schema_name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def serves_requests(self) -> bool:
        return self.status not in {self.Status.SUSPENDED, self.Status.DELETED}


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class OutboxMessage(models.Model):
    """A task that could not be queued because the broker was unreachable; redelivered by beat.

    Lives in the public schema so one sweep finds every tenant's leftovers; `schema_name` says
    whose it is, and redelivery queues it for that schema only. Arguments are ids, never
    personal data.
    """

    schema_name = models.CharField(max_length=63)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["next_attempt_at"]


class SpareSchema(models.Model):
    """A schema cloned from the template ahead of time, waiting to become a new tenant's.

    Signup renames one (instant) instead of cloning while the visitor waits; beat and every
    signup refill the pool in the background. `template_state` says which template it was
    cloned from, so spares of an older template are never handed out.
    """

    name = models.CharField(max_length=63, unique=True)
    template_state = models.CharField(max_length=40, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]


class DeadlineIndex(models.Model):
    """Per tenant, the earliest moment its SLA monitor has something to do (a warning, a breach,
    an escalation, a reminder). The beat sweep reads only rows that are due, so it never visits
    every tenant. Writers lower it with LEAST() after commit; the tenant's monitor task sets the
    exact value afterwards only if no writer touched it meanwhile (`version`)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True, related_name="deadline")
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    version = models.BigIntegerField(default=0)
