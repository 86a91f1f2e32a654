"""The appeal log: every contact a client makes, who handled it, and a manager's decision when one is needed."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Interaction(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        SOCIAL = "social", _("Social network")
        MESSENGER = "messenger", _("Messenger")
        WEBSITE = "website", _("Website")
        VISIT = "visit", _("Visit")

    class Kind(models.TextChoices):
        INQUIRY = "inquiry", _("Inquiry")
        COMPLAINT = "complaint", _("Complaint")
        PROPOSAL = "proposal", _("Proposal")
        ORDER = "order", _("Order")
        OTHER = "other", _("Other")

    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    employee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handled_interactions", verbose_name=_("handled by"))
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="interactions", verbose_name=_("client"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The product or service the client asked about.
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    result = models.TextField(_("answer given"), blank=True)
    needs_decision = models.BooleanField(_("needs a manager's decision"), default=False)
    decision = models.TextField(_("decision"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions", verbose_name=_("deal"))
    # The task asking a manager for the decision, or any other task the appeal led to.
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions", verbose_name=_("task"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-occurred_at"], name="interaction_client_idx"),
            models.Index(fields=["employee", "-occurred_at"], name="interaction_employee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}" if self.subject else str(self.get_kind_display())
