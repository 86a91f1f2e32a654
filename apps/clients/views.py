"""Client pages: the list with search-as-you-type, the card, the new-client and edit forms."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.permissions import is_admin, is_manager
from apps.api.errors import DomainError
from apps.clients import selectors, services
from apps.clients.attachments.selectors import attachment_list_for_card
from apps.clients.custom_fields.forms import custom_error_field
from apps.clients.custom_fields.selectors import custom_field_list, custom_values_shown
from apps.clients.filters import FilterInvalid, client_filter, filter_spec_of_list
from apps.clients.forms import ClientEditForm, ClientForm
from apps.clients.segments.views import list_filter_choices
from apps.clients.models import Client, FamilyMember
from apps.clients.services import ClientDuplicate
from apps.clients.timeline import client_timeline, client_totals
from django.utils.translation import gettext as _

PAGE = 50


@login_required
def client_list(request, kind: str | None = None):
    """The list: search box, filters (the same spec as the API's), saved segments; `kind` fixes
    the list to people or companies (the Companies page)."""
    query = request.GET.get("q", "")[:100]
    visible = selectors.client_list_visible_to(request.user)
    filter_error, segment = None, None
    try:
        spec, segment = filter_spec_of_list(request.user, request.GET)
    except FilterInvalid as exc:
        spec, filter_error = {}, exc
    query = spec.pop("search", query)
    if kind:
        spec["kind"] = kind
    clients = selectors.client_search_top(client_filter(visible, spec), query, PAGE)
    template = "clients/list_rows.html" if request.htmx else "clients/list.html"
    context = {"clients": clients, "q": query, "spec": spec, "segment": segment, "filter_error": filter_error, "fixed_kind": kind}
    if not request.htmx:
        context.update(list_filter_choices(request.user))
    return render(request, template, context)


@login_required
def company_list(request):
    return client_list(request, kind=Client.Kind.COMPANY)


@login_required
def client_detail(request, pk: int):
    client = selectors.client_visible_or_404(request.user, pk)
    services.client_view_record(client=client, actor=request.user)
    deals = client.deals.select_related("stage").order_by("-created_at")[:50]
    context = {"client": client, "deals": deals, "timeline": client_timeline(client=client), "totals": client_totals(client)}
    context["attachments"] = attachment_list_for_card(client=client, user=request.user)  # one query
    context.update(selectors.client_card_relations(client, request.user))
    context["relations"] = FamilyMember.Relation.choices
    if is_admin(request.user):
        context["viewers"] = selectors.client_recent_viewers(client)
    if client.custom:
        context["custom_values"] = custom_values_shown(client.custom, list(custom_field_list(active_only=True)))
    return render(request, "clients/detail.html", context)


@login_required
def client_create(request):
    form = ClientForm(request.POST or None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(actor=request.user, allow_duplicate=form.cleaned_data["allow_duplicate"], **form.service_fields())
        except ClientDuplicate as exc:
            duplicates = exc.extra["duplicates"]
            form.data = form.data.copy()
            form.data["allow_duplicate"] = "on"
        except DomainError as exc:
            _service_errors_add(form, exc)
        else:
            return redirect("client-detail", pk=client.pk)
    return render(request, "clients/create.html", {"form": form, "duplicates": duplicates})


def _service_errors_add(form, exc: DomainError) -> None:
    """A service's refusal on the form: each named field's errors on its input ("phones.1" on
    phones, "custom.<key>" on custom__<key>), the message and the rest above the form."""
    form.add_error(None, exc.message)
    for name, errors in exc.fields.items():
        target = custom_error_field(name) or name.split(".")[0]
        form.add_error(target if target in form.fields else None, errors)


@login_required
def client_edit(request, pk: int):
    """The card's edit form: anyone who can see the card edits it (as PATCH /api/v1/clients/{id}/
    allows); only managers get the owner select. Only the changed fields go to the service."""
    client = selectors.client_visible_or_404(request.user, pk)
    form = ClientEditForm(request.POST or None, client=client, may_change_owner=is_manager(request.user))
    duplicates = []
    if request.method == "GET":
        services.client_view_record(client=client, actor=request.user)  # the form shows the whole card
    elif form.is_valid():
        try:
            services.client_update(
                client=client, actor=request.user, allow_duplicate=form.cleaned_data["allow_duplicate"],
                expected_updated_at=form.cleaned_data.get("opened_version"), **form.changed_service_fields()
            )
        except ClientDuplicate as exc:
            duplicates = exc.extra["duplicates"]
            form.data = form.data.copy()
            form.data["allow_duplicate"] = "on"
        except DomainError as exc:
            _service_errors_add(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("client-detail", pk=client.pk)
    return render(request, "clients/edit.html", {"form": form, "client": client, "duplicates": duplicates})
