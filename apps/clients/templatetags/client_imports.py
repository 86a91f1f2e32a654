from django import template

from accounts.permissions import is_manager

register = template.Library()


@register.filter
def can_import_clients(user) -> bool:
    """Managers, Admins and Owners may import clients."""
    return is_manager(user)
