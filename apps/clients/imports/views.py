"""The import wizard: upload -> columns -> check (dry run) -> start -> progress and summary."""
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.permissions import is_manager
from apps.api.errors import DomainError, error_details
from apps.clients.imports import services
from apps.clients.custom_fields.selectors import custom_field_list
from apps.clients.imports.mapping import import_fields
from apps.clients.imports.models import ClientImport

EDITABLE = set(services.EDITABLE)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"), help_text=_("The first row names the columns; at most 20 MB."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))
    duplicate_mode = forms.ChoiceField(label=_("When a client with this phone or e-mail exists"), choices=ClientImport.DuplicateMode.choices)


def _manager_only(view):
    def wrapped(request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


@_manager_only
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.client_import_upload(actor=request.user, uploaded_file=form.cleaned_data["file"], duplicate_mode=form.cleaned_data["duplicate_mode"])
        except DomainError as exc:
            for message in (error_details(exc) or [exc.message]):
                form.add_error("file", message)
        else:
            return redirect("client-import-mapping", pk=job.pk)
    recent = ClientImport.objects.select_related("created_by")[:10]
    return render(request, "clients/import_upload.html", {"form": form, "recent": recent})


@_manager_only
def import_mapping(request, pk: int):
    job = get_object_or_404(ClientImport, pk=pk)
    if job.status not in EDITABLE:
        return redirect("client-import-progress", pk=job.pk)
    # A background check that failed left its reason on the job.
    errors: list[str] = [job.dry_run["failed"]] if job.dry_run.get("failed") else []
    mapping = job.mapping
    duplicate_mode = job.duplicate_mode
    if request.method == "POST":
        mapping = {str(i): request.POST.get(f"column_{i}", "") for i in range(len(job.header))}
        duplicate_mode = request.POST.get("duplicate_mode", job.duplicate_mode)
        try:
            job = services.client_import_set_mapping(job=job, actor=request.user, mapping=mapping, duplicate_mode=duplicate_mode)
            if request.POST.get("action") == "start":
                services.client_import_start(job=job, actor=request.user)
                return redirect("client-import-progress", pk=job.pk)
            services.client_import_check(job=job, actor=request.user)
            return redirect("client-import-check", pk=job.pk)
        except DomainError as exc:
            errors = (error_details(exc) or [exc.message])
    preview = services.client_import_preview(job=job, rows=3)
    columns = [
        {"index": i, "header": header, "samples": [row[i] for row in preview if i < len(row) and row[i]], "field": mapping.get(str(i), "")}
        for i, header in enumerate(job.header)
    ]
    context = {"job": job, "columns": columns, "fields": import_fields(custom_field_list(active_only=True)), "errors": errors, "duplicate_mode": duplicate_mode,
               "duplicate_modes": ClientImport.DuplicateMode.choices, "earlier": _earlier_imports(job)}
    return render(request, "clients/import_mapping.html", context)


@_manager_only
def import_check(request, pk: int):
    """The dry run's report: what the import would do and every row it would reject. While a big
    file is checked in the background, its progress (htmx polls the panel every second)."""
    job = get_object_or_404(ClientImport, pk=pk)
    elsewhere = None
    if job.status not in EDITABLE:
        elsewhere = reverse("client-import-progress", args=[job.pk])
    elif job.status not in {ClientImport.Status.CHECKING, ClientImport.Status.DRY_RUN_DONE}:
        elsewhere = reverse("client-import-mapping", args=[job.pk])
    if elsewhere:
        # A polling panel is replaced by the whole page it now belongs on.
        return HttpResponseClientRedirect(elsewhere) if request.htmx else redirect(elsewhere)
    report = job.dry_run if job.status == ClientImport.Status.DRY_RUN_DONE else {}
    context = {"job": job, "report": report, "rejected": _error_rows(report.get("errors", []))}
    template = "clients/import_check_panel.html" if request.htmx else "clients/import_check.html"
    return render(request, template, context)


@require_POST
@_manager_only
def import_start(request, pk: int):
    job = get_object_or_404(ClientImport, pk=pk)
    try:
        services.client_import_start(job=job, actor=request.user)
    except DomainError:
        pass  # already started: the progress page tells the state
    return redirect("client-import-progress", pk=job.pk)


@_manager_only
def import_progress(request, pk: int):
    """The progress bar (htmx polls the panel every second until the import ends), then the summary."""
    job = get_object_or_404(ClientImport.objects.select_related("created_by"), pk=pk)
    if job.status == ClientImport.Status.CHECKING:
        return redirect("client-import-check", pk=job.pk)
    if job.status in EDITABLE:
        return redirect("client-import-mapping", pk=job.pk)
    template = "clients/import_progress_panel.html" if request.htmx else "clients/import_progress.html"
    return render(request, template, {"job": job, "rejected": _error_rows(job.errors) if job.is_finished else []})


def _error_rows(errors: list[dict]) -> list[dict]:
    """[{"row": 5, "problems": [("Phones", "12 is not a phone number.")]}] for the tables of rejected rows."""
    labels = {**import_fields(custom_field_list(active_only=True)), "non_field_errors": "", "file": _("File")}
    return [
        {"row": item["row"], "problems": [(labels.get(name, name), message) for name, messages in item["errors"].items() for message in messages]}
        for item in errors
    ]


def _earlier_imports(job: ClientImport):
    return ClientImport.objects.filter(file_sha256=job.file_sha256, pk__lt=job.pk).exclude(status__in=EDITABLE).order_by("-pk")[:3]
