"""The client list's filter panel and saved segments: choices for the panel, save and delete."""
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import is_manager
from apps.api.errors import DomainError
from apps.clients import selectors
from apps.clients.filters import filter_spec_of_list
from apps.clients.models import Category, ClientSource, CustomField
from apps.clients.segments import services

FILTER_KEYS = ("kind", "tags", "category", "owner", "source", "birthday_month", "won_amount_gte", "no_contact_days", "consent_email", "consent_sms")


def list_filter_choices(user) -> dict:
    """Options for the filter panel, a query each."""
    from accounts.models import User

    choices = {
        "segments": list(selectors.segment_list_visible_to(user)),
        "categories": list(Category.objects.all()),
        "sources": list(ClientSource.objects.filter(is_active=True)),
        "months": sorted(MONTHS.items()),
        "custom_fields": list(CustomField.objects.filter(is_active=True)),
    }
    if is_manager(user):
        choices["owners"] = list(User.objects.filter(is_active=True).order_by("full_name", "email"))
    return choices


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=100)
    is_shared = forms.BooleanField(required=False)
    query = forms.CharField(max_length=2000, required=False)


@login_required
@require_POST
def segment_save(request):
    """Save the list's current filters (the query string it was showing) as a segment."""
    form = SegmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the segment."))
        return redirect(f"{reverse('client-list')}?{form.data.get('query', '')}")
    params = QueryDict(form.cleaned_data["query"])
    try:
        spec, _segment = filter_spec_of_list(request.user, params)
        segment = services.segment_create(actor=request.user, name=form.cleaned_data["name"], filters=spec, is_shared=form.cleaned_data["is_shared"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('client-list')}?{form.cleaned_data['query']}")
    messages.success(request, _("Segment saved."))
    return redirect(f"{reverse('client-list')}?{urlencode({'segment': segment.pk})}")


@login_required
@require_POST
def segment_delete(request, pk: int):
    segment = selectors.segment_list_visible_to(request.user).filter(pk=pk).first()
    if segment is None:
        raise Http404
    try:
        services.segment_delete(segment=segment, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("client-list")


class CategoryForm(forms.Form):
    """A category and, optionally, its rule in the terms people use; the rule is a filter spec."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300, required=False)
    won_amount_gte = forms.DecimalField(label=gettext_lazy("Won deals sum at least"), max_digits=16, decimal_places=2, required=False, min_value=0)
    deals_won_gte = forms.IntegerField(label=gettext_lazy("Won deals at least"), min_value=1, max_value=100000, required=False)
    tags = forms.CharField(label=gettext_lazy("Has a tag"), max_length=50, required=False)
    no_contact_days = forms.IntegerField(label=gettext_lazy("No contact for, days"), min_value=1, max_value=36500, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("Any")), ("person", pgettext_lazy("client kind", "People")), ("company", gettext_lazy("Companies"))])

    RULE_FIELDS = ("won_amount_gte", "deals_won_gte", "tags", "no_contact_days", "kind")

    def rule(self) -> dict:
        rule = {}
        for name in self.RULE_FIELDS:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            rule[name] = [value.strip()] if name == "tags" else str(value) if name == "won_amount_gte" else value
        return rule

    @classmethod
    def initial_for(cls, category) -> dict:
        initial = {"name": category.name, "description": category.description}
        for name in cls.RULE_FIELDS:
            value = category.rule.get(name)
            if value is not None:
                initial[name] = value[0] if name == "tags" else value
        return initial


def _manager_only(request):
    if not is_manager(request.user):
        raise Http404


def _category_form_errors(form: CategoryForm, exc: DomainError) -> None:
    form.add_error(None, exc.message)
    for name, errors in exc.fields.items():
        field = name.split(".")[-1]
        form.add_error(field if field in form.fields else None, errors)


@login_required
def category_list(request):
    """Managers: the company's categories, which ones follow a rule, and how many clients are in each."""
    from django.db.models import Count
    from django.shortcuts import render

    _manager_only(request)
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_create(actor=request.user, name=form.cleaned_data["name"], description=form.cleaned_data["description"], rule=form.rule())
        except DomainError as exc:
            _category_form_errors(form, exc)
        else:
            messages.success(request, _("Category created; its rule is being applied."))
            return redirect("client-categories")
    categories = Category.objects.annotate(members=Count("client_links"))
    return render(request, "clients/categories.html", {"form": form, "categories": categories})


@login_required
def category_edit(request, pk: int):
    from django.shortcuts import get_object_or_404, render

    _manager_only(request)
    category = get_object_or_404(Category, pk=pk)
    form = CategoryForm(request.POST or None, initial=CategoryForm.initial_for(category))
    if request.method == "POST" and form.is_valid():
        try:
            services.category_update(
                category=category, actor=request.user, name=form.cleaned_data["name"],
                description=form.cleaned_data["description"], rule=form.rule(),
            )
        except DomainError as exc:
            _category_form_errors(form, exc)
        else:
            return redirect("client-categories")
    return render(request, "clients/category_edit.html", {"form": form, "category": category})


@login_required
@require_POST
def category_recalculate(request, pk: int):
    from django.shortcuts import get_object_or_404

    _manager_only(request)
    category = get_object_or_404(Category, pk=pk)
    result = services.category_recalculate_now(category=category, actor=request.user)
    messages.success(request, _("%(added)s clients joined, %(removed)s left.") % result)
    return redirect("client-categories")


@login_required
@require_POST
def category_delete(request, pk: int):
    from django.shortcuts import get_object_or_404

    _manager_only(request)
    services.category_delete(category=get_object_or_404(Category, pk=pk), actor=request.user)
    return redirect("client-categories")
