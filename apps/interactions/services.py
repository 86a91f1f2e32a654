"""Writes for the appeal log: register an appeal (with a new or updated client card), record a manager's decision."""
from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.permissions import is_manager
from apps.api.errors import DomainError, NotPermitted
from apps.audit.services import audit_record
from apps.clients import services as client_services
from apps.clients.models import Client
from apps.clients.selectors import client_list_visible_to
from apps.interactions.models import Interaction

REGISTER_FIELDS = ("occurred_at", "employee", "channel", "kind", "subject", "summary", "result", "needs_decision", "deal", "task")
# The tasks service takes a due moment; a decision is due a day after the complaint.
DECISION_DUE = timedelta(hours=24)


class InteractionInvalid(DomainError):
    code = "validation_error"


class DecisionForbidden(NotPermitted):
    pass


def _invalid(name: str, message: str, code: str = "invalid") -> InteractionInvalid:
    return InteractionInvalid(_("Some fields need attention."), fields={name: [ValidationError(message, code=code)]})


def _decision_maker(*, client: Client, actor):
    """Who decides on a complaint: the client owner's manager, else the actor's, else a manager (then an admin or owner)."""
    for candidate in (client.owner.manager if client.owner_id else None, getattr(actor, "manager", None)):
        if candidate is not None and candidate.is_active:
            return candidate
    for code in (Role.Builtin.MANAGER, Role.Builtin.ADMIN, Role.Builtin.OWNER):
        found = User.objects.filter(is_active=True, groups__role__code=code).order_by("pk").first()
        if found is not None:
            return found
    return None


@transaction.atomic
def interaction_register(
    *, actor, client: Client | None = None, client_fields: dict | None = None, client_update: dict | None = None, **fields
) -> Interaction:
    """Record a client's appeal. The client is an existing card the actor may see (optionally updated in
    the same step) or a new one made from `client_fields`. A complaint that needs a decision gets a task
    for a manager."""
    unknown = set(fields) - set(REGISTER_FIELDS)
    if unknown:
        raise ValueError(f"not interaction fields: {sorted(unknown)}")
    if (client is None) == (client_fields is None):
        raise _invalid("client", _("Choose a client or enter a new one."), code="required")
    if client is not None:
        if not client_list_visible_to(actor).filter(pk=client.pk).exists():
            raise _invalid("client", _("Unknown client."), code="does_not_exist")
        if client_update:
            client = client_services.client_update(client=client, actor=actor, **client_update)
    else:
        if client_update:
            raise _invalid("client_update", _("A new client's fields go with the new client."))
        client = client_services.client_create(actor=actor, **client_fields)
    employee = fields.pop("employee", None) or actor
    if employee.pk != actor.pk and not is_manager(actor):
        raise NotPermitted(_("Only a manager can record appeals handled by someone else."))
    interaction = Interaction(client=client, employee=employee, **fields)
    if interaction.occurred_at is None:
        interaction.occurred_at = timezone.now()
    if interaction.channel not in Interaction.Channel.values:
        raise _invalid("channel", _("Choose a channel."), code="invalid_choice")
    if interaction.kind not in Interaction.Kind.values:
        raise _invalid("kind", _("Choose a kind."), code="invalid_choice")
    if interaction.deal is not None and interaction.deal.client_id not in (None, client.pk):
        raise _invalid("deal", _("This deal belongs to another client."))
    interaction.save()
    if interaction.kind == Interaction.Kind.COMPLAINT and interaction.needs_decision and interaction.task_id is None:
        interaction.task = _decision_task(interaction=interaction, actor=actor)
        interaction.save(update_fields=["task"])
    audit_record(
        action="interaction.created",
        actor=actor,
        target=interaction,
        changes={
            "client": client.pk,
            "new_client": client_fields is not None,
            "employee": employee.pk,
            "channel": interaction.channel,
            "kind": interaction.kind,
            "needs_decision": interaction.needs_decision,
            "deal": interaction.deal_id,
            "task": interaction.task_id,
        },
    )
    return interaction


def _decision_task(*, interaction: Interaction, actor):
    from apps.tasks.models import Task
    from apps.tasks.services import task_create

    manager = _decision_maker(client=interaction.client, actor=actor)
    if manager is None:
        return None
    return task_create(
        title=(_("Decide on complaint: %(subject)s") % {"subject": interaction.subject or interaction.client.display_name})[:200],
        description=interaction.summary,
        actor=actor,
        assignee=manager,
        due_at=timezone.now() + DECISION_DUE,
        priority=Task.Priority.HIGH,
        deal=interaction.deal,
        assigned_by_rule=True,
    )


@transaction.atomic
def interaction_decide(*, interaction: Interaction, actor, decision: str) -> Interaction:
    """A manager's decision on an appeal; completes the open decision task."""
    if not is_manager(actor):
        raise DecisionForbidden(_("Only a manager can decide on an appeal."))
    decision = (decision or "").strip()
    if not decision:
        raise _invalid("decision", _("Write the decision."), code="required")
    interaction = Interaction.objects.select_for_update(of=("self",)).select_related("task").get(pk=interaction.pk)
    before = interaction.decision
    interaction.decision = decision
    interaction.decided_by = actor
    interaction.decided_at = timezone.now()
    interaction.save(update_fields=["decision", "decided_by", "decided_at"])
    task = interaction.task
    if task is not None and task.status == task.Status.OPEN and not task.pipeline_id:
        from apps.tasks.services import task_set_status

        task_set_status(task=task, actor=actor, status=task.Status.DONE)
    audit_record(
        action="interaction.decided",
        actor=actor,
        target=interaction,
        changes={"decision": [before, decision], "task": interaction.task_id},
    )
    return interaction
