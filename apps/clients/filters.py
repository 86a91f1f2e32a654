"""Client filters: one validated spec shared by the list, saved segments, rule-based categories,
bulk actions and exports.

A spec is a dict; every key is optional and all given keys must hold (AND):

    {"search": "шевч", "kind": "person", "owner": [3], "source": [1], "tags": ["vip"],
     "category": [2], "created_after": "2026-01-01", "created_before": "2026-06-30",
     "birthday_month": 5, "consent_email": true, "consent_sms": false,
     "has_phone": true, "has_email": false,
     "won_amount_gte": "10000", "won_amount_lte": "50000", "deals_won_gte": 2,
     "last_contact_after": "2026-01-01", "last_contact_before": "2026-03-01", "no_contact_days": 90,
     "custom": {"windows": {"gte": 3}, "skin_type": "dry", "vip_card": true}}

`tags` and `category` match any of the given values. Won amounts add up won deals in every
currency (companies in this product bill in one currency; documented in docs/decisions.md).
"""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.api.errors import DomainError
from apps.clients.models import Client, ClientCategory, CustomField

_RANGE_KEYS = {"gte", "lte"}
_KEY = re.compile(r"[-a-zA-Z0-9_]{1,50}")


class FilterInvalid(DomainError):
    code = "validation_error"


class ClientFilterSerializer(serializers.Serializer):
    search = serializers.CharField(max_length=100, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Client.Kind.choices, required=False)
    owner = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=50, required=False)
    source = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=50, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), max_length=30, required=False)
    category = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=50, required=False)
    created_after = serializers.DateField(required=False)
    created_before = serializers.DateField(required=False)
    birthday_month = serializers.IntegerField(min_value=1, max_value=12, required=False)
    consent_email = serializers.BooleanField(required=False)
    consent_sms = serializers.BooleanField(required=False)
    has_phone = serializers.BooleanField(required=False)
    has_email = serializers.BooleanField(required=False)
    won_amount_gte = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)
    won_amount_lte = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)
    deals_won_gte = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    last_contact_after = serializers.DateField(required=False)
    last_contact_before = serializers.DateField(required=False)
    no_contact_days = serializers.IntegerField(min_value=1, max_value=36500, required=False)
    custom = serializers.DictField(required=False)

    def validate_custom(self, value: dict) -> dict:
        # Only slug-like keys reach the query (a NUL or odd character would be a database error).
        keys = [key for key in value if isinstance(key, str) and _KEY.fullmatch(key)]
        definitions = {f.key: f for f in CustomField.objects.filter(key__in=keys, is_active=True)}
        cleaned, errors = {}, {}
        for key, condition in value.items():
            field = definitions.get(key)
            if field is None:
                errors[key] = [_("Unknown field.")]
                continue
            try:
                cleaned[key] = _custom_condition(field, condition)
            except DjangoValidationError as exc:
                errors[key] = exc.messages
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


def _custom_value(field: CustomField, value):
    if field.type == CustomField.Type.NUMBER:
        try:
            number = Decimal(str(value))
            # Bounded before int(): int() of "1e1000000" would take the worker for half a minute.
            if not number.is_finite() or abs(number) >= 10**15:
                raise DjangoValidationError(_("Enter a number below 10^15."))
        except ArithmeticError:
            raise DjangoValidationError(_("Enter a number below 10^15.")) from None
        return int(number) if number == number.to_integral_value() else float(number)
    if field.type == CustomField.Type.DATE:
        from datetime import date

        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise DjangoValidationError(_("Enter a date as YYYY-MM-DD.")) from None
    if field.type == CustomField.Type.BOOLEAN:
        if isinstance(value, bool):
            return value
        if str(value).lower() in {"true", "1", "yes"}:
            return True
        if str(value).lower() in {"false", "0", "no"}:
            return False
        raise DjangoValidationError(_("Enter true or false."))
    if field.type == CustomField.Type.CHOICE:
        if value not in field.choices:
            raise DjangoValidationError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(field.choices)})
        return value
    text = str(value).strip()
    if "\x00" in text:
        raise DjangoValidationError(_("Remove the null character."))
    if not text or len(text) > 200:
        raise DjangoValidationError(_("Enter up to 200 characters."))
    return text


