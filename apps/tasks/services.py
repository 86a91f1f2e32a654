"""Tasks: by hand, by automations (workflows.services.engine), or in task pipelines."""
from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import is_manager, user_object_perms_set
from apps.api.errors import DomainError, NotPermitted
from apps.audit.services import audit_record, diff
from apps.notifications.services import Draft, notify_many
from apps.tasks.models import Task
from workflows.models import Pipeline, Stage
from workflows.selectors import version_published_latest
from workflows.services import engine

EDITABLE_FIELDS = ("title", "description", "assignee", "due_at", "priority", "remind_at", "deal")


class TaskInvalid(DomainError):
    code = "validation_error"


def _grant(task: Task, user) -> None:
    if user is not None:
        user_object_perms_set(task, ["tasks.view_task", "tasks.change_task"], grant_to=user.pk)


def _schedule(task: Task) -> None:
    moments = [m for m in (task.warn_at, task.due_at, task.remind_at) if m]
    if moments:
        from workflows.services.monitor import deadline_index_lower

        schema_name = connection.schema_name
        transaction.on_commit(lambda: deadline_index_lower(schema_name, min(moments)))


def _notify_assignee(task: Task, actor) -> None:
    if task.assignee_id and task.assignee_id != getattr(actor, "pk", None):
        notify_many(
            [
                Draft(
                    recipient_id=task.assignee_id,
                    kind="assigned",
                    title=_("New task: %s") % task.title,
                    url=f"/tasks/{task.pk}/",
                    task_id=task.pk,
                    dedupe_key=f"task-assigned:{task.pk}:user:{task.assignee_id}",
                )
            ]
        )


@transaction.atomic
def task_create(
    *,
    title: str,
    actor,
    assignee=None,
    description: str = "",
    due_at: datetime | None = None,
    remind_at: datetime | None = None,
    priority: str = Task.Priority.NORMAL,
    deal=None,
    pipeline: Pipeline | None = None,
    assigned_by_rule: bool = False,
) -> Task:
    """A task for `assignee` (the actor by default). `assigned_by_rule`: a business rule chose the
    assignee and the deal (a complaint that needs a manager's decision), not the actor, so the
    actor's right to assign others or to add tasks to the deal is not checked."""
    assignee = assignee or actor
    if not assigned_by_rule:
        if assignee.pk != actor.pk and not is_manager(actor) and not (deal is not None and engine.can_change(actor, deal)):
            raise NotPermitted(_("Only a manager can give tasks to others outside their own deals."))
        if deal is not None and not engine.can_change(actor, deal):
            raise TaskInvalid(_("You cannot add tasks to this deal."), fields={"deal": [ValidationError(_("Not found."), code="not_found")]})
    task = Task(
        title=title, description=description, assignee=assignee, created_by=actor, due_at=due_at, remind_at=remind_at, priority=priority, deal=deal
    )
    if pipeline is not None:
        version = version_published_latest(pipeline)
        if pipeline.kind != Pipeline.Kind.TASK or version is None:
            raise TaskInvalid(_("Choose a published task pipeline."), fields={"pipeline": [ValidationError(_("Not a task pipeline."), code="invalid")]})
        task.pipeline, task.version, task.source = pipeline, version, Task.Source.PIPELINE
        task.stage = version.stages.order_by("position").first()
    task.save()
    _grant(task, actor)
    _grant(task, assignee)
    if pipeline is not None:
        engine.enter_stage(task, task.stage, actor=actor, now=timezone.now())
        # A task pipeline's stage deadline is the task's deadline when the stage has one.
        if task.current_visit.due_at:
            task.due_at, task.warn_at = task.current_visit.due_at, task.current_visit.warn_at
        task.save()
    _notify_assignee(task, actor)
    _schedule(task)
    audit_record(
        action="task.created",
        actor=actor,
        target=task,
        changes={"assignee": task.assignee_id, "due_at": task.due_at.isoformat() if task.due_at else None, "deal": task.deal_id},
    )
    return task


def _locked(task: Task, actor) -> Task:
    task = Task.objects.select_for_update(of=("self",)).get(pk=task.pk)
    if not engine.can_change(actor, task):
        raise engine.MoveForbidden(_("You may not change this task."))
    return task


@transaction.atomic
def task_update(*, task: Task, actor, **fields) -> Task:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    task = _locked(task, actor)
    if "assignee" in fields and fields["assignee"] != task.assignee and not is_manager(actor) and task.created_by_id != actor.pk:
        raise NotPermitted(_("Only a manager or the task's author can reassign it."))
    before = {name: _plain(getattr(task, name)) for name in fields}
    for name, value in fields.items():
        setattr(task, name, value)
    if "due_at" in fields:
        task.warned_at = task.breached_at = None
        task.warn_at = None
    if "remind_at" in fields:
        task.reminded_at = None
    task.save()
    if "assignee" in fields:
        _grant(task, task.assignee)
        _notify_assignee(task, actor)
    _schedule(task)
    changes = diff(before, {name: _plain(getattr(task, name)) for name in fields})
    if changes:
        audit_record(action="task.updated", actor=actor, target=task, changes=changes)
    return task


def _plain(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@transaction.atomic
def task_set_status(*, task: Task, actor, status: str) -> Task:
    """Complete, cancel or reopen a task that is not in a task pipeline (those move by stage)."""
    task = _locked(task, actor)
    if task.pipeline_id:
        raise DomainError(_("This task moves through its pipeline's stages."), code="use_move")
    if status not in Task.Status.values:
        raise TaskInvalid(_("Unknown status."), fields={"status": [ValidationError(_("Unknown status."), code="invalid")]})
    if task.status == status:
        return task
    old = task.status
    task.status = status
    task.completed_at = timezone.now() if status != Task.Status.OPEN else None
    task.save(update_fields=["status", "completed_at", "updated_at"])
    if status == Task.Status.OPEN:
        _schedule(task)
    audit_record(action="task.status_changed", actor=actor, target=task, changes={"status": [old, status]})
    return task


def task_move(*, task: Task, to_stage: Stage, actor, fields: dict | None = None, note: str = "", expected_stage_id: int | None = None):
    visit = engine.move(obj=task, to_stage=to_stage, actor=actor, fields=fields, note=note, expected_stage_id=expected_stage_id)
    return visit
