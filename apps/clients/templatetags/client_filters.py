from django import template

register = template.Library()


@register.filter
def custom_condition(custom: dict | None, key: str):
    """The list's current condition on one custom field (a value or {"gte": .., "lte": ..}), or None."""
    return (custom or {}).get(key)
