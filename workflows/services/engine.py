"""The engine: the one place a deal or a task changes stage (brief, decision 2).

`move()` locks the item, checks the transition rules, the actor's roles and the stage's required
fields, closes the current stage visit, opens the next one with its deadline on the business
calendar, assigns the responsible person, moves object permissions with the responsibility,
runs the stage's automations, audits, and queues notifications for after the commit.
Deals and tasks share it through a small adapter (`Item`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import is_admin, is_manager, user_object_perms_set, user_role_codes
from apps.api.errors import Conflict, DomainError
from apps.audit.services import audit_record
from apps.notifications.services import Draft, notify_many
from workflows.calendar import Sla, WorkingCalendar
from workflows.models import AssignmentCursor, PipelineVersion, Stage, StageAutomation, StageVisit, Transition
from workflows.selectors import calendar_for, frozen_version_stages


class MoveNotAllowed(DomainError):
    code = "transition_not_allowed"
    status_code = 400


class MoveForbidden(DomainError):
    code = "permission_denied"
    status_code = 403


class RequiredFieldsMissing(DomainError):
    code = "required_fields_missing"
    status_code = 400


class MoveConflict(Conflict):
    code = "conflict"


# ------------------------------------------------------------------------------
# Deals and tasks through one adapter
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    model: type[models.Model]
    visit_field: str  # StageVisit's foreign key to this model
    responsible_field: str
    perm_app: str
    url_prefix: str

    def responsible_id(self, obj) -> int | None:
        return getattr(obj, f"{self.responsible_field}_id")

    def owner_id(self, obj) -> int | None:
        return getattr(obj, "owner_id", None) or getattr(obj, "created_by_id", None)

    def perms(self) -> tuple[str, str]:
        name = self.model._meta.model_name
        return f"{self.perm_app}.view_{name}", f"{self.perm_app}.change_{name}"

    def url(self, obj) -> str:
        return f"{self.url_prefix}{obj.pk}/"


def item_of(obj) -> Item:
    from apps.deals.models import Deal
    from apps.tasks.models import Task

    if isinstance(obj, Deal):
        return Item(Deal, "deal", "responsible", "deals", "/deals/")
    if isinstance(obj, Task):
        return Item(Task, "task", "assignee", "tasks", "/tasks/")
    raise TypeError(f"cannot move {type(obj).__name__}")


# ------------------------------------------------------------------------------
# Rules
# ------------------------------------------------------------------------------
def can_change(actor, obj) -> bool:
    item = item_of(obj)
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if is_manager(actor) or actor.pk in (item.owner_id(obj), item.responsible_id(obj)):
        return True
    return actor.has_perm(item.perms()[1], obj)


def _check_transition(obj, current: Stage, target: Stage, actor, previous_stage_id: int | None) -> None:
    version: PipelineVersion = target.version
    if current.pk == target.pk:
        raise MoveNotAllowed(_("The item is already in this stage."), code="same_stage")
    if current.is_closing and not is_manager(actor):
        raise MoveForbidden(_("Only a manager can reopen a closed item."))
    mode = version.transition_mode
    if mode == PipelineVersion.TransitionMode.EXPLICIT:
        transition = Transition.objects.filter(from_stage=current, to_stage=target).prefetch_related("allowed_roles").first()
        if transition is None:
            raise MoveNotAllowed(
                _("Moving from “%(a)s” to “%(b)s” is not allowed in this pipeline.") % {"a": current.name, "b": target.name}
            )
        allowed = {role.code for role in transition.allowed_roles.all()}
        if allowed and not (allowed & user_role_codes(actor)) and not is_admin(actor):
            raise MoveForbidden(_("Your role may not make this move."))
    elif mode == PipelineVersion.TransitionMode.FORWARD_ONLY:
        returning_from_hold = current.kind == Stage.Kind.ON_HOLD and target.pk == previous_stage_id
        anytime = target.kind in (Stage.Kind.ON_HOLD, Stage.Kind.LOST)
        if target.position < current.position and not returning_from_hold and not anytime and not current.is_closing:
            raise MoveNotAllowed(_("This pipeline only moves forward."), code="backward_move")
        if target.position > current.position and not anytime:
            skipped = sorted(
                (
                    stage
                    for stage in frozen_version_stages(version.pk).values()
                    if current.position < stage.position < target.position
                    and not stage.skippable
                    and stage.kind not in (Stage.Kind.ON_HOLD, Stage.Kind.LOST)
                ),
                key=lambda stage: stage.position,
            )
            if skipped:
                raise MoveNotAllowed(
                    _("These stages cannot be skipped: %s") % ", ".join(stage.name for stage in skipped),
                    code="stage_not_skippable",
                    extra={"skipped": [stage.pk for stage in skipped]},
                )
    entry = {role.code for role in target.entry_roles.all()}
    if entry and not (entry & user_role_codes(actor)) and not is_admin(actor):
        raise MoveForbidden(_("Your role may not move items into “%s”.") % target.name)


def _value_missing(obj, name: str) -> bool:
    if name.startswith("data."):
        value = (getattr(obj, "data", None) or {}).get(name[5:])
    else:
        value = getattr(obj, name, None)
    return value is None or (isinstance(value, str) and not value.strip())


def missing_fields(obj, stage: Stage) -> list[str]:
    return [name for name in stage.required_fields if _value_missing(obj, name)]


def _apply_fields(obj, fields: dict) -> dict:
    """Set the fields a mover supplied (validated by the caller's serializer); returns the changes."""
    changes = {}
    for name, value in (fields or {}).items():
        if name.startswith("data."):
            data = dict(getattr(obj, "data") or {})
            old = data.get(name[5:])
            data[name[5:]] = value
            obj.data = data
        else:
            old = getattr(obj, name)
            setattr(obj, name, value)
        if old != value:
            changes[name] = [str(old) if old is not None else None, str(value) if value is not None else None]
    return changes


# ------------------------------------------------------------------------------
# Deadlines and assignment
# ------------------------------------------------------------------------------
def stage_sla(stage: Stage) -> Sla | None:
    if not stage.sla_minutes or stage.kind != Stage.Kind.OPEN:
        return None
    return Sla(duration=timedelta(minutes=stage.sla_minutes), business_time=stage.sla_business_time, warn_percent=stage.warn_percent)


def deadlines(stage: Stage, calendar: WorkingCalendar, start: datetime, remaining: timedelta | None = None):
    """(due_at, warn_at) of a visit starting at `start`; `remaining` resumes a paused clock."""
    sla = stage_sla(stage)
    if sla is None:
        return None, None
    if remaining is None:
        return sla.due(calendar, start), sla.warn_at(calendar, start)
    resumed = Sla(duration=remaining, business_time=sla.business_time)
    # Warn when the same share of the full SLA is left as a fresh visit would have.
    warn_after = max(timedelta(0), remaining - sla.duration * (100 - sla.warn_percent) / 100)
    warn = calendar.add(start, warn_after) if sla.business_time else start + warn_after
    return resumed.due(calendar, start), warn


def _role_holders(role) -> models.QuerySet:
    return User.objects.filter(is_active=True, groups=role.group_id).order_by("pk")


def pick_responsible(stage: Stage, obj, pipeline) -> int | None:
    """The id of the person responsible in `stage` (see Stage.Assignment)."""
    item = item_of(obj)
    current_id = item.responsible_id(obj) or item.owner_id(obj)
    strategy = stage.assignment
    if strategy == Stage.Assignment.FIXED:
        fixed = stage.fixed_assignee_id
        return fixed if fixed and User.objects.filter(pk=fixed, is_active=True).exists() else current_id
    if strategy == Stage.Assignment.KEEP or stage.responsible_role_id is None:
        return current_id
    holders = _role_holders(stage.responsible_role)
    if strategy == Stage.Assignment.ROUND_ROBIN:
        cursor, _created = AssignmentCursor.objects.select_for_update().get_or_create(pipeline=pipeline, stage_key=stage.key)
        ids = list(holders.values_list("pk", flat=True))
        if not ids:
            return current_id
        following = [pk for pk in ids if cursor.last_user_id is None or pk > cursor.last_user_id]
        chosen = (following or ids)[0]
        cursor.last_user_id = chosen
        cursor.save(update_fields=["last_user"])
        return chosen
    # Least loaded: fewest open items of this kind; ties go to the longest-standing colleague.
    open_filter = Q(responsible_deals__outcome="open") if item.visit_field == "deal" else Q(assigned_tasks__status="open")
    relation = "responsible_deals" if item.visit_field == "deal" else "assigned_tasks"
    chosen = holders.annotate(load=Count(relation, filter=open_filter)).order_by("load", "pk").values_list("pk", flat=True).first()
    return chosen or current_id


def _move_permissions(obj, old_id: int | None, new_id: int | None) -> None:
    item = item_of(obj)
    keep_old = old_id == item.owner_id(obj)
    user_object_perms_set(
        obj,
        list(item.perms()),
        grant_to=new_id if new_id != old_id else None,
        revoke_from=old_id if old_id and old_id != new_id and not keep_old else None,
    )


# ------------------------------------------------------------------------------
# Entering a stage
# ------------------------------------------------------------------------------
def enter_stage(
    obj, stage: Stage, *, actor, now: datetime, remaining: timedelta | None = None, note: str = "", calendar: WorkingCalendar | None = None
) -> StageVisit:
    """Open a visit of `obj` to `stage`: deadline, responsible, permissions, automations.

    Used by move() and by item creation; the caller holds the item's row lock.
    """
    item = item_of(obj)
    pipeline = obj.pipeline
    calendar = calendar or calendar_for(pipeline)
    old_responsible = item.responsible_id(obj)
    responsible = pick_responsible(stage, obj, pipeline)
    due_at, warn_at = deadlines(stage, calendar, now, remaining)
    visit = StageVisit.objects.create(
        **{item.visit_field: obj},
        stage=stage,
        responsible_id=responsible,
        entered_at=now,
        entered_by=actor if getattr(actor, "is_authenticated", False) else None,
        due_at=due_at,
        warn_at=warn_at,
        note=note[:500],
    )
    setattr(obj, f"{item.responsible_field}_id", responsible)
    obj.stage = stage
    obj.current_visit = visit
    _move_permissions(obj, old_responsible, responsible)

    drafts = []
    actor_id = getattr(actor, "pk", None)
    if responsible is not None and responsible != old_responsible and responsible != actor_id:
        drafts.append(
            Draft(
                recipient_id=responsible,
                kind="assigned",
                title=_("You are responsible for “%(item)s” at “%(stage)s”") % {"item": obj, "stage": stage.name},
                body=_("Deadline: %s") % (timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M") if due_at else _("none")),
                url=item.url(obj),
                dedupe_key=f"assigned:visit:{visit.pk}:user:{responsible}",
                **{f"{item.visit_field}_id": obj.pk},
            )
        )
    drafts += _run_automations(obj, stage, visit, calendar, now)
    notify_many(drafts)
    moments = [m for m in (visit.warn_at, visit.due_at) if m]
    if moments:
        _lower_deadline_index_on_commit(min(moments))
    return visit


def _run_automations(obj, stage: Stage, visit: StageVisit, calendar: WorkingCalendar, now: datetime) -> list[Draft]:
    from apps.tasks.models import Task

    item = item_of(obj)
    drafts: list[Draft] = []
    for automation in stage.automations.all():
        if automation.action == StageAutomation.Action.CREATE_TASK:
            assignee_id = None
            if automation.role_id:
                assignee_id = (
                    _role_holders(automation.role)
                    .annotate(load=Count("assigned_tasks", filter=Q(assigned_tasks__status="open")))
                    .order_by("load", "pk")
                    .values_list("pk", flat=True)
                    .first()
                )
            assignee_id = assignee_id or item.responsible_id(obj)
            due = calendar.add(now, timedelta(minutes=automation.due_offset_minutes)) if automation.due_offset_minutes else None
            warn = calendar.add(now, timedelta(minutes=automation.due_offset_minutes * 0.8)) if automation.due_offset_minutes else None
            task, created = Task.objects.get_or_create(
                origin_visit=visit,
                automation=automation,
                defaults={
                    "title": automation.title,
                    "description": automation.description,
                    "assignee_id": assignee_id,
                    "deal": obj if item.visit_field == "deal" else getattr(obj, "deal", None),
                    "priority": automation.priority,
                    "source": Task.Source.AUTOMATION,
                    "due_at": due,
                    "warn_at": warn,
                },
            )
            if created and assignee_id is not None:
                user_object_perms_set(task, ["tasks.view_task", "tasks.change_task"], grant_to=assignee_id)
                drafts.append(
                    Draft(
                        recipient_id=assignee_id,
                        kind="assigned",
                        title=_("New task: %s") % task.title,
                        body=str(obj),
                        url=f"/tasks/{task.pk}/",
                        task_id=task.pk,
                        dedupe_key=f"task-assigned:{task.pk}:user:{assignee_id}",
                    )
                )
                if due:
                    _lower_deadline_index_on_commit(warn or due)
        else:
            for recipient_id in _automation_recipients(obj, automation, visit):
                drafts.append(
                    Draft(
                        recipient_id=recipient_id,
                        kind="automation",
                        title=automation.title,
                        body=automation.description or f"{obj} → {stage.name}",
                        url=item.url(obj),
                        dedupe_key=f"automation:{automation.pk}:visit:{visit.pk}:user:{recipient_id}",
                        **{f"{item.visit_field}_id": obj.pk},
                    )
                )
    return drafts


def _automation_recipients(obj, automation: StageAutomation, visit: StageVisit) -> list[int]:
    item = item_of(obj)
    target = automation.target
    if target == StageAutomation.Target.ROLE and automation.role_id:
        return list(_role_holders(automation.role).values_list("pk", flat=True))
    if target == StageAutomation.Target.OWNER:
        return [pk for pk in [item.owner_id(obj)] if pk]
    if target == StageAutomation.Target.MANAGER:
        manager = User.objects.filter(pk=visit.responsible_id).values_list("manager_id", flat=True).first()
        return [manager] if manager else []
    return [visit.responsible_id] if visit.responsible_id else []


def _lower_deadline_index_on_commit(moment: datetime) -> None:
    from workflows.services.monitor import deadline_index_lower

    schema_name = connection.schema_name
    transaction.on_commit(lambda: deadline_index_lower(schema_name, moment))


# ------------------------------------------------------------------------------
# Moving
# ------------------------------------------------------------------------------
def _locked(obj):
    item = item_of(obj)
    try:
        return item.model.objects.select_for_update(nowait=True, of=("self",)).select_related("pipeline", "stage__version", "current_visit").get(pk=obj.pk)
    except OperationalError as exc:
        raise MoveConflict(_("Someone else is moving this item right now. Reload and try again.")) from exc


@transaction.atomic
def move(*, obj, to_stage: Stage, actor, fields: dict | None = None, note: str = "", expected_stage_id: int | None = None) -> StageVisit:
    """Move a deal or task to `to_stage`. Raises MoveNotAllowed, MoveForbidden,
    RequiredFieldsMissing (naming every missing field) or MoveConflict; changes nothing then."""
    obj = _locked(obj)
    item = item_of(obj)
    if expected_stage_id is not None and obj.stage_id != expected_stage_id:
        raise MoveConflict(_("This item was moved by someone else meanwhile. Reload to see where it is now."), code="stale")
    if not can_change(actor, obj):
        raise MoveForbidden(_("You may not move this item."))
    if to_stage.version_id != obj.version_id:
        raise MoveNotAllowed(_("That stage belongs to another pipeline or version."), code="foreign_stage")
    stages = frozen_version_stages(obj.version_id)
    current: Stage = stages.get(obj.stage_id, obj.stage)
    to_stage = stages.get(to_stage.pk, to_stage)
    visit: StageVisit | None = obj.current_visit
    # Only an item leaving an on-hold stage needs the stage it was in before (to return and resume).
    previous_visit = (
        StageVisit.objects.filter(**{item.visit_field: obj}).exclude(pk=getattr(visit, "pk", None)).order_by("-pk").first()
        if current.kind == Stage.Kind.ON_HOLD
        else None
    )
    _check_transition(obj, current, to_stage, actor, previous_visit.stage_id if previous_visit else None)

    changes = _apply_fields(obj, fields or {})
    missing = missing_fields(obj, to_stage)
    if missing:
        raise RequiredFieldsMissing(
            _("Fill in these fields to move to “%s”.") % to_stage.name,
            fields={name: [ValidationError(_("Required at this stage."), code="required")] for name in missing},
            extra={"missing": missing},
        )

    now = timezone.now()
    calendar = calendar_for(obj.pipeline)
    remaining = None
    if visit is not None:
        visit.left_at = now
        visit.left_by = actor
        if to_stage.kind == Stage.Kind.ON_HOLD and visit.due_at:
            sla = stage_sla(current)
            left = sla.remaining(calendar, now, visit.due_at) if sla else timedelta(0)
            visit.remaining_seconds = int(left.total_seconds())
        visit.save(update_fields=["left_at", "left_by", "remaining_seconds"])
    if current.kind == Stage.Kind.ON_HOLD and previous_visit and previous_visit.stage_id == to_stage.pk and previous_visit.remaining_seconds is not None:
        remaining = timedelta(seconds=previous_visit.remaining_seconds)  # the paused clock resumes

    old_responsible = item.responsible_id(obj)
    new_visit = enter_stage(obj, to_stage, actor=actor, now=now, remaining=remaining, note=note, calendar=calendar)
    _close_or_reopen(obj, to_stage, now)
    obj.save()  # every field: required fields supplied with the move may have changed any of them
    audit_record(
        action=f"{item.visit_field}.moved",
        actor=actor,
        target=obj,
        changes={
            "stage": [current.key, to_stage.key],
            "responsible": [old_responsible, item.responsible_id(obj)],
            "due_at": new_visit.due_at.isoformat() if new_visit.due_at else None,
            **({"fields": changes} if changes else {}),
            **({"note": note} if note else {}),
        },
    )
    return new_visit


def _close_or_reopen(obj, stage: Stage, now: datetime) -> None:
    from apps.deals.models import Deal
    from apps.tasks.models import Task

    if isinstance(obj, Deal):
        obj.outcome = {Stage.Kind.WON: Deal.Outcome.WON, Stage.Kind.LOST: Deal.Outcome.LOST}.get(stage.kind, Deal.Outcome.OPEN)
        obj.closed_at = now if stage.is_closing else None
    elif isinstance(obj, Task):
        obj.status = {Stage.Kind.WON: Task.Status.DONE, Stage.Kind.LOST: Task.Status.CANCELED}.get(stage.kind, Task.Status.OPEN)
        obj.completed_at = now if stage.is_closing else None
        obj.due_at = obj.current_visit.due_at
        obj.warn_at = obj.current_visit.warn_at
        obj.warned_at = obj.breached_at = None
