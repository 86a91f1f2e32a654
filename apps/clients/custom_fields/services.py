"""Writes for custom fields: definitions (admins only, audited) and the one check of their values.

A definition's `key` and `type` never change once created: values are stored under the key in
`Client.custom` (jsonb) in the type's shape, so renaming the key or changing the type would orphan or
misread every stored value. The label, choices (added or unused ones removed), who it applies to,
whether it is required and its position may change; deactivating hides the field and keeps its values.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.permissions import is_admin
from apps.api.errors import DomainError, NotPermitted
from apps.audit.services import audit_record, diff
from apps.clients.models import Client, CustomField
from apps.clients.services import ClientInvalid

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")
KEY_MAX = CustomField._meta.get_field("key").max_length
LABEL_MAX = CustomField._meta.get_field("label").max_length
CHOICE_MAX = 100
CHOICES_MAX = 200
POSITION_MAX = 32767
TEXT_MAX = 1000
# Beyond 2**53 a JSON number loses digits in JavaScript; nobody counts windows that far.
NUMBER_LIMIT = Decimal(10) ** 15
UPDATABLE = ("label", "choices", "applies_to", "required", "position", "is_active")
IMMUTABLE = ("key", "type")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CustomFieldInvalid(DomainError):
    code = "validation_error"


class CustomFieldNotAllowed(NotPermitted):
    pass


def _error(message: str, code: str = "invalid") -> list[ValidationError]:
    return [ValidationError(message, code=code)]


def _require_admin(actor) -> None:
    if not is_admin(actor):
        raise CustomFieldNotAllowed(_("Only admins and owners can change the custom fields."))


def _has_nul(text: str) -> bool:
    return "\x00" in text


def _clean_label(label, errors: dict) -> str:
    label = label.strip() if isinstance(label, str) else ""
    if not label:
        errors["label"] = _error(_("Enter a label."), "required")
    elif len(label) > LABEL_MAX or _has_nul(label):
        errors["label"] = _error(_("At most %(limit)s characters.") % {"limit": LABEL_MAX}, "max_length")
    return label


def _clean_choices(choices, type_: str, errors: dict) -> list[str]:
    if choices is None:
        choices = []
    if isinstance(choices, str) or not isinstance(choices, (list, tuple)):
        errors["choices"] = _error(_("Give the choices as a list."))
        return []
    cleaned: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(choices):
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            errors.setdefault(f"choices.{index}", []).extend(_error(_("A choice cannot be blank."), "blank"))
        elif len(text) > CHOICE_MAX or _has_nul(text):
            errors.setdefault(f"choices.{index}", []).extend(_error(_("At most %(limit)s characters.") % {"limit": CHOICE_MAX}, "max_length"))
        elif text.casefold() in seen:
            errors.setdefault(f"choices.{index}", []).extend(_error(_("%(choice)s is listed twice.") % {"choice": text}, "duplicate"))
        else:
            seen.add(text.casefold())
            cleaned.append(text)
    if type_ == CustomField.Type.CHOICE:
        if not choices:
            errors["choices"] = _error(_("A choice field needs at least one choice."), "required")
        elif len(choices) > CHOICES_MAX:
            errors["choices"] = _error(_("At most %(limit)s choices.") % {"limit": CHOICES_MAX}, "max_length")
    elif choices and type_ in CustomField.Type.values:
        errors["choices"] = _error(_("Only a choice field has choices."))
    return cleaned


def _check_small_fields(values: dict, errors: dict) -> None:
    if "applies_to" in values and values["applies_to"] not in CustomField.AppliesTo.values:
        errors["applies_to"] = _error(_("Choose people, companies or both."), "invalid_choice")
    if "required" in values and not isinstance(values["required"], bool):
        errors["required"] = _error(_("Must be true or false."))
    if "is_active" in values and not isinstance(values["is_active"], bool):
        errors["is_active"] = _error(_("Must be true or false."))
    if "position" in values:
        position = values["position"]
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= POSITION_MAX:
            errors["position"] = _error(_("A whole number from 0 to %(limit)s.") % {"limit": POSITION_MAX})


def _definition(field: CustomField) -> dict:
    return {
        "key": field.key, "label": field.label, "type": field.type, "choices": list(field.choices),
        "applies_to": field.applies_to, "required": field.required, "position": field.position, "is_active": field.is_active,
    }


@transaction.atomic
def custom_field_create(
    *, actor, key: str, label: str, type: str, choices=(), applies_to: str = "all", required: bool = False, position: int = 0
) -> CustomField:
    """A new field on client cards. Admins only; the key must be a free slug (lower case letters,
    digits, "-" and "_"), a choice field needs its choices."""
    _require_admin(actor)
    errors: dict[str, list] = {}
    key = key.strip().lower() if isinstance(key, str) else ""
    if not key:
        errors["key"] = _error(_("Enter a key."), "required")
    elif len(key) > KEY_MAX or not KEY_PATTERN.match(key):
        errors["key"] = _error(
            _("Use at most %(limit)s lower case Latin letters, digits, \"-\" and \"_\", starting with a letter.") % {"limit": KEY_MAX}
        )
    elif CustomField.objects.filter(key=key).exists():
        errors["key"] = _error(_("A field with this key exists (perhaps deactivated)."), "taken")
    label = _clean_label(label, errors)
    if type not in CustomField.Type.values:
        errors["type"] = _error(_("Choose text, number, date, choice or yes / no."), "invalid_choice")
    choices = _clean_choices(list(choices) if isinstance(choices, tuple) else choices, type, errors)
    _check_small_fields({"applies_to": applies_to, "required": required, "position": position}, errors)
    if errors:
        raise CustomFieldInvalid(_("Some fields need attention."), fields=errors)
    field = CustomField(key=key, label=label, type=type, choices=choices, applies_to=applies_to, required=required, position=position)
    try:
        with transaction.atomic():
            field.save()
    except IntegrityError:  # created by someone else a moment ago
        raise CustomFieldInvalid(
            _("Some fields need attention."), fields={"key": _error(_("A field with this key exists (perhaps deactivated)."), "taken")}
        ) from None
    audit_record(action="custom_field.created", actor=actor, target=field, changes=_definition(field))
    return field


@transaction.atomic
def custom_field_update(*, field: CustomField, actor, **changes) -> CustomField:
    """Change a field's label, choices, who it applies to, required, position or active state.
    The key and type cannot change; a choice still held by a client cannot be removed."""
    _require_admin(actor)
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    errors: dict[str, list] = {}
    immutable = {
        "key": _("The key cannot change: the values clients have are stored under it."),
        "type": _("The type cannot change: the values clients have are stored in its shape."),
    }
    for name in IMMUTABLE:
        if name in changes and changes[name] != getattr(field, name):
            errors[name] = _error(immutable[name], "immutable")
    unknown = set(changes) - set(UPDATABLE) - set(IMMUTABLE)
    if unknown:
        raise ValueError(f"not custom field settings: {sorted(unknown)}")
    before = _definition(field)
    if "label" in changes:
        field.label = _clean_label(changes["label"], errors)
    if "choices" in changes:
        choices = _clean_choices(changes["choices"], field.type, errors)
        if "choices" not in errors and not any(name.startswith("choices.") for name in errors):
            removed = [choice for choice in field.choices if choice not in choices]
            in_use = [choice for choice in removed if Client.objects.filter(custom__contains={field.key: choice}).exists()]
            if in_use:
                errors["choices"] = _error(
                    _("Clients still have %(choices)s; change their cards first, or keep the choice.")
                    % {"choices": ", ".join(f"“{c}”" for c in in_use)},
                    "in_use",
                )
        field.choices = choices
    _check_small_fields(changes, errors)
    if errors:
        raise CustomFieldInvalid(_("Some fields need attention."), fields=errors)
    for name in ("applies_to", "required", "position", "is_active"):
        if name in changes:
            setattr(field, name, changes[name])
    field.save()
    changed = diff(before, _definition(field))
    if changed:
        audit_record(action="custom_field.updated", actor=actor, target=field, changes=changed)
    return field


@transaction.atomic
def custom_field_deactivate(*, field: CustomField, actor) -> CustomField:
    """Hide the field from cards, forms and imports; the values stay on the clients (and in filters)."""
    _require_admin(actor)
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    if field.is_active:
        field.is_active = False
        field.save(update_fields=["is_active"])
        audit_record(action="custom_field.deactivated", actor=actor, target=field, changes={"key": field.key})
    return field


# Values ----------------------------------------------------------------------------------------

class _Bad(Exception):
    """One value refused; its message names why."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message, self.code = message, code


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(field: CustomField, value):
    if not isinstance(value, str):
        raise _Bad(_("Enter text."))
    value = value.strip()
    if len(value) > TEXT_MAX:
        raise _Bad(_("At most %(limit)s characters.") % {"limit": TEXT_MAX}, "max_length")
    if _has_nul(value):
        raise _Bad(_("Enter text without control characters."))
    return value


