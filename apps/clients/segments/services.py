"""Saved segments and categories: create, change, delete, and the rule recalculation."""
from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import is_admin, is_manager
from apps.api.errors import DomainError, NotPermitted
from apps.audit.services import audit_record
from apps.clients.filters import client_filter, filter_spec_clean
from apps.clients.models import Category, Client, ClientCategory, Segment


logger = logging.getLogger(__name__)


class SegmentInvalid(DomainError):
    code = "validation_error"


def _name(value: str, field: str = "name") -> str:
    name = (value or "").strip()
    if not name:
        raise SegmentInvalid(_("Enter a name."), fields={field: [ValidationError(_("Enter a name."), code="required")]})
    return name[:100]


def _spec_without_search(spec: dict, field: str) -> dict:
    """Rules run without a user and without a search box: a search word in a rule is refused."""
    if "search" in spec:
        raise SegmentInvalid(
            _("A category rule cannot use the search box; use fields and tags."),
            fields={f"{field}.search": [ValidationError(_("Not allowed in a rule."), code="invalid")]},
        )
    return spec


@transaction.atomic
def segment_create(*, actor, name: str, filters: dict, is_shared: bool = False) -> Segment:
    """A saved filter for `actor`; shared ones appear in every colleague's list."""
    segment = Segment.objects.create(name=_name(name), filters=filter_spec_clean(filters), owner=actor, is_shared=is_shared)
    audit_record(action="segment.created", actor=actor, target=segment, changes={"name": segment.name, "filters": segment.filters})
    return segment


def _may_edit_segment(actor, segment: Segment) -> bool:
    return segment.owner_id == actor.pk or is_admin(actor)


@transaction.atomic
def segment_update(*, segment: Segment, actor, **changes) -> Segment:
    if not _may_edit_segment(actor, segment):
        raise NotPermitted(_("Only the segment's author or an admin can change it."))
    if "name" in changes:
        segment.name = _name(changes["name"])
    if "filters" in changes:
        segment.filters = filter_spec_clean(changes["filters"])
    if "is_shared" in changes:
        segment.is_shared = bool(changes["is_shared"])
    segment.save()
    audit_record(action="segment.updated", actor=actor, target=segment, changes={"name": segment.name, "filters": segment.filters, "is_shared": segment.is_shared})
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, actor) -> None:
    if not _may_edit_segment(actor, segment):
        raise NotPermitted(_("Only the segment's author or an admin can delete it."))
    audit_record(action="segment.deleted", actor=actor, target=segment, changes={"name": segment.name})
    segment.delete()


def _require_manager(actor) -> None:
    if not is_manager(actor):
        raise NotPermitted(_("Only a manager can change categories."))


def _category_save(category: Category) -> None:
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise SegmentInvalid(
            _("A category with this name exists."), fields={"name": [ValidationError(_("Already exists."), code="unique")]}
        ) from None


@transaction.atomic
def category_create(*, actor, name: str, description: str = "", rule: dict | None = None, position: int = 0) -> Category:
    """A category; with a rule, clients matching it join (and leave) it at every recalculation,
    the first one right after this transaction commits."""
    _require_manager(actor)
    category = Category(name=_name(name), description=(description or "")[:300], position=position)
    category.rule = _spec_without_search(filter_spec_clean(rule, field="rule"), "rule") if rule else {}
    _category_save(category)
    audit_record(action="category.created", actor=actor, target=category, changes={"name": category.name, "rule": category.rule})
    if category.rule:
        _recalculate_on_commit(category)
    return category


@transaction.atomic
def category_update(*, category: Category, actor, **changes) -> Category:
    _require_manager(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    before = {"name": category.name, "description": category.description, "rule": category.rule, "position": category.position}
    if "name" in changes:
        category.name = _name(changes["name"])
    if "description" in changes:
        category.description = (changes["description"] or "")[:300]
    if "position" in changes:
        category.position = changes["position"]
    rule_changed = False
    if "rule" in changes:
        rule = _spec_without_search(filter_spec_clean(changes["rule"], field="rule"), "rule") if changes["rule"] else {}
        rule_changed = rule != category.rule
        category.rule = rule
    _category_save(category)
    after = {"name": category.name, "description": category.description, "rule": category.rule, "position": category.position}
    diff = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if diff:
        audit_record(action="category.updated", actor=actor, target=category, changes=diff)
    if rule_changed:
        if not category.rule:
            # Without a rule nothing maintains the rule's members; they stay, now as if set by hand.
            ClientCategory.objects.filter(category=category, by_rule=True).update(by_rule=False)
        else:
            _recalculate_on_commit(category)
    return category


@transaction.atomic
def category_delete(*, category: Category, actor) -> None:
    _require_manager(actor)
    audit_record(action="category.deleted", actor=actor, target=category, changes={"name": category.name, "members": category.client_links.count()})
    category.delete()


def _recalculate_on_commit(category: Category) -> None:
    from apps.clients.segments.tasks import category_recalculate_task
    from tenants.dispatch import enqueue_on_commit

    enqueue_on_commit(category_recalculate_task, category_id=category.pk)


@transaction.atomic
def category_recalculate(*, category: Category) -> dict:
    """Bring a rule category's members in line with its rule: matching clients join, rule-made
    members that no longer match leave; members set by hand stay. Set-based, two statements.

    Audited as one event with the counts (not one per client), by the system."""
    category = Category.objects.select_for_update().get(pk=category.pk)
    if not category.rule:
        return {"added": 0, "removed": 0}
    matching = client_filter(Client.objects.all(), category.rule).values("pk")
    removed, _details = ClientCategory.objects.filter(category=category, by_rule=True).exclude(client_id__in=matching).delete()
    have = ClientCategory.objects.filter(category=category).values("client_id")
    now = timezone.now()
    new_ids = list(client_filter(Client.objects.exclude(pk__in=have), category.rule).values_list("pk", flat=True))
    ClientCategory.objects.bulk_create(
        [ClientCategory(client_id=pk, category=category, by_rule=True, added_at=now) for pk in new_ids],
        batch_size=5000,
        ignore_conflicts=True,
    )
    category.recalculated_at = now
    category.save(update_fields=["recalculated_at"])
    result = {"added": len(new_ids), "removed": removed}
    if new_ids or removed:
        audit_record(action="category.recalculated", actor=None, target=category, changes=result)
    return result


def category_recalculate_now(*, category: Category, actor) -> dict:
    """"Apply now" by a manager, instead of waiting for the nightly run."""
    _require_manager(actor)
    return category_recalculate(category=category)


def categories_recalculate_all() -> dict[str, dict]:
    """Every rule category of the current company, each in its own transaction; one that fails
    (a rule naming a field that no longer filters, say) is logged and the others still run."""
    results = {}
    for category in Category.objects.exclude(rule={}):
        try:
            results[category.name] = category_recalculate(category=category)
        except Exception as exc:  # noqa: BLE001 - one bad rule must not cost the others their night
            logger.error("category %s recalculation failed: %s", category.pk, type(exc).__name__)
            results[category.name] = {"error": type(exc).__name__}
    return results
