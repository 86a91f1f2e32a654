"""The client list's export button and bulk bar."""
from django import template

from accounts.permissions import is_manager
from apps.clients.exports.services import can_export_clients as _can_export

register = template.Library()


@register.filter
def can_export_clients(user) -> bool:
    """Managers, and anyone granted "clients.export_client" (see apps.clients.exports.services)."""
    return _can_export(user)


@register.inclusion_tag("clients/bulk_bar.html", takes_context=True)
def client_bulk_bar(context):
    """The bar's choices: for managers the categories and the colleagues who can own clients."""
    from accounts.models import User
    from apps.clients.models import Category

    request = context["request"]
    manager = is_manager(request.user)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "categories": list(Category.objects.only("pk", "name")) if manager else [],
        "owners": list(User.objects.filter(is_active=True).only("pk", "full_name", "email")) if manager else [],
        "can_export": _can_export(request.user),
    }
