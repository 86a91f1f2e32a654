from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from apps.clients.custom_fields.forms import (
    FORM_PREFIX, custom_form_changes, custom_form_fields_add, custom_form_initial, custom_form_values,
)
from apps.clients.custom_fields.selectors import custom_fields_for_kind
from apps.clients.models import Client, ClientSource


class ClientForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Client.Kind.choices, initial=Client.Kind.PERSON)
    surname = forms.CharField(label=_("Surname"), max_length=100, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=100, required=False)
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    phones = forms.CharField(label=_("Phones"), required=False, help_text=_("One per line"), widget=forms.Textarea(attrs={"rows": 2}))
    emails = forms.CharField(label=_("E-mails"), required=False, help_text=_("One per line"), widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.ModelChoiceField(label=_("Source"), queryset=ClientSource.objects.filter(is_active=True), required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    address = forms.CharField(label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    consent_email = forms.BooleanField(label=_("Agrees to e-mails"), required=False)
    consent_sms = forms.BooleanField(label=_("Agrees to SMS"), required=False)
    allow_duplicate = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, custom_fields=None, **kwargs):
        """`custom_fields`: the definitions to offer (default: every active one, one query)."""
        super().__init__(*args, **kwargs)
        custom_form_fields_add(self, custom_fields if custom_fields is not None else custom_fields_for_kind(None))

    def service_fields(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if not name.startswith(FORM_PREFIX)}
        data["custom"] = custom_form_values(self, data.get("kind"))
        data.pop("allow_duplicate", None)
        data.pop("opened_version", None)
        data["phones"] = [line.strip() for line in data["phones"].splitlines() if line.strip()]
        data["emails"] = [line.strip() for line in data["emails"].splitlines() if line.strip()]
        return data


def _same(new, old) -> bool:
    """Whether a cleaned form value equals the card's: model instances by key, text ignoring the
    browser's CRLF line ends."""
    if isinstance(new, str) and isinstance(old, str):
        return new.replace("\r\n", "\n") == old.replace("\r\n", "\n")
    return new == old


class ClientEditForm(ClientForm):
    """ClientForm pre-filled from a card, with the owner for those who may change it (managers).
    `changed_service_fields` gives the service only what differs from the card."""

    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    # When the card was last saved as this form was opened: a save by someone else since is refused.
    # ISO with microseconds: a localized datetime input would drop them and never match.
    opened_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, client: Client, may_change_owner: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["opened_version"].initial = client.updated_at.isoformat()
        # The card's inactive source or owner stays a choice, or saving the form would drop it.
        self.fields["source"].queryset = ClientSource.objects.filter(Q(is_active=True) | Q(pk=client.source_id))
        if may_change_owner:
            self.fields["owner"].queryset = User.objects.filter(Q(is_active=True) | Q(pk=client.owner_id)).order_by("full_name", "email")
        else:
            del self.fields["owner"]
        initial = custom_form_initial(self.custom_definitions, client.custom)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.DateInput):
                # A date input reads only ISO dates: the locale's 05.03.2024 (uk, ru) would show empty and clear it.
                field.widget.format = "%Y-%m-%d"
            if name.startswith(FORM_PREFIX) or not hasattr(client, name):
                continue
            value = getattr(client, f"{name}_id" if isinstance(field, forms.ModelChoiceField) else name)
            initial[name] = "\n".join(value) if isinstance(value, list) else value
        self.initial = {**initial, **self.initial}

    def clean_opened_version(self):
        from django.utils.dateparse import parse_datetime

        raw = self.cleaned_data.get("opened_version") or ""
        try:
            return parse_datetime(raw) if raw else None
        except ValueError:
            return None

    def changed_service_fields(self) -> dict:
        """The service's fields that differ from the card: an unchanged phone is not matched for
        duplicates again, an untouched custom value not checked again; a cleared custom input removes it."""
        fields = {}
        for name, value in self.service_fields().items():
            if name != "custom" and not _same(value, getattr(self.client, name)):
                fields[name] = value
        custom = custom_form_changes(self, self.client.custom)
        if custom:
            fields["custom"] = custom
        return fields
