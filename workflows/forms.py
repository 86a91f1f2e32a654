from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from workflows.blueprints import blueprint_choices
from workflows.models import PipelineVersion, Stage


class StageAddForm(forms.Form):
    name = forms.CharField(label=_("Stage name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Stage.Kind.choices, initial=Stage.Kind.OPEN)


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Stage.Kind.choices)
    responsible_role = forms.ChoiceField(label=_("Responsible role"), required=False)
    assignment = forms.ChoiceField(label=_("Assignment"), choices=Stage.Assignment.choices)
    sla_hours = forms.DecimalField(label=_("SLA, hours"), required=False, min_value=0, max_digits=7, decimal_places=2)
    business_time = forms.BooleanField(label=_("Count working hours only"), required=False, initial=True)
    warn_percent = forms.IntegerField(label=_("Warn at, percent of the SLA"), min_value=1, max_value=100, initial=80)
    required_fields = forms.CharField(
        label=_("Required fields"), required=False, max_length=500,
        help_text=_("Comma-separated: amount, client_phone, expected_close_date, data.contract_number ..."),
    )
    skippable = forms.BooleanField(label=_("May be skipped"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_role"].choices = [("", "—")] + [(r.code, r.name) for r in Role.objects.all()]

    @classmethod
    def from_stage(cls, stage: dict, prefix: str) -> "StageForm":
        sla = stage.get("sla") or {}
        return cls(
            prefix=prefix,
            initial={
                "name": stage["name"],
                "kind": stage["kind"],
                "responsible_role": stage.get("responsible_role") or "",
                "assignment": stage["assignment"],
                "sla_hours": round(sla["minutes"] / 60, 2) if sla.get("minutes") else None,
                "business_time": sla.get("business_time", True),
                "warn_percent": sla.get("warn_percent", 80),
                "required_fields": ", ".join(stage.get("required_fields", [])),
                "skippable": stage.get("skippable", True),
            },
        )

    def document_values(self) -> dict:
        data = self.cleaned_data
        hours = data.get("sla_hours")
        return {
            "name": data["name"],
            "kind": data["kind"],
            "responsible_role": data["responsible_role"] or None,
            "assignment": data["assignment"],
            "sla": {"minutes": int(hours * 60), "business_time": data["business_time"], "warn_percent": data["warn_percent"]} if hours else None,
            "required_fields": [name.strip() for name in data["required_fields"].split(",") if name.strip()],
            "skippable": data["skippable"],
        }


class SettingsForm(forms.Form):
    name = forms.CharField(label=_("Pipeline name"), max_length=100)
    transition_mode = forms.ChoiceField(label=_("Moves"), choices=PipelineVersion.TransitionMode.choices)


class InstallForm(forms.Form):
    template = forms.ChoiceField(choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = blueprint_choices()
