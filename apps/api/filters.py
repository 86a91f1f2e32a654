"""Filter building blocks shared by the API's lists."""
import django_filters
from django import forms


class StrictBooleanField(forms.TypedChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("", "")] + [(v, v) for v in ("true", "false", "1", "0")])
        kwargs["coerce"] = lambda value: value in ("true", "1")
        kwargs["empty_value"] = None
        super().__init__(*args, **kwargs)


class StrictBooleanFilter(django_filters.Filter):
    """true/false/1/0; anything else is a 400 naming the parameter (django-filter's own accepts
    any text as "unknown" and silently ignores it)."""

    field_class = StrictBooleanField
