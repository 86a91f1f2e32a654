"""Export pages: start an export of the client list's current filters, follow it, download it."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.api.errors import DomainError, NotFound, error_lines
from apps.clients.exports import services
from apps.clients.filters import ClientFilterSerializer, filter_spec_of_list

# The list's search box is `q`; the other names are the filter spec's own (apps.clients.filters).
_LIST_PARAMS = {"q", "segment", *ClientFilterSerializer().fields}


def _list_params(request) -> QueryDict:
    """The client list's filters: the filter form htmx sent along (hx-include), or else the
    query string the page was opened with (the form posted without JavaScript)."""
    if any(name in _LIST_PARAMS or name.startswith("custom.") for name in request.POST):
        return request.POST
    return request.GET


def _back_to_list(params: QueryDict):
    query = params.copy()
    for name in ("csrfmiddlewaretoken", "format"):
        query.pop(name, None)
    return reverse("client-list") + (f"?{query.urlencode()}" if query else "")


@require_POST
@login_required
def export_start(request):
    """The list's Export button: the current filters, in the chosen format, then the progress page."""
    if not services.can_export_clients(request.user):
        raise PermissionDenied
    params = _list_params(request)
    try:
        spec, segment = filter_spec_of_list(request.user, params)
        export = services.client_export_start(actor=request.user, format=request.POST.get("format", "xlsx"), filters=spec, segment=segment)
    except DomainError as exc:
        for line in error_lines(exc):
            messages.error(request, line)
        url = _back_to_list(params)
    else:
        url = reverse("client-export-progress", kwargs={"pk": export.pk})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
def export_progress(request, pk: int):
    """Queued / running (htmx polls the panel every second), then the download link."""
    export = get_object_or_404(services.client_export_list_visible_to(request.user), pk=pk)
    template = "clients/export_progress_panel.html" if request.htmx else "clients/export_progress.html"
    context = {"export": export, "finished": export.status in {export.Status.DONE, export.Status.FAILED},
               "may_download": services.can_export_clients(request.user)}
    return render(request, template, context)


@login_required
def export_download(request, pk: int):
    export = get_object_or_404(services.client_export_list_visible_to(request.user), pk=pk)
    try:
        handle = services.client_export_file_open(export=export, actor=request.user)
    except services.ExportNotAllowed:
        raise PermissionDenied from None
    except NotFound:
        raise Http404 from None
    return export_file_response(export, handle)


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_file_response(export, handle) -> FileResponse:
    """The file as an attachment that no browser renders and no cache keeps (it is personal data)."""
    response = FileResponse(handle, as_attachment=True, filename=services.client_export_filename(export),
                            content_type=CONTENT_TYPES[export.format])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
