from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def minutes_human(minutes) -> str:
    """480 -> "8 h", 90 -> "1 h 30 min", 45 -> "45 min" (SLA lengths in working time)."""
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%d min") % rest
    return (_("%d h") % hours) + ((" " + _("%d min") % rest) if rest else "")
