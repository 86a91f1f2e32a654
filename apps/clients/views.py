"""Client pages: the list with search-as-you-type, the card, the new-client form."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.permissions import is_admin
from apps.api.errors import DomainError
from apps.clients import selectors, services
from apps.clients.forms import ClientForm
from apps.clients.services import ClientDuplicate
from apps.clients.timeline import client_timeline, client_totals
from django.http import Http404

PAGE = 50


@login_required
def client_list(request):
    query = request.GET.get("q", "")[:100]
    clients = selectors.client_search_top(selectors.client_list_visible_to(request.user), query, PAGE)
    template = "clients/list_rows.html" if request.htmx else "clients/list.html"
    return render(request, template, {"clients": clients, "q": query})


@login_required
def client_detail(request, pk: int):
    client = selectors.client_list_visible_to(request.user).filter(pk=pk).first()
    if client is None:
        raise Http404
    services.client_view_record(client=client, actor=request.user)
    deals = client.deals.select_related("stage").order_by("-created_at")[:50]
    context = {"client": client, "deals": deals, "timeline": client_timeline(client=client), "totals": client_totals(client)}
    if is_admin(request.user):
        context["viewers"] = selectors.client_recent_viewers(client)
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
            form.add_error(None, exc.message)
            for name, errors in exc.fields.items():
                form.add_error(name.split(".")[0] if name.split(".")[0] in form.fields else None, errors)
        else:
            return redirect("client-detail", pk=client.pk)
    return render(request, "clients/create.html", {"form": form, "duplicates": duplicates})
