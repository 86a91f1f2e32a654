"""Phone numbers normalized to E.164 with `phonenumbers`, in the company's country by default."""
from __future__ import annotations

import time

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _


_countries: dict[str, tuple[float, str]] = {}
COUNTRY_CACHE_SECONDS = 60


def default_region() -> str | None:
    """The company's country: numbers written without "+" are read as local numbers there."""
    tenant = getattr(connection, "tenant", None)
    country = getattr(tenant, "country", "") or ""
    if not country and tenant is not None and connection.schema_name != "public":
        # Under schema_context the tenant is a stand-in without a country; an import asks per row.
        hit = _countries.get(connection.schema_name)
        if hit and hit[0] > time.monotonic():
            country = hit[1]
        else:
            from tenants.models import Tenant

            country = Tenant.objects.filter(schema_name=connection.schema_name).values_list("country", flat=True).first() or ""
            _countries[connection.schema_name] = (time.monotonic() + COUNTRY_CACHE_SECONDS, country)
    return country.upper() or None


def phone_normalize(raw: str, region: str | None = None) -> str:
    """E.164 ("+380671112233"), or ValidationError naming the number."""
    text = (raw or "").strip()
    try:
        number = phonenumbers.parse(text, region if not text.startswith("+") else None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("%(phone)s is not a phone number.") % {"phone": text}, code="invalid_phone") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("%(phone)s is not a possible phone number.") % {"phone": text}, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
