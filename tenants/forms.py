from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.timezones import time_zone_choices
from tenants.validators import SLUG_MAX_LENGTH
from workflows.blueprints import blueprint_choices


class SignupForm(forms.Form):
    company = forms.CharField(label=_("Company name"), max_length=200)
    slug = forms.CharField(
        label=_("Your address"),
        max_length=SLUG_MAX_LENGTH,
        help_text=_("Lowercase letters, digits and hyphens."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    full_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Work e-mail"), max_length=254)
    password = forms.CharField(label=_("Password"), max_length=256, strip=False, widget=forms.PasswordInput(render_value=False))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="en")
    time_zone = forms.ChoiceField(label=_("Time zone"), initial="UTC")
    template = forms.ChoiceField(label=_("Start with a pipeline for"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
        self.fields["template"].choices = [("", _("Nothing yet, I will set it up"))] + blueprint_choices()
