"""Deal pages: the kanban board, the table, the deal card, the new-deal form."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from apps.api.errors import DomainError
from apps.deals import selectors, services
from apps.deals.forms import DealCreateForm, DealForm, required_fields_form
from apps.deals.models import Deal
from workflows.models import Pipeline, Stage
from workflows.selectors import pipelines_active, version_published_latest
from workflows.services.engine import RequiredFieldsMissing

CLOSED_SHOWN_DAYS = 30


def _board_context(request, pipeline: Pipeline) -> dict:
    version = version_published_latest(pipeline)
    if version is None:
        raise Http404
    stages = list(version.stages.select_related("responsible_role"))
    recent = timezone.now() - timedelta(days=CLOSED_SHOWN_DAYS)
    deals = (
        selectors.deal_list_visible_to(request.user)
        .filter(pipeline=pipeline)
        .filter(Q(outcome=Deal.Outcome.OPEN) | Q(closed_at__gte=recent))
        .order_by("current_visit__due_at", "pk")
    )
    columns = {stage.key: {"stage": stage, "deals": []} for stage in stages}
    now = timezone.now()
    for deal in deals:
        column = columns.get(deal.stage.key)
        if column is None:  # a stage the newest version no longer has
            continue
        visit = deal.current_visit
        deal.is_overdue = bool(deal.outcome == "open" and visit and visit.due_at and visit.due_at < now)
        deal.is_at_risk = bool(not deal.is_overdue and deal.outcome == "open" and visit and visit.warn_at and visit.warn_at <= now)
        column["deals"].append(deal)
    return {"pipeline": pipeline, "version": version, "columns": list(columns.values()), "pipelines": pipelines_active("deal")}


@login_required
def board(request, pipeline_id=None):
    pipelines = pipelines_active("deal")
    pipeline = get_object_or_404(pipelines, pk=pipeline_id) if pipeline_id else pipelines.filter(versions__status="published").first()
    if pipeline is None:
        return render(request, "deals/empty.html")
    return render(request, "deals/board.html", _board_context(request, pipeline))


@login_required
@require_POST
def board_move(request, pk):
    """A card dropped on a column. Answers the board again, or a dialog asking for missing fields."""
    deal = get_object_or_404(selectors.deal_list_visible_to(request.user), pk=pk)
    try:
        target = Stage.objects.get(pk=int(request.POST.get("stage", "")))
        expected = int(request.POST["expected_stage"]) if request.POST.get("expected_stage") else None
    except (Stage.DoesNotExist, ValueError):
        raise Http404
    # A deal on an older version moves to the stage with the same key in its own version.
    if target.version_id != deal.version_id:
        target = Stage.objects.filter(version_id=deal.version_id, key=target.key).first() or target
    names = [n for n in target.required_fields]
    form = required_fields_form(names, request.POST if request.POST.get("fill") else None)
    fields = {}
    if request.POST.get("fill"):
        if not form.is_valid():
            return _dialog(request, deal, target, form)
        fields = {k: (str(v) if k.startswith("data.") else v) for k, v in form.cleaned_data.items()}
    error = None
    try:
        services.deal_move(deal=deal, to_stage=target, actor=request.user, fields=fields, expected_stage_id=expected)
    except RequiredFieldsMissing as exc:
        return _dialog(request, deal, target, required_fields_form(exc.extra["missing"]), exc.message)
    except DomainError as exc:
        error = exc.message
    context = _board_context(request, deal.pipeline)
    context["board_error"] = error
    return render(request, "deals/board_columns.html", context, status=200)


def _dialog(request, deal, stage, form, message=""):
    """The "fill in to move" dialog, swapped into the board page's dialog slot (not the board)."""
    response = render(request, "deals/move_dialog.html", {"deal": deal, "stage": stage, "form": form, "message": message})
    response["HX-Retarget"] = "#dialog-slot"
    response["HX-Reswap"] = "innerHTML"
    return response


@login_required
def deal_table(request):
    deals = selectors.deal_list_visible_to(request.user).select_related("version")
    pipeline_id = request.GET.get("pipeline")
    if pipeline_id and pipeline_id.isdigit():
        deals = deals.filter(pipeline_id=pipeline_id)
    if request.GET.get("overdue") == "1":
        deals = selectors.deals_overdue(deals)
    if request.GET.get("responsible", "").isdigit():
        deals = deals.filter(responsible_id=request.GET["responsible"])
    outcome = request.GET.get("outcome", "open")
    if outcome in Deal.Outcome.values:
        deals = deals.filter(outcome=outcome)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        deals = deals.filter(Q(title__icontains=query) | Q(client_name__icontains=query) | Q(client_phone__icontains=query))
    deals = deals.order_by("current_visit__due_at", "-created_at")[:500]
    now = timezone.now()
    context = {
        "deals": deals,
        "now": now,
        "pipelines": pipelines_active("deal"),
        "people": User.objects.filter(is_active=True),
        "filters": request.GET,
        "outcomes": Deal.Outcome.choices,
    }
    return render(request, "deals/table.html", context)


@login_required
def deal_detail(request, pk):
    deal = get_object_or_404(selectors.deal_list_visible_to(request.user).select_related("version"), pk=pk)
    form = DealForm(request.POST or None, instance=Deal.objects.get(pk=deal.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(deal=deal, actor=request.user, **{name: form.cleaned_data[name] for name in form.changed_data})
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("deal-detail", pk=deal.pk)
    visits = deal.visits.select_related("stage", "responsible", "entered_by", "left_by").order_by("pk")
    context = {
        "deal": deal,
        "form": form,
        "visits": visits,
        "stages": deal.version.stages.all(),
        "tasks": deal.tasks.select_related("assignee").order_by("status", "due_at"),
        "now": timezone.now(),
    }
    return render(request, "deals/detail.html", context)


@login_required
@require_POST
def deal_move(request, pk):
    """The deal card's move form (a plain POST; the board uses board_move)."""
    deal = get_object_or_404(selectors.deal_list_visible_to(request.user), pk=pk)
    stage = Stage.objects.filter(pk=request.POST.get("stage") or 0, version_id=deal.version_id).first()
    if stage is None:
        messages.error(request, _("Choose a stage."))
        return redirect("deal-detail", pk=pk)
    form = required_fields_form(list(stage.required_fields), request.POST)
    fields = {k: (str(v) if k.startswith("data.") else v) for k, v in form.cleaned_data.items()} if form.is_valid() else {}
    try:
        services.deal_move(deal=deal, to_stage=stage, actor=request.user, fields=fields, note=request.POST.get("note", "")[:500])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Moved to “%s”.") % stage.name)
    return redirect("deal-detail", pk=pk)


@login_required
def deal_create(request):
    form = DealCreateForm(request.POST or None, initial={"pipeline": request.GET.get("pipeline")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            deal = services.deal_create(pipeline=data.pop("pipeline"), title=data.pop("title"), actor=request.user, **data)
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Deal created."))
            return redirect("deal-detail", pk=deal.pk)
    return render(request, "deals/create.html", {"form": form}, status=400 if form.errors else 200)
