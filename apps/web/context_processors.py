from django.conf import settings

from accounts.permissions import is_admin
from apps.web.navigation import nav_for


def shell(request) -> dict:
    tenant = getattr(request, "tenant", None)
    on_tenant = tenant is not None and tenant.schema_name != "public"
    user = getattr(request, "user", None)
    signed_in = on_tenant and user is not None and user.is_authenticated
    unread = 0
    banner = None
    if signed_in:
        from billing.selectors import billing_banner

        banner = billing_banner(tenant)
        from apps.notifications.models import Notification

        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {
        "unread_notifications": unread,
        "billing_banner": banner,
        "tenant": tenant if on_tenant else None,
        "nav_items": nav_for(request) if signed_in else [],
        "is_tenant_admin": signed_in and is_admin(user),
        "languages": settings.LANGUAGES,
        "base_domain": settings.BASE_DOMAIN,
    }
