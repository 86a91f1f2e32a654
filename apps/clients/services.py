"""Writes for the client base: create, update, record who opened a card."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import is_manager, user_object_perms_set
from apps.api.errors import Conflict, DomainError, NotPermitted
from apps.audit.services import audit_record
from apps.clients.models import Client
from apps.clients.phones import default_region, phone_normalize
from apps.clients.search import search_text_of

EDITABLE_FIELDS = (
    "kind", "surname", "first_name", "patronymic", "company_name", "phones", "emails", "source", "birthday", "address",
    "tax_id", "registration_number", "bank_details", "tags", "notes", "consent_email", "consent_sms", "owner", "custom",
)


class ClientInvalid(DomainError):
    code = "validation_error"


class ClientDuplicate(Conflict):
    code = "duplicate"


class ClientEditConflict(Conflict):
    code = "edit_conflict"


def _clean(fields: dict) -> dict:
    errors: dict[str, list] = {}
    region = default_region()
    if "phones" in fields:
        phones = []
        for index, raw in enumerate(fields["phones"] or []):
            try:
                number = phone_normalize(raw, region)
            except ValidationError as exc:
                errors.setdefault(f"phones.{index}", []).extend(exc.error_list)
                continue
            if number not in phones:
                phones.append(number)
        fields["phones"] = phones
    if "emails" in fields:
        emails = []
        for index, raw in enumerate(fields["emails"] or []):
            email = (raw or "").strip().lower()
            try:
                validate_email(email)
            except ValidationError as exc:
                errors.setdefault(f"emails.{index}", []).extend(exc.error_list)
                continue
            if email not in emails:
                emails.append(email)
        fields["emails"] = emails
    if "tags" in fields:
        fields["tags"] = sorted({t.strip() for t in fields["tags"] or [] if t and t.strip()})
    if errors:
        raise ClientInvalid(_("Some fields need attention."), fields=errors)
    return fields


def _require_name(client: Client) -> None:
    if client.kind == Client.Kind.COMPANY and not client.company_name.strip():
        raise ClientInvalid(_("A company needs a name."), fields={"company_name": [ValidationError(_("Required for a company."), code="required")]})
    if client.kind == Client.Kind.PERSON and not (client.surname.strip() or client.first_name.strip()):
        raise ClientInvalid(_("Enter the person's surname or first name."), fields={"surname": [ValidationError(_("Enter a surname or a first name."), code="required")]})


def client_duplicates(*, phones: list[str], emails: list[str], exclude_id: int | None = None):
    """Clients that already have one of these phones or e-mails (GIN-indexed array overlap)."""
    from django.db.models import Q

    condition = Q()
    if phones:
        condition |= Q(phones__overlap=phones)
    if emails:
        condition |= Q(emails__overlap=emails)
    if not condition:
        return Client.objects.none()
    found = Client.objects.filter(condition)
    return found.exclude(pk=exclude_id) if exclude_id else found


def _duplicate_error(duplicates) -> ClientDuplicate:
    existing = [{"id": c.pk, "name": c.display_name} for c in duplicates[:5]]
    return ClientDuplicate(
        _("A client with this phone or e-mail already exists. Open the existing card, or confirm to create another."),
        extra={"duplicates": existing},
    )


def client_prepare(*, actor, definitions=None, **fields) -> Client:
    """An unsaved card checked as `client_create` checks it (phones, e-mails, tags, custom values, who
    may own it, a name), with its search text; no duplicate check. For writers that save many cards
    at once (the import); `definitions` (the custom fields) spares a query per card."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not client fields: {sorted(unknown)}")
    fields = _clean(dict(fields))
    from apps.clients.custom_fields.services import custom_values_clean  # it imports this module

    custom = custom_values_clean(values=fields.pop("custom", None) or {}, kind=fields.get("kind") or Client.Kind.PERSON, creating=True,
                                 definitions=definitions)
    fields["custom"] = {key: value for key, value in custom.items() if value is not None}
    owner = fields.pop("owner", None) or actor
    if owner.pk != actor.pk and not is_manager(actor):
        raise NotPermitted(_("Only a manager can create clients for someone else."))
    client = Client(owner=owner, created_by=actor, **fields)
    _require_name(client)
    client.search_text = search_text_of(client)
    return client


