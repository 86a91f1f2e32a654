"""Admin pages for pipelines: templates, the editor of the draft, publishing."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.views import admin_required
from apps.api.errors import DomainError
from workflows import blueprints, documents
from workflows.forms import InstallForm, SettingsForm, StageAddForm, StageForm
from workflows.models import Pipeline
from workflows.selectors import version_draft, version_published_latest
from workflows.services import definitions


def _flash(request, exc: DomainError) -> None:
    details = "; ".join(f"{name}: {' '.join(str(getattr(e, 'message', e)) for e in errs)}" for name, errs in exc.fields.items())
    messages.error(request, f"{exc.message} {details}".strip())


@admin_required
def pipelines(request):
    items = [(p, version_published_latest(p), version_draft(p)) for p in Pipeline.objects.filter(archived_at__isnull=True)]
    return render(request, "workflows/pipelines.html", {"items": items, "templates": blueprints.blueprint_choices()})


@admin_required
@require_POST
def pipeline_install(request):
    form = InstallForm(request.POST)
    if form.is_valid():
        pipeline = definitions.pipeline_install_blueprint(code=form.cleaned_data["template"], actor=request.user)
        messages.success(request, _("“%s” is installed and ready for deals.") % pipeline.name)
        return redirect("board-pipeline", pipeline_id=pipeline.pk)
    messages.error(request, _("Choose a template."))
    return redirect("pipelines")


@admin_required
@require_POST
def pipeline_new(request):
    name = (request.POST.get("name") or "").strip()[:100] or _("New pipeline")
    document = {"name": name, "stages": [{"key": "new", "name": _("New")}, {"key": "won", "name": _("Won"), "kind": "won"},
                                         {"key": "lost", "name": _("Lost"), "kind": "lost"}]}
    pipeline = definitions.pipeline_create(document=document, actor=request.user)
    return redirect("pipeline-edit", pk=pipeline.pk)


@admin_required
def pipeline_edit(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk, archived_at__isnull=True)
    draft = definitions.pipeline_export(pipeline, draft=True)
    stage_forms = [(stage, StageForm.from_stage(stage, prefix=stage["key"])) for stage in draft["stages"]]
    context = {
        "pipeline": pipeline,
        "draft": draft,
        "stage_forms": stage_forms,
        "add_form": StageAddForm(),
        "settings_form": SettingsForm(initial={"name": draft["name"], "transition_mode": draft["transition_mode"]}),
        "published": version_published_latest(pipeline),
        "pending_changes": documents.document_diff(
            definitions.pipeline_export(pipeline) if version_published_latest(pipeline) else None, draft
        ),
    }
    return render(request, "workflows/editor.html", context)


def _edit(request, pk, action):
    pipeline = get_object_or_404(Pipeline, pk=pk, archived_at__isnull=True)
    try:
        action(pipeline)
    except DomainError as exc:
        _flash(request, exc)
    return redirect("pipeline-edit", pk=pk)


@admin_required
@require_POST
def stage_add(request, pk):
    form = StageAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the stage."))
        return redirect("pipeline-edit", pk=pk)
    return _edit(request, pk, lambda p: definitions.draft_stage_add(pipeline=p, actor=request.user, **form.cleaned_data))


@admin_required
@require_POST
def stage_update(request, pk, key):
    form = StageForm(request.POST, prefix=key)
    if not form.is_valid():
        messages.error(request, _("Check the stage's fields: %s") % ", ".join(form.errors))
        return redirect("pipeline-edit", pk=pk)
    return _edit(request, pk, lambda p: definitions.draft_stage_update(pipeline=p, actor=request.user, key=key, values=form.document_values()))


@admin_required
@require_POST
def stage_shift(request, pk, key):
    offset = -1 if request.POST.get("direction") == "up" else 1
    return _edit(request, pk, lambda p: definitions.draft_stage_shift(pipeline=p, actor=request.user, key=key, offset=offset))


@admin_required
@require_POST
def stage_remove(request, pk, key):
    return _edit(request, pk, lambda p: definitions.draft_stage_remove(pipeline=p, actor=request.user, key=key))


@admin_required
@require_POST
def pipeline_settings(request, pk):
    form = SettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the name and the moves."))
        return redirect("pipeline-edit", pk=pk)
    return _edit(request, pk, lambda p: definitions.draft_settings(pipeline=p, actor=request.user, **form.cleaned_data))


@admin_required
@require_POST
def pipeline_publish(request, pk):
    def publish(pipeline):
        version = definitions.pipeline_publish(pipeline=pipeline, actor=request.user)
        messages.success(request, _("Version %d is published. New deals follow it; deals in progress keep theirs.") % version.number)

    return _edit(request, pk, publish)
