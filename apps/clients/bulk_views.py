"""The client list's bulk bar: apply an action to the ticked clients, then back to the list."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from apps.api.errors import DomainError
from apps.clients.bulk import VALUE_FIELDS, client_bulk_apply
from apps.clients.exports.views import error_lines


def _back(request) -> str:
    """Where the bar was posted from (the list with its search), if it is a page of this site's client list."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if safe and target.startswith("/clients/"):
        return target
    return reverse("client-list")


@require_POST
@login_required
def bulk_apply(request):
    action = request.POST.get("action", "")
    raw_ids = request.POST.getlist("client_ids")
    ids = [int(value) for value in raw_ids if value.isdigit()]
    if not ids or len(ids) != len(raw_ids):
        messages.error(request, _("Tick the clients to change first."))
        return redirect(_back(request))
    value = request.POST.get(VALUE_FIELDS.get(action, ""), "") or None
    try:
        result = client_bulk_apply(actor=request.user, action=action, client_ids=ids, value=value)
    except DomainError as exc:
        for line in error_lines(exc):
            messages.error(request, line)
        return redirect(_back(request))
    if "export" in result:
        return redirect("client-export-progress", pk=result["export"].pk)
    messages.success(request, ngettext(
        "%(changed)d of %(matched)d selected client changed.", "%(changed)d of %(matched)d selected clients changed.", result["matched"]
    ) % result)
    return redirect(_back(request))
