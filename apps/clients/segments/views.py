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
from django.views.decorators.http import require_POST

from accounts.permissions import is_manager
from apps.api.errors import DomainError
from apps.clients import selectors
from apps.clients.filters import filter_spec_with_segment
from apps.clients.models import Category, ClientSource
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
        spec, _segment = filter_spec_with_segment(request.user, params)
        if params.get("q", "").strip():
            spec["search"] = params["q"].strip()[:100]
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
