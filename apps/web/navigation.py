"""The staff app's navigation. Later features add their entries here."""
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_role, is_admin


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    admin_only: bool = False
    owner_only: bool = False


NAV_ITEMS = [
    NavItem(_("Home"), "home", "home"),
    NavItem(_("Board"), "board", "kanban"),
    NavItem(_("Clients"), "client-list", "users"),
    NavItem(_("Companies"), "company-list", "contact"),
    NavItem(_("Appeals"), "interaction-list", "bell"),
    NavItem(_("Deals"), "deal-table", "contact"),
    NavItem(_("My tasks"), "task-list", "check"),
    NavItem(_("Notifications"), "notification-list", "bell"),
    NavItem(_("Pipelines"), "pipelines", "settings", admin_only=True),
    NavItem(_("Team"), "team", "users", admin_only=True),
    NavItem(_("Custom fields"), "custom-fields", "settings", admin_only=True),
    NavItem(_("Billing"), "billing", "settings", owner_only=True),
    NavItem(_("API"), "api-docs", "code"),
]


def nav_for(request) -> list[dict]:
    from accounts.models import Role

    admin = is_admin(request.user)
    owner = has_role(request.user, Role.Builtin.OWNER)
    items = []
    for item in NAV_ITEMS:
        if (item.admin_only and not admin) or (item.owner_only and not owner):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": item.label, "url": url, "icon": item.icon, "active": active, "name": item.url_name})
    return items
