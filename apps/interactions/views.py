"""Appeal pages: the phone desk's register form, the log, one appeal with the manager's decision."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import is_manager
from apps.api.errors import DomainError
from apps.clients.custom_fields.forms import custom_error_field
from apps.clients.selectors import client_list_visible_to, client_search_top
from apps.clients.services import ClientDuplicate
from apps.interactions import selectors, services
from apps.interactions.forms import AppealForm, DecisionForm

PAGE = 50
NEW_CLIENT_FORM_FIELDS = {"surname": "new_surname", "first_name": "new_first_name", "phones": "new_phone", "emails": "new_email"}


@login_required
def interaction_list(request):
    appeals = selectors.interaction_list_visible_to(request.user)
    if request.GET.get("awaiting") == "1":
        appeals = appeals.filter(needs_decision=True, decided_at__isnull=True)
    return render(request, "interactions/list.html", {"appeals": appeals[:PAGE], "awaiting": request.GET.get("awaiting") == "1"})


@login_required
def client_options(request):
    """Search-as-you-type rows for the register form: up to ten clients the user may see."""
    query = request.GET.get("q", "")[:100]
    clients = client_search_top(client_list_visible_to(request.user), query, 10) if query.strip() else []
    return render(request, "interactions/client_options.html", {"clients": clients, "q": query})


@login_required
def interaction_register(request):
    visible = client_list_visible_to(request.user)
    form = AppealForm(request.POST or None, initial={"client": request.GET.get("client", "")})
    duplicates = []
    if request.method == "POST" and form.is_valid():
        client_id = form.cleaned_data["client"]
        client = visible.filter(pk=client_id).first() if client_id is not None else None
        if client_id is not None and client is None:
            form.add_error(None, _("Unknown client."))
        else:
            try:
                interaction = services.interaction_register(
                    actor=request.user, client=client, client_fields=form.client_fields(), **form.appeal_fields()
                )
            except ClientDuplicate as exc:
                duplicates = exc.extra["duplicates"]
                form.data = form.data.copy()
                form.data["allow_duplicate"] = "on"
            except DomainError as exc:
                form.add_error(None, exc.message)
                for name, errors in exc.fields.items():
                    field = custom_error_field(name) or NEW_CLIENT_FORM_FIELDS.get(name.split(".")[0], name.split(".")[0])
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Appeal registered."))
                return redirect("client-detail", pk=interaction.client_id)
    chosen_id = form["client"].value()
    chosen = visible.filter(pk=chosen_id).first() if str(chosen_id or "").isdigit() else None
    context = {"form": form, "chosen": chosen, "duplicates": duplicates}
    return render(request, "interactions/register.html", context, status=400 if form.errors else 200)


@login_required
def interaction_detail(request, pk: int):
    interaction = selectors.interaction_list_visible_to(request.user).filter(pk=pk).first()
    if interaction is None:
        raise Http404
    may_decide = is_manager(request.user)
    form = DecisionForm(request.POST or None, initial={"decision": interaction.decision}) if may_decide else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.interaction_decide(interaction=interaction, actor=request.user, decision=form.cleaned_data["decision"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("interaction-detail", pk=interaction.pk)
    return render(request, "interactions/detail.html", {"appeal": interaction, "form": form})
