"""What billing tells a company's owners, in the app and by e-mail (runs in the tenant's schema)."""
from django.utils.translation import gettext_lazy as _

from apps.notifications.models import Notification
from apps.notifications.services import Draft, notify_many

MESSAGES = {
    "billing.payment_failed": (
        _("A payment failed"),
        _("Stripe could not charge your card. Update it on the billing page to keep full access."),
    ),
    "billing.trial_will_end": (
        _("Your trial ends soon"),
        _("Choose a plan on the billing page to keep working without interruption."),
    ),
    "billing.subscription_canceled": (
        _("Your subscription has ended"),
        _("Your data is safe and readable. Subscribe again on the billing page to make changes."),
    ),
}


def owners_notify(*, kind: str, dedupe: str) -> list[int]:
    """Notify every active owner once per (kind, dedupe)."""
    from accounts.models import Role, User

    title, body = MESSAGES[kind]
    owners = User.objects.filter(is_active=True, groups__role__code=Role.Builtin.OWNER).values_list("pk", flat=True)
    return notify_many(
        [
            Draft(recipient_id=pk, kind=Notification.Kind.BILLING, title=str(title), body=str(body), url="/billing/", dedupe_key=f"{kind}:{dedupe}:{pk}")
            for pk in owners
        ]
    )
