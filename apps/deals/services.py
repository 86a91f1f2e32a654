"""Deals: create, edit, move (through the workflow engine). Each write audited."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import is_manager, user_object_perms_set
from apps.api.errors import DomainError, NotPermitted
from apps.audit.services import audit_record, diff
from apps.deals.models import Deal
from workflows.models import Pipeline, Stage
from workflows.selectors import version_published_latest
from workflows.services import engine

EDITABLE_FIELDS = ("title", "client", "client_name", "client_phone", "client_email", "amount", "currency", "expected_close_date", "close_reason", "data")


class DealInvalid(DomainError):
    code = "validation_error"


@transaction.atomic
def deal_create(*, pipeline: Pipeline, actor, title: str, owner=None, **fields) -> Deal:
    """A new deal on the pipeline's latest published version, in its first stage."""
    from billing.services import plan_limit_check

    plan_limit_check("active_deals")
    if pipeline.kind != Pipeline.Kind.DEAL or pipeline.archived_at:
        raise DealInvalid(_("Choose an active deal pipeline."), fields={"pipeline": [ValidationError(_("Not a deal pipeline."), code="invalid")]})
    version = version_published_latest(pipeline)
    if version is None:
        raise DealInvalid(_("Publish the pipeline before adding deals to it."), code="pipeline_not_published")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not deal fields: {sorted(unknown)}")
    owner = owner or actor
    client = fields.get("client")
    if client is not None:
        fields["client_name"] = fields.get("client_name") or client.display_name
        if not fields.get("client_phone") and client.phones:
            fields["client_phone"] = client.phones[0]
        if not fields.get("client_email") and client.emails:
            fields["client_email"] = client.emails[0]
    if owner.pk != actor.pk and not is_manager(actor):
        raise NotPermitted(_("Only a manager can create deals for someone else."))
    first: Stage = version.stages.order_by("position").first()
    deal = Deal(title=title, owner=owner, pipeline=pipeline, version=version, stage=first, created_by=actor, responsible=owner, **fields)
    missing = engine.missing_fields(deal, first)
    if missing:
        raise engine.RequiredFieldsMissing(
            _("Fill in these fields to start the deal."),
            fields={name: [ValidationError(_("Required at this stage."), code="required")] for name in missing},
            extra={"missing": missing},
        )
    deal.save()
    user_object_perms_set(deal, ["deals.view_deal", "deals.change_deal"], grant_to=owner.pk)
    engine.enter_stage(deal, first, actor=actor, now=timezone.now())
    deal.save()
    audit_record(
        action="deal.created",
        actor=actor,
        target=deal,
        changes={"pipeline": pipeline.pk, "version": version.number, "stage": first.key, "owner": owner.pk, "responsible": deal.responsible_id},
    )
    return deal


@transaction.atomic
def deal_update(*, deal: Deal, actor, **fields) -> Deal:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    if not engine.can_change(actor, deal):
        raise engine.MoveForbidden(_("You may not change this deal."))
    before = {name: _plain(getattr(deal, name)) for name in fields}
    for name, value in fields.items():
        setattr(deal, name, value)
    deal.save()
    changes = diff(before, {name: _plain(getattr(deal, name)) for name in fields})
    if changes:
        audit_record(action="deal.updated", actor=actor, target=deal, changes=changes)
    return deal


def _plain(value):
    return value if isinstance(value, (str, int, float, bool, dict, list, type(None))) else str(value)


def deal_move(*, deal: Deal, to_stage: Stage, actor, fields: dict | None = None, note: str = "", expected_stage_id: int | None = None):
    """Move a deal to another stage of its version (see workflows.services.engine.move)."""
    return engine.move(obj=deal, to_stage=to_stage, actor=actor, fields=fields, note=note, expected_stage_id=expected_stage_id)
