"""Deals: work that moves through a deal pipeline towards won or lost."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Deal(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    title = models.CharField(_("title"), max_length=200)
    # The client's card, and the contact of this deal (filled from the card when left blank).
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="deals", verbose_name=_("client card"))
    client_name = models.CharField(_("client"), max_length=200, blank=True)
    client_phone = models.CharField(_("client's phone"), max_length=32, blank=True)
    client_email = models.EmailField(_("client's e-mail"), blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_deals", verbose_name=_("owner"))
    pipeline = models.ForeignKey("workflows.Pipeline", on_delete=models.PROTECT, related_name="deals")
    version = models.ForeignKey("workflows.PipelineVersion", on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey("workflows.Stage", on_delete=models.PROTECT, related_name="deals")
    current_visit = models.ForeignKey("workflows.StageVisit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="responsible_deals", verbose_name=_("responsible")
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.OPEN, db_index=True)
    close_reason = models.CharField(_("won or lost reason"), max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Facts collected on the way (measurement date, contract number ...), named by stages' required fields.
    data = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["pipeline", "stage"], name="deal_board_idx"),
            models.Index(fields=["responsible", "outcome"], name="deal_responsible_idx"),
            models.Index(fields=["owner", "outcome"], name="deal_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.title


# django-guardian's direct foreign-key permission tables: joins on an integer key instead of
# the generic (content type, text id) pair (guardian PR #451: ~4x faster).
class DealUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Deal, on_delete=models.CASCADE)


class DealGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Deal, on_delete=models.CASCADE)
