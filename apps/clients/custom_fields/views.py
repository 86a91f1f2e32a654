"""Settings pages for custom fields (admins and owners; others get a 404 like every settings page)."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.views import admin_required
from apps.api.errors import DomainError
from apps.clients.custom_fields import selectors, services
from apps.clients.custom_fields.forms import CustomFieldCreateForm, CustomFieldEditForm
from apps.clients.models import CustomField


def _form_errors(form, exc: DomainError) -> None:
    """A service error on the form: "choices.2" belongs to the choices input."""
    for name, errors in exc.fields.items():
        field = str(name).split(".")[0]
        for error in errors if isinstance(errors, (list, tuple)) else [errors]:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


@admin_required
def custom_field_settings(request):
    """The list of fields and the form to add one."""
    form = CustomFieldCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            field = services.custom_field_create(actor=request.user, **form.service_fields())
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Field “%(label)s” added.") % {"label": field.label})
            return redirect("custom-fields")
    context = {"fields": selectors.custom_field_list(), "form": form}
    return render(request, "clients/custom_fields/settings.html", context, status=400 if form.errors else 200)


@admin_required
def custom_field_edit(request, pk: int):
    field = get_object_or_404(CustomField, pk=pk)
    form = CustomFieldEditForm(request.POST or None, field=field)
    if request.method == "POST" and form.is_valid():
        try:
            services.custom_field_update(field=field, actor=request.user, **form.service_fields())
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("custom-fields")
    return render(request, "clients/custom_fields/edit.html", {"form": form, "field": field}, status=400 if form.errors else 200)


@admin_required
@require_POST
def custom_field_deactivate(request, pk: int):
    field = get_object_or_404(CustomField, pk=pk)
    services.custom_field_deactivate(field=field, actor=request.user)
    messages.success(request, _("“%(label)s” is hidden; the values clients have are kept.") % {"label": field.label})
    return redirect("custom-fields")


@admin_required
@require_POST
def custom_field_activate(request, pk: int):
    field = get_object_or_404(CustomField, pk=pk)
    services.custom_field_update(field=field, actor=request.user, is_active=True)
    messages.success(request, _("“%(label)s” is in use again.") % {"label": field.label})
    return redirect("custom-fields")
