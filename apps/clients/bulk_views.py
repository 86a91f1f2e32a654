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
from apps.api.errors import error_lines


def _back(request) -> str:
    """Where the bar was posted from (the list with its search), if it is a page of this site's client list."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if safe and (target.startswith("/clients/") or target.startswith("/companies/")):
        return target
    return reverse("client-list")


def _list_spec(request, back: str) -> dict:
    """The filter spec of the list page the bar was posted from (its query string, segment and search)."""
    from urllib.parse import urlsplit

    from django.http import QueryDict

    from apps.clients.filters import filter_spec_of_list

    parts = urlsplit(back)
    spec, _segment = filter_spec_of_list(request.user, QueryDict(parts.query))
    if parts.path.startswith("/companies/"):
        spec["kind"] = "company"
    return spec


@require_POST
@login_required
def bulk_apply(request):
    action = request.POST.get("action", "")
    value = request.POST.get(VALUE_FIELDS.get(action, ""), "") or None
    selection: dict
    try:
        if request.POST.get("all_matching"):
            # Every client the list's search and filters match, not only the page's ticked rows.
            selection = {"filters": _list_spec(request, _back(request))}
        else:
            raw_ids = request.POST.getlist("client_ids")
            ids = [int(v) for v in raw_ids if v.isascii() and v.isdigit() and len(v) <= 18]
            if not ids or len(ids) != len(raw_ids):
                messages.error(request, _("Tick the clients to change first."))
                return redirect(_back(request))
            selection = {"client_ids": ids}
        result = client_bulk_apply(actor=request.user, action=action, value=value, **selection)
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
