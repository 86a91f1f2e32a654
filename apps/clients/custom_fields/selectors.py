"""Reads for custom fields: the definitions (one query) and a card's values ready to show."""
from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from apps.clients.models import CustomField


def custom_field_list(*, active_only: bool = False) -> QuerySet[CustomField]:
    """The company's fields in their order (position, then creation)."""
    fields = CustomField.objects.order_by("position", "id")
    return fields.filter(is_active=True) if active_only else fields


def custom_fields_for_kind(kind: str | None) -> list[CustomField]:
    """Active fields a client of `kind` ("person" / "company") may hold; every active field when
    the kind is not known yet (a new-client form before it is submitted)."""
    fields = list(custom_field_list(active_only=True))
    if kind is None:
        return fields
    return [f for f in fields if f.applies_to in (CustomField.AppliesTo.ALL, kind)]


def custom_values_shown(custom: dict, definitions: list[CustomField]) -> list[dict]:
    """[{"key", "label", "type", "value"}] for a card: the active fields that have a value, in their
    order; a date comes back as a `date` so templates format it in the reader's language."""
    custom = custom or {}
    shown = []
    for field in definitions:
        if not field.is_active or field.key not in custom:
            continue
        value = custom[field.key]
        if field.type == CustomField.Type.DATE and isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                pass  # shown as stored
        shown.append({"key": field.key, "label": field.label, "type": field.type, "value": value})
    return shown
