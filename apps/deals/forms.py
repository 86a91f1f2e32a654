from django import forms
from django.utils.translation import gettext_lazy as _

from apps.deals.models import Deal
from workflows.models import Pipeline

FIELD_LABELS = {
    "title": _("Title"),
    "client_name": _("Client"),
    "client_phone": _("Client's phone"),
    "client_email": _("Client's e-mail"),
    "amount": _("Amount"),
    "currency": _("Currency"),
    "expected_close_date": _("Expected close date"),
    "close_reason": _("Won or lost reason"),
}


class DealForm(forms.ModelForm):
    class Meta:
        model = Deal
        fields = ["title", "client_name", "client_phone", "client_email", "amount", "currency", "expected_close_date"]
        widgets = {"expected_close_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})}


class DealCreateForm(DealForm):
    pipeline = forms.ModelChoiceField(queryset=Pipeline.objects.none(), label=_("Pipeline"))

    class Meta(DealForm.Meta):
        fields = ["pipeline", *DealForm.Meta.fields]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = Pipeline.objects.filter(kind="deal", archived_at__isnull=True, versions__status="published").distinct()


def required_fields_form(names: list[str], data=None) -> forms.Form:
    """A form asking for exactly the fields a stage requires (the board's "fill in to move" dialog)."""
    form = forms.Form(data)
    for name in names:
        label = FIELD_LABELS.get(name) or name.removeprefix("data.").replace("_", " ").capitalize()
        if name == "amount":
            field = forms.DecimalField(label=label, max_digits=14, decimal_places=2, min_value=0)
        elif name.endswith("date") or name == "expected_close_date":
            field = forms.DateField(label=label, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
        elif name == "client_email":
            field = forms.EmailField(label=label)
        else:
            field = forms.CharField(label=label, max_length=300)
        form.fields[name] = field
    return form