def _custom_condition(field: CustomField, condition):
    """A value (equality) or, for numbers and dates, {"gte": x, "lte": y}; text always matches a
    part, case-insensitively, and is kept as {"contains": text}."""
    if field.type == CustomField.Type.TEXT:
        if isinstance(condition, dict):
            if set(condition) != {"contains"}:
                raise DjangoValidationError(_("Enter a value."))
            condition = condition["contains"]
        if condition is None or isinstance(condition, (list, dict)):
            raise DjangoValidationError(_("Enter a value."))
        return {"contains": _custom_value(field, condition)}
    if isinstance(condition, dict):
        if field.type not in {CustomField.Type.NUMBER, CustomField.Type.DATE}:
            raise DjangoValidationError(_("Ranges work for numbers and dates only."))
        if not condition or set(condition) - _RANGE_KEYS:
            raise DjangoValidationError(_("Use gte and lte."))
        return {op: _custom_value(field, value) for op, value in condition.items()}
    if condition is None or isinstance(condition, (list, dict)):
        raise DjangoValidationError(_("Enter a value."))
    return _custom_value(field, condition)


def filter_spec_clean(raw: dict | None, *, field: str = "filters") -> dict:
    """A validated spec, or FilterInvalid naming each bad key ("<field>.<key>")."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FilterInvalid(_("Filters must be an object."), fields={field: [DjangoValidationError(_("Filters must be an object."), code="invalid")]})
    data = ClientFilterSerializer(data=raw)
    if not data.is_valid():
        fields = {f"{field}.{key}": [DjangoValidationError(str(m), code=getattr(m, "code", "invalid")) for m in _flatten(messages)] for key, messages in data.errors.items()}
        raise FilterInvalid(_("Some filters need attention."), fields=fields)
    unknown = set(raw) - set(ClientFilterSerializer().fields)
    if unknown:
        raise FilterInvalid(_("Some filters need attention."), fields={f"{field}.{key}": [DjangoValidationError(_("Unknown filter."), code="unknown")] for key in sorted(unknown)})
    return _plain(dict(data.validated_data))


def _flatten(messages):
    if isinstance(messages, dict):
        for value in messages.values():
            yield from _flatten(value)
    elif isinstance(messages, list):
        for value in messages:
            yield from _flatten(value)
    else:
        yield messages


def _plain(spec: dict) -> dict:
    """JSON-storable: dates as ISO strings, decimals as strings (segments and categories keep specs)."""
    out = {}
    for key, value in spec.items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def filter_spec_from_query(params) -> dict:
    """A spec from URL query parameters (lists repeat the key: ?tags=a&tags=b); not yet validated."""
    list_keys = {"owner", "source", "tags", "category"}
    spec: dict = {}
    for key in ClientFilterSerializer().fields:
        if key == "custom":
            continue
        if key in list_keys:
            values = [v for v in params.getlist(key) if v != ""]
            if values:
                spec[key] = values
        elif params.get(key, "") != "":
            spec[key] = params.get(key)
    custom = {}
    for name in params:
        # ?custom.windows=3 or ?custom.windows.gte=3
        if name.startswith("custom.") and params.get(name, "") != "":
            parts = name.split(".")
            if len(parts) == 2:
                custom[parts[1]] = params.get(name)
            elif len(parts) == 3 and parts[2] in _RANGE_KEYS:
                custom.setdefault(parts[1], {})
                if isinstance(custom[parts[1]], dict):
                    custom[parts[1]][parts[2]] = params.get(name)
    if custom:
        spec["custom"] = custom
    return spec


def _won_deals_by_client():
    from apps.deals.models import Deal

    return Deal.objects.filter(outcome=Deal.Outcome.WON, client__isnull=False).order_by().values("client_id")


def client_filter(queryset: QuerySet[Client], spec: dict) -> QuerySet[Client]:
    """`queryset` narrowed by a cleaned spec (filter_spec_clean); search is left to the caller,
    which knows whether it wants a sorted list or the search box's top matches."""
    from apps.interactions.models import Interaction

    q = Q()
    if "kind" in spec:
        q &= Q(kind=spec["kind"])
    if spec.get("owner"):
        q &= Q(owner_id__in=spec["owner"])
    if spec.get("source"):
        q &= Q(source_id__in=spec["source"])
    if spec.get("tags"):
        q &= Q(tags__overlap=spec["tags"])
    if spec.get("category"):
        q &= Q(Exists(ClientCategory.objects.filter(client=OuterRef("pk"), category_id__in=spec["category"])))
    if "created_after" in spec:
        q &= Q(created_at__date__gte=spec["created_after"])
    if "created_before" in spec:
        q &= Q(created_at__date__lte=spec["created_before"])
    if "birthday_month" in spec:
        q &= Q(birthday__month=spec["birthday_month"])
    for flag in ("consent_email", "consent_sms"):
        if flag in spec:
            q &= Q(**{flag: spec[flag]})
    if "has_phone" in spec:
        q &= ~Q(phones=[]) if spec["has_phone"] else Q(phones=[])
    if "has_email" in spec:
        q &= ~Q(emails=[]) if spec["has_email"] else Q(emails=[])
    for key, condition in (spec.get("custom") or {}).items():
        if isinstance(condition, dict):
            # jsonb compares numbers numerically and ISO dates as strings, which is date order.
            for op, value in condition.items():
                lookup = "icontains" if op == "contains" else op
                q &= Q(**{f"custom__{key}__{lookup}": value})
        else:
            q &= Q(custom__contains={key: condition})
    # Totals are semi-joins against grouped won deals and appeals, not a per-client subquery:
    # PostgreSQL hashes the (few) won deals once instead of probing them for each of a million
    # clients (docs/performance.md).
    won = _won_deals_by_client()
    if "won_amount_gte" in spec:
        q &= Q(pk__in=won.annotate(total=Sum("amount")).filter(total__gte=Decimal(spec["won_amount_gte"])).values("client_id"))
    if "won_amount_lte" in spec:
        q &= ~Q(pk__in=won.annotate(total=Sum("amount")).filter(total__gt=Decimal(spec["won_amount_lte"])).values("client_id"))
    if spec.get("deals_won_gte"):
        q &= Q(pk__in=won.annotate(n=Count("pk")).filter(n__gte=spec["deals_won_gte"]).values("client_id"))
    appeals = Interaction.objects.filter(client=OuterRef("pk"))
    if "last_contact_after" in spec:
        q &= Q(Exists(appeals.filter(occurred_at__date__gte=spec["last_contact_after"])))
    if "last_contact_before" in spec:
        q &= Q(Exists(appeals)) & ~Q(Exists(appeals.filter(occurred_at__date__gt=spec["last_contact_before"])))
    if "no_contact_days" in spec:
        # Never contacted counts as "no contact for N days".
        since = timezone.now() - timedelta(days=spec["no_contact_days"])
        q &= ~Q(Exists(appeals.filter(occurred_at__gte=since)))
    return queryset.filter(q)



def filter_spec_with_segment(user, params) -> tuple[dict, object | None]:
    """The spec a list asks for in its query string, with a saved segment's filters folded in
    (?segment=<id>; explicit filters win). FilterInvalid when either is bad."""
    from apps.clients.selectors import segment_list_visible_to

    raw = filter_spec_from_query(params)
    segment = None
    segment_id = str(params.get("segment", "") or "")
    if segment_id:
        pk = int(segment_id) if segment_id.isascii() and segment_id.isdigit() and len(segment_id) <= 18 else 0
        segment = segment_list_visible_to(user).filter(pk=pk).first()
        if segment is None:
            raise FilterInvalid(_("Unknown segment."), fields={"segment": [DjangoValidationError(_("Unknown segment."), code="not_found")]})
        raw = {**segment.filters, **raw}
    return filter_spec_clean(raw), segment


def filter_spec_of_list(user, params) -> tuple[dict, object | None]:
    """The spec and segment a client list shows for its query string: the filters, a segment
    folded in, and the search box `q` (which wins over a segment's search word)."""
    spec, segment = filter_spec_with_segment(user, params)
    query = (params.get("q", "") or "").strip()
    if query:
        spec["search"] = query[:100]
    return spec, segment
