"""Bulk actions on a selection of clients: add or remove a tag or a category, set the owner, export.

A selection is explicit ids (at most 5,000; every one must be visible to the actor, or the request
is refused naming the unknown ones) or a filter spec (every matching client the actor may change;
the others are left out silently). Staff tag only clients they own or hold "clients.change_client"
on (directly or through a role); categories and owners are for managers, admins and owners, who
change every client. Everything is set-based and one transaction: all or nothing, one audit event.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import is_manager, user_object_perms_move, visible_to
from apps.api.errors import DomainError, NotPermitted
from apps.audit.services import audit_record
from apps.clients.exports.services import client_export_create, client_ids_clean, client_ids_unknown_error
from apps.clients.filters import filter_spec_clean
from apps.clients.models import Category, Client, ClientCategory
from apps.clients.selectors import client_list_filtered, client_list_visible_to

ACTIONS = ("tag_add", "tag_remove", "category_add", "category_remove", "owner_set", "export")
# The request field that carries each action's value.
VALUE_FIELDS = {
    "tag_add": "tag", "tag_remove": "tag", "category_add": "category", "category_remove": "category",
    "owner_set": "owner", "export": "format",
}
# Ids per statement, so a filter matching 100,000 clients never builds one giant IN list.
STATEMENT_IDS = 5000
# Changed ids listed in the audit event; the count is always complete.
AUDIT_IDS_KEPT = 1000
OWNER_PERMS = ["clients.view_client", "clients.change_client"]


class BulkInvalid(DomainError):
    code = "validation_error"


class BulkNotAllowed(NotPermitted):
    pass


def client_list_changeable_by(user) -> QuerySet[Client]:
    """The visible clients `user` may change: managers all of them; anyone else those they own or
    hold "clients.change_client" on (directly or through a role). Seeing a client through a deal
    does not make it theirs to change."""
    visible = client_list_visible_to(user)
    if is_manager(user):
        return visible
    granted = visible_to(user, Client.objects.all(), "clients.change_client").values("pk")
    return visible.filter(Q(owner=user) | Q(pk__in=granted))


def _invalid(field: str, message: str, code: str = "invalid") -> BulkInvalid:
    return BulkInvalid(message, fields={field: [ValidationError(message, code=code)]})


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), STATEMENT_IDS):
        yield ids[start:start + STATEMENT_IDS]


def _value_clean(*, actor, action: str, value):
    field = VALUE_FIELDS[action]
    if value is None or value == "":
        return _fail_missing(field)
    if field == "tag":
        tag = str(value).strip()
        if not tag:
            return _fail_missing(field)
        if len(tag) > 50:
            raise _invalid("tag", _("A tag is at most 50 characters."), "max_length")
        if "\x00" in tag:
            raise _invalid("tag", _("Remove the null character."), "null_characters_not_allowed")
        return tag
    if field == "category":
        if not is_manager(actor):
            raise BulkNotAllowed(_("Only a manager can change clients' categories."))
        category = value if isinstance(value, Category) else _by_id(Category.objects.all(), value)
        if category is None:
            raise _invalid("category", _("Unknown category."), "not_found")
        return category
    if field == "owner":
        from accounts.models import User

        if not is_manager(actor):
            raise BulkNotAllowed(_("Only a manager can give clients to another owner."))
        owner = _by_id(User.objects.filter(is_active=True), getattr(value, "pk", value))
        if owner is None:
            raise _invalid("owner", _("Unknown user."), "not_found")
        return owner
    return value


def _fail_missing(field: str):
    messages = {
        "tag": _("Enter a tag."), "category": _("Choose a category."), "owner": _("Choose the new owner."),
        "format": _("Choose CSV or XLSX."),
    }
    raise _invalid(field, messages[field], "required")


def _by_id(queryset, value):
    if isinstance(value, bool):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return queryset.filter(pk=pk).first() if pk > 0 else None


def _selection_ids(*, actor, client_ids, spec: dict | None) -> list[int]:
    """The ids to act on, their rows locked (in id order, so two bulk actions cannot deadlock)."""
    changeable = client_list_changeable_by(actor)
    if spec is None:
        ids = client_ids_clean(client_ids)
        seen = set(client_list_visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
        unknown = [pk for pk in ids if pk not in seen]
        if unknown:
            raise client_ids_unknown_error(unknown, error_class=BulkInvalid)
        allowed = set(changeable.filter(pk__in=ids).values_list("pk", flat=True))
        refused = [pk for pk in ids if pk not in allowed]
        if refused:
            named = ", ".join(str(pk) for pk in refused[:20]) + ("…" if len(refused) > 20 else "")
            message = _("You may not change these clients: %(ids)s.") % {"ids": named}
            raise BulkNotAllowed(message, fields={"client_ids": [ValidationError(message, code="not_allowed")]})
        selection = Client.objects.filter(pk__in=ids)
    else:
        matching = client_list_filtered(actor, spec).order_by().values("pk")
        selection = Client.objects.filter(pk__in=changeable.order_by().values("pk")).filter(pk__in=matching)
    return list(selection.order_by("pk").select_for_update().values_list("pk", flat=True))


@transaction.atomic
def client_bulk_apply(*, actor, action: str, client_ids: list[int] | None = None, filters: dict | None = None,
                      value=None) -> dict:
    """Apply one action to the selected clients: {"matched": clients selected, "changed": clients
    that actually changed} ("export" adds "export": the queued ClientExport). All or nothing;
    audited once as `clients.bulk_updated` (the export as `clients.export_requested`).

    `value`: the tag (tag_add, tag_remove), a Category or its id (category_add, category_remove,
    managers only), a user or their id (owner_set, managers only), "csv" or "xlsx" (export).
    Raises BulkInvalid (400) naming the field at fault, BulkNotAllowed (403)."""
    if action not in ACTIONS:
        raise _invalid("action", _("Choose one of: %(actions)s.") % {"actions": ", ".join(ACTIONS)}, "invalid_choice")
    if (client_ids is None) == (filters is None):
        message = _("Choose clients, or a filter: exactly one of the two.")
        raise BulkInvalid(message, fields={name: [ValidationError(message, code="invalid")] for name in ("client_ids", "filters")})
    value = _value_clean(actor=actor, action=action, value=value)
    if action == "export":
        export, matched = client_export_create(actor=actor, format=value, filters=filters, client_ids=client_ids)
        return {"matched": matched, "changed": 0, "export": export}

    spec = filter_spec_clean(filters) if filters is not None else None
    ids = _selection_ids(actor=actor, client_ids=client_ids, spec=spec)
    details: dict = {}
    if action in {"tag_add", "tag_remove"}:
        changed = _tags_change(ids, value, add=action == "tag_add")
        shown = value
    elif action == "category_add":
        changed, details["now_set_by_hand"] = _category_add(ids, value)
        shown = {"id": value.pk, "name": value.name}
    elif action == "category_remove":
        changed = _category_remove(ids, value)
        shown = {"id": value.pk, "name": value.name}
    else:
        changed, details["previous_owners"] = _owner_set(ids, value)
        shown = {"id": value.pk, "name": str(value)}
    audit_record(
        action="clients.bulk_updated",
        actor=actor,
        changes={
            "action": action, "value": shown, "filters": spec, "matched": len(ids), "changed": len(changed),
            "ids": changed[:AUDIT_IDS_KEPT], "ids_truncated": len(changed) > AUDIT_IDS_KEPT, **details,
        },
    )
    return {"matched": len(ids), "changed": len(changed)}


# The actions: each answers the ids it changed ----------------------------------------------------

# Tags stay distinct and sorted by code point, as services._clean keeps them ("C" collation is byte
# order, which in UTF-8 is code point order, i.e. Python's sorted()).
_TAGS_WITH = 'ARRAY(SELECT t FROM (SELECT DISTINCT unnest(array_append("tags", %s::varchar)) AS t) AS u ORDER BY t COLLATE "C")'
_TAGS_WITHOUT = 'array_remove("tags", %s::varchar)'


MAX_TAGS = 30


def _tags_change(ids: list[int], tag: str, *, add: bool) -> list[int]:
    changed: list[int] = []
    now = timezone.now()
    for chunk in _chunks(ids):
        rows = Client.objects.filter(pk__in=chunk)
        # A card holds at most MAX_TAGS tags (the API's limit): full cards are left as they are.
        rows = rows.exclude(tags__contains=[tag]).exclude(tags__len__gte=MAX_TAGS) if add else rows.filter(tags__contains=[tag])
        pks = list(rows.order_by("pk").values_list("pk", flat=True))
        if pks:
            # Tags are not part of search_text (apps.clients.search), so it needs no update.
            tags = RawSQL(_TAGS_WITH if add else _TAGS_WITHOUT, [tag], output_field=Client._meta.get_field("tags"))
            Client.objects.filter(pk__in=pks).update(tags=tags, updated_at=now)
        changed += pks
    return changed


def _category_add(ids: list[int], category: Category) -> tuple[list[int], int]:
    """Missing memberships are created as set by hand; rule-made ones become set by hand too, so
    the daily recalculation no longer takes them away. Answers (joined ids, rule rows kept by hand)."""
    joined: list[int] = []
    made_manual = 0
    now = timezone.now()
    for chunk in _chunks(ids):
        links = ClientCategory.objects.filter(category=category, client_id__in=chunk)
        made_manual += links.filter(by_rule=True).update(by_rule=False)
        have = set(links.values_list("client_id", flat=True))
        new = [pk for pk in chunk if pk not in have]
        ClientCategory.objects.bulk_create(
            [ClientCategory(client_id=pk, category=category, by_rule=False, added_at=now) for pk in new],
            batch_size=STATEMENT_IDS, ignore_conflicts=True,  # a recalculation may add one meanwhile
        )
        joined += new
    return joined, made_manual


def _category_remove(ids: list[int], category: Category) -> list[int]:
    """Removed whatever set them; a rule category's recalculation adds back those still matching."""
    left: list[int] = []
    for chunk in _chunks(ids):
        links = ClientCategory.objects.filter(category=category, client_id__in=chunk)
        pks = list(links.order_by("client_id").values_list("client_id", flat=True))
        links.delete()
        left += pks
    return left


def _owner_set(ids: list[int], owner) -> tuple[list[int], dict[str, int]]:
    """One UPDATE per chunk; the owner's view/change permissions move like client_update moves them."""
    moved: list[int] = []
    previous: dict[int, list[int]] = defaultdict(list)
    now = timezone.now()
    for chunk in _chunks(ids):
        rows = list(Client.objects.filter(pk__in=chunk).exclude(owner_id=owner.pk).order_by("pk").values_list("pk", "owner_id"))
        if not rows:
            continue
        pks = [pk for pk, _old in rows]
        Client.objects.filter(pk__in=pks).update(owner_id=owner.pk, updated_at=now)
        held_by: dict[int, list[int]] = defaultdict(list)
        for pk, old in rows:
            held_by[old].append(pk)
            previous[old].append(pk)
        user_object_perms_move(Client, held_by, OWNER_PERMS, grant_to=owner.pk)
        moved += pks
    return moved, {str(user_id): len(pks) for user_id, pks in previous.items()}
