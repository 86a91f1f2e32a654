"""Plans, each tenant's subscription, its invoices, received Stripe events and queued Stripe calls.

All of it lives in the public schema: it spans tenants and operators read it.
"""
import uuid
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Plan(models.Model):
    """What a tenant may use and what it costs. A limit of None means unlimited."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    is_trial = models.BooleanField(default=False, help_text=_("The plan every new company starts on."))
    is_public = models.BooleanField(default=True, help_text=_("Offered on the billing page."))
    position = models.PositiveSmallIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    price_monthly = models.PositiveIntegerField(default=0, help_text=_("In cents."))
    price_yearly = models.PositiveIntegerField(default=0, help_text=_("In cents."))
    seats = models.PositiveIntegerField(null=True, blank=True)
    pipelines = models.PositiveIntegerField(null=True, blank=True)
    active_deals = models.PositiveIntegerField(null=True, blank=True)
    storage_mb = models.PositiveIntegerField(null=True, blank=True)
    api_access = models.BooleanField(default=True)
    audit_export = models.BooleanField(default=False)
    stripe_product_id = models.CharField(max_length=100, blank=True)
    stripe_price_monthly_id = models.CharField(max_length=100, blank=True)
    stripe_price_yearly_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    def limit(self, name: str):
        return getattr(self, name)

    @property
    def monthly_amount(self) -> Decimal:
        return Decimal(self.price_monthly) / 100

    @property
    def yearly_amount(self) -> Decimal:
        return Decimal(self.price_yearly) / 100


class Subscription(models.Model):
    """A tenant's plan and its state as Stripe last told us (or the local trial before that)."""

    class Status(models.TextChoices):
        TRIALING = "trialing", _("Trial")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        UNPAID = "unpaid", _("Unpaid")
        CANCELED = "canceled", _("Canceled")
        INCOMPLETE = "incomplete", _("Incomplete")
        INCOMPLETE_EXPIRED = "incomplete_expired", _("Incomplete, expired")
        PAUSED = "paused", _("Paused")

    class Interval(models.TextChoices):
        MONTH = "month", _("Monthly")
        YEAR = "year", _("Yearly")

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    interval = models.CharField(max_length=5, choices=Interval.choices, default=Interval.MONTH)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TRIALING)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=100, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True, db_index=True)
    stripe_item_id = models.CharField(max_length=100, blank=True)
    quantity = models.PositiveIntegerField(default=1, help_text=_("Seats billed."))
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    past_due_since = models.DateTimeField(null=True, blank=True)
    read_only_since = models.DateTimeField(null=True, blank=True)
    # Set when billing (not an operator) suspended the tenant, so paying again may lift it.
    suspended_by_billing = models.BooleanField(default=False)
    trial_warning_sent_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.plan_id} ({self.status})"


class Invoice(models.Model):
    """A Stripe invoice as last fetched; shown on the billing page."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="invoices")
    stripe_invoice_id = models.CharField(max_length=100, unique=True)
    number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    amount_due = models.IntegerField(default=0)
    amount_paid = models.IntegerField(default=0)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    invoice_pdf = models.URLField(max_length=500, blank=True)
    created = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_due) / 100


class StripeEvent(models.Model):
    """Every webhook event, stored once by its id; `processed_at` is set in the transaction that applied it."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text=_("When Stripe created the event."))
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    tenant = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.SET_NULL)
    outcome = models.CharField(max_length=200, blank=True)
    payload = models.JSONField()

    class Meta:
        ordering = ["-received_at"]


class StripeCommand(models.Model):
    """A call we owe Stripe, written in the transaction that decided it and run after commit.

    The row's id is the call's idempotency key, so a retry can never apply the call twice.
    """

    class Kind(models.TextChoices):
        SEATS_SYNC = "seats_sync", _("Sync seats")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        SUPERSEDED = "superseded", _("Superseded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="stripe_commands")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="billing_cmd_pending_due", condition=models.Q(status="pending"))
        ]