@transaction.atomic
def client_create(*, actor, allow_duplicate: bool = False, **fields) -> Client:
    """A new client card owned by `owner` (the actor by default). A phone or e-mail that is already
    on a card raises ClientDuplicate naming it, unless `allow_duplicate`."""
    client = client_prepare(actor=actor, **fields)
    if not allow_duplicate:
        duplicates = list(client_duplicates(phones=client.phones, emails=client.emails))
        if duplicates:
            raise _duplicate_error(duplicates)
    client.save()
    user_object_perms_set(client, ["clients.view_client", "clients.change_client"], grant_to=client.owner_id)
    created = {"name": client.display_name, "owner": client.owner_id}
    if client.custom:
        created["custom"] = client.custom
    audit_record(action="client.created", actor=actor, target=client, changes=created)
    return client


@transaction.atomic
def client_update(*, client: Client, actor, allow_duplicate: bool = False, expected_updated_at=None, **fields) -> Client:
    """Change the given fields of a card. With `expected_updated_at` (when the editor opened it),
    a card someone else saved in between raises ClientEditConflict instead of overwriting them."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not client fields: {sorted(unknown)}")
    client = Client.objects.select_for_update().get(pk=client.pk)
    if expected_updated_at is not None and client.updated_at != expected_updated_at:
        raise ClientEditConflict(
            _("Someone saved this card while you were editing it. Open it again to see their changes, then make yours."),
        )
    if "owner" in fields and getattr(fields["owner"], "pk", None) != client.owner_id and not is_manager(actor):
        # The same rule as client_create and the bulk owner_set: staff may edit a card, not give it away.
        raise NotPermitted(_("Only a manager can give a client to another owner."))
    old_owner = client.owner_id
    contacts_before = {name: list(getattr(client, name)) for name in ("phones", "emails") if name in fields}
    changes = client_changes_apply(client=client, **fields)
    if not allow_duplicate and contacts_before:
        new_phones = [p for p in client.phones if p not in contacts_before.get("phones", [])]
        new_emails = [e for e in client.emails if e not in contacts_before.get("emails", [])]
        duplicates = list(client_duplicates(phones=new_phones, emails=new_emails, exclude_id=client.pk))
        if duplicates:
            raise _duplicate_error(duplicates)
    client.save()
    if client.owner_id != old_owner:
        user_object_perms_set(client, ["clients.view_client", "clients.change_client"], grant_to=client.owner_id, revoke_from=old_owner)
    if changes:
        audit_record(action="client.updated", actor=actor, target=client, changes=changes)
    return client


def client_changes_apply(*, client: Client, **fields) -> dict:
    """Set `fields` on `client` without saving, checked as `client_update` checks them (phones, e-mails
    and tags cleaned, the given custom keys merged into the card's, a name kept) and its search text
    recomputed: {field: [before, after]} of what changed. Raises ClientInvalid (the card may then be
    half changed)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not client fields: {sorted(unknown)}")
    fields = _clean(dict(fields))
    if "custom" in fields:
        from apps.clients.custom_fields.services import custom_values_merge  # it imports this module

        # Only the given keys change: a partial update of one custom value keeps the others.
        fields["custom"] = custom_values_merge(current=client.custom, values=fields["custom"], kind=fields.get("kind") or client.kind)
    before = {name: _plain(getattr(client, name)) for name in fields}
    for name, value in fields.items():
        setattr(client, name, value)
    _require_name(client)
    client.search_text = search_text_of(client)
    changes = {name: [before[name], _plain(getattr(client, name))] for name in fields if before[name] != _plain(getattr(client, name))}
    if "custom" in changes:
        from apps.clients.custom_fields.services import custom_values_diff

        changes["custom"] = custom_values_diff(*changes["custom"])
    return changes


def _plain(value):
    if hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@transaction.atomic
def client_view_record(*, client: Client, actor) -> None:
    """"Who viewed this client": opening a card is an audit event."""
    audit_record(action="client.viewed", actor=actor, target=client)


class ClientMergeInvalid(DomainError):
    code = "merge_invalid"


def _merge_relations(*, keep: Client, merge: Client) -> dict:
    """Family, company links and categories of `merge` move to `keep`; links `keep` already has win."""
    from apps.clients.models import ClientCategory, CompanyContact, FamilyMember

    moved = {"family": FamilyMember.objects.filter(client=merge).update(client=keep)}
    CompanyContact.objects.filter(person=merge, company__in=CompanyContact.objects.filter(person=keep).values("company")).delete()
    CompanyContact.objects.filter(company=merge, person__in=CompanyContact.objects.filter(company=keep).values("person")).delete()
    CompanyContact.objects.filter(company=merge, person=keep).delete()
    CompanyContact.objects.filter(company=keep, person=merge).delete()
    moved["company_links"] = CompanyContact.objects.filter(person=merge).update(person=keep) + CompanyContact.objects.filter(company=merge).update(company=keep)
    ClientCategory.objects.filter(client=merge, category__in=ClientCategory.objects.filter(client=keep).values("category")).delete()
    moved["categories"] = ClientCategory.objects.filter(client=merge).update(client=keep)
    return moved


@transaction.atomic
def client_merge(*, keep: Client, merge: Client, actor) -> Client:
    """Fold `merge` into `keep`: its appeals and deals move over, phones, e-mails and tags are
    united, blank fields and missing custom values are filled from it, its owner keeps access, and the card is deleted.
    Managers only; audited with what moved."""
    from apps.clients.attachments.models import Attachment
    from apps.deals.models import Deal

    if not is_manager(actor):
        raise NotPermitted(_("Only a manager can merge client cards."))
    if keep.pk == merge.pk:
        raise ClientMergeInvalid(_("Choose two different clients."), fields={"other": [ValidationError(_("The same client."), code="same")]})
    keep, merge = (Client.objects.select_for_update().get(pk=pk) for pk in (keep.pk, merge.pk))
    moved = {"deals": Deal.objects.filter(client=merge).update(client=keep)}
    try:
        from apps.interactions.models import Interaction
    except ImportError:  # pragma: no cover - the appeal log is installed with the client base
        Interaction = None
    if Interaction is not None:
        moved["appeals"] = Interaction.objects.filter(client=merge).update(client=keep)
    # Files keep their stored names: same company, same folder; only the card they hang on changes.
    moved["attachments"] = Attachment.objects.filter(client=merge).update(client=keep)
    moved.update(_merge_relations(keep=keep, merge=merge))
    for name in ("phones", "emails", "tags"):
        setattr(keep, name, list(dict.fromkeys([*getattr(keep, name), *getattr(merge, name)])))
    filled = []
    for name in ("surname", "first_name", "patronymic", "company_name", "source", "birthday", "address", "tax_id",
                 "registration_number", "bank_details"):
        if not getattr(keep, name) and getattr(merge, name):
            setattr(keep, name, getattr(merge, name))
            filled.append(name)
    for key, value in (merge.custom or {}).items():
        if key not in (keep.custom or {}):
            keep.custom = {**(keep.custom or {}), key: value}
            filled.append(f"custom.{key}")
    if merge.notes:
        keep.notes = f"{keep.notes}\n\n{merge.notes}".strip()
    keep.consent_email = keep.consent_email or merge.consent_email
    keep.consent_sms = keep.consent_sms or merge.consent_sms
    keep.search_text = search_text_of(keep)
    merged_id, merged_name, merged_owner = merge.pk, merge.display_name, merge.owner_id
    merge.delete()
    keep.save()
    if merged_owner != keep.owner_id:
        user_object_perms_set(keep, ["clients.view_client", "clients.change_client"], grant_to=merged_owner)
    audit_record(
        action="client.merged",
        actor=actor,
        target=keep,
        changes={"merged": {"id": merged_id, "name": merged_name}, "moved": moved, "filled": filled},
    )
    return keep


@transaction.atomic
def client_note_add(*, client: Client, actor, text: str):
    """A dated note on the card's timeline."""
    from apps.clients.models import ClientNote

    text = (text or "").strip()
    if not text:
        raise ClientInvalid(_("Write the note first."), fields={"text": [ValidationError(_("Enter a note."), code="required")]})
    if len(text) > 5000:
        raise ClientInvalid(_("A note is at most 5,000 characters."), fields={"text": [ValidationError(_("Too long."), code="max_length")]})
    note = ClientNote.objects.create(client=client, author=actor, text=text)
    audit_record(action="client.note_added", actor=actor, target=client, changes={"note": note.pk})
    return note
