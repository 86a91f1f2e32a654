"""Forms: the admins' definition forms, and the inputs a client form gets for each custom field."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.clients.models import CustomField

FORM_PREFIX = "custom__"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class CustomFieldCreateForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100, help_text=_("What colleagues see on the card, e.g. Window count."))
    key = forms.CharField(
        label=_("Key"), max_length=50,
        help_text=_("Short Latin name for the API, filters and imports, e.g. window_count. It cannot change later."),
    )
    type = forms.ChoiceField(label=_("Type"), choices=CustomField.Type.choices, help_text=_("It cannot change later."))
    choices = forms.CharField(
        label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("For a choice field: one per line."),
    )
    applies_to = forms.ChoiceField(label=_("Applies to"), choices=CustomField.AppliesTo.choices, initial=CustomField.AppliesTo.ALL)
    required = forms.BooleanField(label=_("Required on new clients"), required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32767, initial=0)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["choices"] = _lines(data["choices"])
        return data


class CustomFieldEditForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100)
    choices = forms.CharField(
        label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line. Add new ones freely; a choice some client has cannot be removed."),
    )
    applies_to = forms.ChoiceField(label=_("Applies to"), choices=CustomField.AppliesTo.choices)
    required = forms.BooleanField(label=_("Required on new clients"), required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32767)

    def __init__(self, *args, field: CustomField, **kwargs):
        kwargs.setdefault("initial", {
            "label": field.label, "choices": "\n".join(field.choices), "applies_to": field.applies_to,
            "required": field.required, "position": field.position,
        })
        super().__init__(*args, **kwargs)
        if field.type != CustomField.Type.CHOICE:
            del self.fields["choices"]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if "choices" in data:
            data["choices"] = _lines(data["choices"])
        return data


# Inputs on client forms ------------------------------------------------------------------------

def custom_form_field(field: CustomField) -> forms.Field:
    """The form input for one definition; the service checks the value again."""
    common = {"label": field.label, "required": False}
    if field.type == CustomField.Type.NUMBER:
        return forms.DecimalField(**common)  # the service bounds it
    if field.type == CustomField.Type.DATE:
        return forms.DateField(widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), **common)
    if field.type == CustomField.Type.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in field.choices)], **common)
    if field.type == CustomField.Type.BOOLEAN:
        return forms.BooleanField(**common)
    return forms.CharField(max_length=1000, **common)


def custom_form_fields_add(form: forms.Form, definitions: list[CustomField]) -> None:
    """Add an input per definition (named "custom__<key>"). Required fields are marked, not enforced
    here: the service knows whether the field applies to the client's kind."""
    form.custom_definitions = list(definitions)
    for field in form.custom_definitions:
        input_ = custom_form_field(field)
        if field.required and field.type != CustomField.Type.BOOLEAN:
            input_.widget.attrs["data-required"] = "true"
            input_.label = f"{field.label} *"
        if field.applies_to != CustomField.AppliesTo.ALL:
            input_.help_text = _("Only for people.") if field.applies_to == CustomField.AppliesTo.PERSON else _("Only for companies.")
        form.fields[f"{FORM_PREFIX}{field.key}"] = input_


def custom_form_values(form: forms.Form, kind: str | None = None) -> dict:
    """{key: value} from a valid form's custom inputs, without the empty ones. A value typed into a
    field that does not apply to `kind` is passed on (the service says so); an untouched checkbox of
    such a field is not."""
    values = {}
    for field in getattr(form, "custom_definitions", []):
        value = form.cleaned_data.get(f"{FORM_PREFIX}{field.key}")
        if value is None or value == "":
            continue
        if value is False and kind and field.applies_to not in (CustomField.AppliesTo.ALL, kind):
            continue
        values[field.key] = value
    return values


def custom_error_field(name: str) -> str | None:
    """The form input a service error "custom.<key>" belongs to."""
    if name.startswith("custom."):
        return f"{FORM_PREFIX}{name.split('.', 1)[1]}"
    return None


def custom_form_initial(definitions: list[CustomField], custom: dict | None) -> dict:
    """{input name: value} for a card's stored custom values, in the types the inputs clean to (a
    Decimal, a date), so an untouched input compares equal to what is stored."""
    initial = {}
    for field in definitions:
        value = (custom or {}).get(field.key)
        if value is None:
            continue
        if field.type == CustomField.Type.NUMBER and not isinstance(value, bool):
            value = Decimal(str(value))  # str: 0.1 stored as a float is Decimal("0.1") typed back
        elif field.type == CustomField.Type.DATE and isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                pass
        initial[f"{FORM_PREFIX}{field.key}"] = value
    return initial


def custom_form_changes(form: forms.Form, current: dict | None) -> dict:
    """{key: value} of a valid form's custom inputs that differ from `current` (the card's values);
    a cleared input gives None, which removes the value. Untouched inputs are left out, so the
    service does not check them again."""
    definitions = getattr(form, "custom_definitions", [])
    before = custom_form_initial(definitions, current)
    changes = {}
    for field in definitions:
        name = f"{FORM_PREFIX}{field.key}"
        value = form.cleaned_data.get(name)
        value = None if value == "" else value
        old = before.get(name)
        if field.type == CustomField.Type.BOOLEAN and value is False and old is None:
            continue  # an unticked box of a card that never had this value
        if value != old:
            changes[field.key] = value
    return changes
