"""A client's family and a company's people: add, change, remove; each change is audited on the card."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.clients.models import Client, CompanyContact, FamilyMember
from apps.clients.services import ClientInvalid

FAMILY_FIELDS = ("name", "relation", "birthday", "notes")


def _family_clean(fields: dict) -> dict:
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise ClientInvalid(_("Enter the relative's name."), fields={"name": [ValidationError(_("Enter a name."), code="required")]})
    birthday = fields.get("birthday")
    if birthday and birthday > date.today():
        raise ClientInvalid(_("A birthday cannot be in the future."), fields={"birthday": [ValidationError(_("In the future."), code="invalid")]})
    return fields


@transaction.atomic
def family_member_add(*, client: Client, actor, name: str, relation: str = FamilyMember.Relation.OTHER, birthday: date | None = None, notes: str = "") -> FamilyMember:
    fields = _family_clean({"name": name, "relation": relation, "birthday": birthday, "notes": notes or ""})
    member = FamilyMember.objects.create(client=client, **fields)
    audit_record(action="client.family_added", actor=actor, target=client, changes={"member": member.pk, "relation": member.relation})
    return member


@transaction.atomic
def family_member_update(*, member: FamilyMember, actor, **fields) -> FamilyMember:
    unknown = set(fields) - set(FAMILY_FIELDS)
    if unknown:
        raise ValueError(f"not family fields: {sorted(unknown)}")
    fields = _family_clean(dict(fields))
    for name, value in fields.items():
        setattr(member, name, value if value is not None or name == "birthday" else "")
    member.save()
    audit_record(action="client.family_updated", actor=actor, target=member.client, changes={"member": member.pk, "fields": sorted(fields)})
    return member


@transaction.atomic
def family_member_remove(*, member: FamilyMember, actor) -> None:
    audit_record(action="client.family_removed", actor=actor, target=member.client, changes={"member": member.pk})
    member.delete()


class ContactInvalid(ClientInvalid):
    pass


@transaction.atomic
def company_contact_set(*, company: Client, person: Client, actor, position: str = "", is_primary: bool = False) -> CompanyContact:
    """`person` works at `company` as `position`; adding them again changes the position. One main
    contact per company: marking one demotes the previous."""
    if company.kind != Client.Kind.COMPANY:
        raise ContactInvalid(_("People can be added to companies only."), fields={"company": [ValidationError(_("Not a company."), code="invalid")]})
    if person.kind != Client.Kind.PERSON:
        raise ContactInvalid(_("Choose a person, not a company."), fields={"person": [ValidationError(_("Not a person."), code="invalid")]})
    position = (position or "").strip()[:100]
    if is_primary:
        CompanyContact.objects.filter(company=company, is_primary=True).exclude(person=person).update(is_primary=False)
    contact, created = CompanyContact.objects.update_or_create(
        company=company, person=person, defaults={"position": position, "is_primary": is_primary}
    )
    audit_record(
        action="company.contact_added" if created else "company.contact_updated",
        actor=actor,
        target=company,
        changes={"person": person.pk, "position": position, "is_primary": is_primary},
    )
    return contact


@transaction.atomic
def company_contact_remove(*, contact: CompanyContact, actor) -> None:
    audit_record(action="company.contact_removed", actor=actor, target=contact.company, changes={"person": contact.person_id})
    contact.delete()
