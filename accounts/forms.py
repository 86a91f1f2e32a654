from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Role, User
from accounts.selectors import role_list
from accounts.timezones import time_zone_choices


class LoginForm(forms.Form):
    email = forms.CharField(label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))
    password = forms.CharField(label=_("Password"), max_length=256, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"), queryset=Role.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, to_field_name="code"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].queryset = role_list()


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=200)
    password = forms.CharField(label=_("Choose a password"), max_length=256, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Role name"), max_length=100)
    code = forms.SlugField(label=_("Code"), max_length=50, help_text=_("Short Latin name used in pipelines and the API, e.g. measurer."))
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class UserEditForm(forms.Form):
    full_name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    manager = forms.ModelChoiceField(label=_("Manager"), queryset=User.objects.none(), required=False)
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"), queryset=Role.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, to_field_name="code"
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = User.objects.filter(is_active=True).exclude(pk=user.pk)
        self.fields["roles"].queryset = role_list()


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("Company default"))] + list(settings.LANGUAGES), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", _("Company default")), *time_zone_choices()]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, initial="API token")


class SetPasswordForm(auth_forms.SetPasswordForm):
    """Sets the password through the audited service."""

    def save(self, commit=True):
        return services.password_set(user=self.user, password=self.cleaned_data["new_password1"], actor=self.user, reason="reset")
