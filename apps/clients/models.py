"""The client base: people and companies, with their phones, e-mails and where they came from."""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import ExtractDay, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
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
    # Values of the company's own fields ({CustomField.key: value}), validated by the services against
    # the definitions; jsonb with a GIN index so "field = value" filters use it.
    custom = models.JSONField(default=dict, blank=True)
    categories = models.ManyToManyField("Category", through="ClientCategory", related_name="clients", blank=True)
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
            GinIndex(fields=["custom"], name="client_custom_gin", opclasses=["jsonb_path_ops"]),
            # Tag filters (array overlap), birthday months and days (filters and the daily reminders),
            # and the list's name order, so a first page of a filter most clients match is read in
            # order instead of sorting a million rows (docs/performance.md).
            GinIndex(fields=["tags"], name="client_tags_gin"),
            models.Index(ExtractMonth("birthday"), ExtractDay("birthday"), name="client_birthday_md_idx"),
            models.Index(fields=["surname", "first_name", "company_name", "id"], name="client_name_order_idx"),
        ]
        permissions = [("export_client", "Can export the client base")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.COMPANY:
            return self.company_name
        return " ".join(part for part in (self.surname, self.first_name, self.patronymic) if part) or self.company_name


class FamilyMember(models.Model):
    """A client's relative: family discounts and birthday greetings are why they are recorded."""

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Brother or sister")
        GRANDPARENT = "grandparent", _("Grandparent")
        GRANDCHILD = "grandchild", _("Grandchild")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="family", verbose_name=_("client"))
    name = models.CharField(_("name"), max_length=200)
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices, default=Relation.OTHER)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        ordering = ["client", "id"]

    def __str__(self) -> str:
        return self.name


class CompanyContact(models.Model):
    """A person who works at a client company, and their position there (director, accountant ...)."""

    company = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="people", verbose_name=_("company"))
    person = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="positions", verbose_name=_("person"))
    position = models.CharField(_("position"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("main contact"), default=False)

    class Meta:
        ordering = ["company", "-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "person"], name="company_contact_unique")]

    def __str__(self) -> str:
        return f"{self.person} ({self.position})" if self.position else str(self.person)


class ClientNote(models.Model):
    """A dated note on a client card, shown on its timeline."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="note_entries")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"], name="client_note_idx")]


class CustomField(models.Model):
    """A field the company adds to its client cards (e.g. "Window count", "Skin type")."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", pgettext_lazy("field type", "Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        BOOLEAN = "boolean", _("Yes / no")

    class AppliesTo(models.TextChoices):
        ALL = "all", _("People and companies")
        PERSON = "person", pgettext_lazy("client kind", "People")
        COMPANY = "company", _("Companies")

    # The stable name used in the API, filters and imports; the label may change, the key does not.
    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=8, choices=Type.choices)
    choices = ArrayField(models.CharField(max_length=100), default=list, blank=True, verbose_name=_("choices"))
    applies_to = models.CharField(_("applies to"), max_length=8, choices=AppliesTo.choices, default=AppliesTo.ALL)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class Segment(models.Model):
    """A saved filter over the client base ("Kyiv clients without a contact for 90 days")."""

    name = models.CharField(_("name"), max_length=100)
    # A filter spec as apps.clients.filters validates it.
    filters = models.JSONField(default=dict)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_segments")
    is_shared = models.BooleanField(_("shared with colleagues"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A category clients belong to: set by hand, or by a rule recalculated daily ("VIP": won over 10,000)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # A filter spec (apps.clients.filters); empty means the category is only set by hand.
    rule = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    recalculated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    @property
    def is_automatic(self) -> bool:
        return bool(self.rule)


class ClientCategory(models.Model):
    """Membership of a client in a category; `by_rule` rows are the recalculation's to add and remove."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="category_links")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="client_links")
    by_rule = models.BooleanField(default=False)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "category"], name="client_category_unique")]
        indexes = [models.Index(fields=["category", "client"], name="client_category_cat_idx")]


class ClientUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)


class ClientGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)
from apps.clients.imports.models import ClientImport  # noqa: E402,F401
from apps.clients.attachments.models import Attachment  # noqa: E402,F401
from apps.clients.exports.models import ClientExport  # noqa: E402,F401
