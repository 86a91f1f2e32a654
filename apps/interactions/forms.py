from django import forms
from django.utils.translation import gettext_lazy as _

from apps.clients.custom_fields.forms import FORM_PREFIX, custom_form_fields_add, custom_form_values
from apps.clients.custom_fields.selectors import custom_fields_for_kind
from apps.clients.models import Client
from apps.interactions.models import Interaction


class AppealForm(forms.Form):
    """The phone desk's form: a found client (hidden id) or a new one, then the appeal."""

    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    new_surname = forms.CharField(label=_("Surname"), max_length=100, required=False)
    new_first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    new_phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    new_email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Interaction.Channel.choices, initial=Interaction.Channel.PHONE)
    kind = forms.ChoiceField(label=_("Kind"), choices=Interaction.Kind.choices, initial=Interaction.Kind.INQUIRY)
    subject = forms.CharField(label=_("Product or service"), max_length=200, required=False)
    summary = forms.CharField(label=_("What the client said"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    result = forms.CharField(label=_("Our answer"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    needs_decision = forms.BooleanField(label=_("Needs a manager's decision"), required=False)
    allow_duplicate = forms.BooleanField(widget=forms.HiddenInput, required=False)

    NEW_CLIENT_FIELDS = ("new_surname", "new_first_name", "new_phone", "new_email")

    def __init__(self, *args, custom_fields=None, **kwargs):
        """A new client here is a person: the active custom fields for people are offered with it
        (`custom_fields` overrides them; by default one query)."""
        super().__init__(*args, **kwargs)
        definitions = custom_fields if custom_fields is not None else custom_fields_for_kind(Client.Kind.PERSON)
        custom_form_fields_add(self, definitions)

    @property
    def custom_inputs(self) -> list:
        """The new client's custom-field inputs, for the template."""
        return [self[f"{FORM_PREFIX}{field.key}"] for field in self.custom_definitions]

    def clean(self):
        data = super().clean()
        if data.get("client") is None and not any(data.get(name) for name in self.NEW_CLIENT_FIELDS):
            raise forms.ValidationError(_("Find the client, or enter a new client's name and phone."), code="required")
        return data

    def client_fields(self) -> dict | None:
        """The new client's fields for the clients service, or None when an existing client was chosen."""
        data = self.cleaned_data
        if data.get("client") is not None:
            return None
        return {
            "surname": data["new_surname"],
            "first_name": data["new_first_name"],
            "phones": [data["new_phone"]] if data["new_phone"].strip() else [],
            "emails": [data["new_email"]] if data["new_email"].strip() else [],
            "custom": custom_form_values(self, Client.Kind.PERSON),
            "allow_duplicate": data["allow_duplicate"],
        }

    def appeal_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("channel", "kind", "subject", "summary", "result", "needs_decision")}


class DecisionForm(forms.Form):
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 3}))
