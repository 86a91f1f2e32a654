"""The client base: people and companies, with their phones, e-mails and where they came from."""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class ClientSource(models.Model):
    """Where clients come from (advertising, referral, website, walk-in ...); the company edits the list."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PERSON)
    # A person's name as these customers write it: surname, first name, patronymic.
    surname = models.CharField(_("surname"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    # E.164 numbers ("+380671112233") and lower-cased e-mails; GIN-indexed for duplicate checks.
    phones = ArrayField(models.CharField(max_length=20), default=list, blank=True, verbose_name=_("phones"))
    emails = ArrayField(models.CharField(max_length=254), default=list, blank=True, verbose_name=_("e-mails"))
    source = models.ForeignKey(ClientSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="clients", verbose_name=_("source"))
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    address = models.TextField(_("address"), blank=True)
    tax_id = models.CharField(_("tax id"), max_length=32, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    bank_details = models.TextField(_("bank details"), blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True, verbose_name=_("tags"))
    notes = models.TextField(_("notes"), blank=True)
    consent_email = models.BooleanField(_("agrees to e-mails"), default=False)
    consent_sms = models.BooleanField(_("agrees to SMS"), default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_clients", verbose_name=_("owner"))
    # Lower-cased, accent-free, "ё"-folded names, e-mails, phone digits, tax id: what the search box matches.
    search_text = models.TextField(default="", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["surname", "first_name", "company_name", "id"]
        indexes = [
            GinIndex(fields=["phones"], name="client_phones_gin"),
            GinIndex(fields=["emails"], name="client_emails_gin"),
            models.Index(fields=["owner"], name="client_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.COMPANY:
            return self.company_name
        return " ".join(part for part in (self.surname, self.first_name, self.patronymic) if part) or self.company_name


class ClientUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)


class ClientGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)
from apps.clients.imports.models import ClientImport  # noqa: E402,F401