def _number(field: CustomField, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise _Bad(_("Enter a number."))
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise _Bad(_("Enter a number.")) from None
    if not number.is_finite():
        raise _Bad(_("Enter a number."))
    if abs(number) >= NUMBER_LIMIT:
        raise _Bad(_("Enter a number smaller than a quadrillion."), "max_value")
    # A JSON number either way, so range filters can cast it; whole numbers stay exact.
    if number == number.to_integral_value():
        return int(number)
    result = float(number)
    return result if math.isfinite(result) else int(number)


def _date(field: CustomField, value):
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise _Bad(_("Enter a date as YYYY-MM-DD."))


def _choice(field: CustomField, value):
    if isinstance(value, str):
        text = value.strip()
        if text in field.choices:
            return text
        folded = {choice.casefold(): choice for choice in field.choices}
        if text.casefold() in folded:
            return folded[text.casefold()]
    raise _Bad(_("Choose one of: %(choices)s.") % {"choices": ", ".join(field.choices)}, "invalid_choice")


def _boolean(field: CustomField, value):
    if isinstance(value, bool):
        return value
    raise _Bad(_("Must be true or false."))


_TYPES = {
    CustomField.Type.TEXT: _text,
    CustomField.Type.NUMBER: _number,
    CustomField.Type.DATE: _date,
    CustomField.Type.CHOICE: _choice,
    CustomField.Type.BOOLEAN: _boolean,
}


def applies(field: CustomField, kind: str) -> bool:
    return field.applies_to in (CustomField.AppliesTo.ALL, kind)


def custom_values_clean(
    *, values: dict, kind: str, creating: bool, current: dict | None = None, definitions: list[CustomField] | None = None
) -> dict:
    """`values` checked against the definitions: {key: stored value, or None to remove it}.

    Text is stripped (at most 1,000 characters); a number becomes a JSON int or float; a date an ISO
    string; a choice one of the field's choices; yes / no a JSON boolean. None or "" removes a value.
    On creation every required field that applies to `kind` needs a value; a required value cannot be
    removed later. A deactivated field's value may only be left as it is (`current`) or removed.
    Raises ClientInvalid naming every bad value ("custom.<key>")."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ClientInvalid(_("Some fields need attention."), fields={"custom": _error(_("Give the custom fields as an object."))})
    current = current or {}
    if definitions is None:
        definitions = list(CustomField.objects.all())
    by_key = {field.key: field for field in definitions}
    errors: dict[str, list] = {}
    cleaned: dict = {}
    for key, value in values.items():
        name = f"custom.{key}"
        field = by_key.get(key)
        if field is None:
            errors[name] = _error(_("There is no such field."), "unknown")
            continue
        if not field.is_active:
            if value is None or value == current.get(key):
                cleaned[key] = None if value is None else current[key]
            else:
                errors[name] = _error(_("This field is no longer in use."), "inactive")
            continue
        if _is_blank(value):
            if field.required and applies(field, kind):
                errors[name] = _error(_("%(label)s is required.") % {"label": field.label}, "required")
            else:
                cleaned[key] = None
            continue
        if not applies(field, kind):
            message = _("Only for people.") if field.applies_to == CustomField.AppliesTo.PERSON else _("Only for companies.")
            errors[name] = _error(message, "not_applicable")
            continue
        try:
            cleaned[key] = _TYPES[field.type](field, value)
        except _Bad as exc:
            errors[name] = _error(exc.message, exc.code)
    if creating:
        for field in definitions:
            if field.is_active and field.required and applies(field, kind) and field.key not in values:
                errors[f"custom.{field.key}"] = _error(_("%(label)s is required.") % {"label": field.label}, "required")
    if errors:
        raise ClientInvalid(_("Some custom fields need attention."), fields=errors)
    return cleaned


def custom_values_merge(*, current: dict, values: dict, kind: str) -> dict:
    """A card's custom values after an update: the given keys set or removed, the others untouched."""
    merged = dict(current or {})
    for key, value in custom_values_clean(values=values, kind=kind, creating=False, current=current).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def custom_values_diff(before: dict, after: dict) -> dict:
    """{key: [old, new]} for the custom values that changed (for the audit log)."""
    before, after = before or {}, after or {}
    return {key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)}
