"""Read-only companies: every write answers 402 with an upgrade link; reads and exports keep working.

The gate sits in front of every view of the tenant site, so an endpoint added later is covered
without doing anything (tests/billing/test_read_only.py walks the URL conf to prove it). The
status is read fresh from the database for writes only, so paying again restores writes at once
while reads cost nothing extra.
"""
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.api.errors import error_body
from billing.services.limits import UPGRADE_PATH
from tenants.models import Tenant

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

# Writes a read-only company still needs: signing in and out, its own password, API sign-in,
# the interface language, paying, and exporting its clients (it is its data; an export writes
# only its own job row and audit events).
WRITE_ALLOWED_URL_NAMES = {
    "client-export-list",
    "client-export-start",
    "login",
    "logout",
    "password_reset",
    "password_reset_confirm",
    "api-token",
    "set-language",
    "billing-checkout",
    "billing-portal",
}


def tenant_is_read_only(tenant) -> bool:
    return Tenant.objects.filter(pk=tenant.pk).values_list("status", flat=True).first() == Tenant.Status.READ_ONLY


class ReadOnlyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        tenant = getattr(request, "tenant", None)
        if request.method in SAFE_METHODS or tenant is None or tenant.schema_name == "public":
            return None
        match = request.resolver_match
        if match is not None and match.url_name in WRITE_ALLOWED_URL_NAMES:
            return None
        if not tenant_is_read_only(tenant):
            return None
        message = _("Your company's account is read-only because the subscription is not paid. Your data is safe: pay on the billing page to make changes again.")
        if request.path.startswith("/api/"):
            return JsonResponse(error_body("read_only", message, upgrade_url=UPGRADE_PATH), status=402)
        return render(request, "billing/read_only.html", {"message": message, "upgrade_url": UPGRADE_PATH}, status=402)
