from django import forms
from django.utils.translation import gettext_lazy as _

from apps.clients.custom_fields.forms import FORM_PREFIX, custom_form_fields_add, custom_form_values
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
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
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
        data["phones"] = [line.strip() for line in data["phones"].splitlines() if line.strip()]
        data["emails"] = [line.strip() for line in data["emails"].splitlines() if line.strip()]
        return data
