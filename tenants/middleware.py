"""Selects the tenant (and its schema) from the request's host name.

Lookups are cached per process for TENANT_HOST_CACHE_SECONDS, so a request on a known host
changes the connection's search_path exactly once (bench/search_path.py counts it).
A host that names no tenant, or a suspended or deleted one, answers 404 like any missing page.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.models import Domain, Tenant

_host_cache: dict[str, tuple[float, Tenant | None]] = {}


def tenant_host_cache_clear() -> None:
    _host_cache.clear()


def tenant_for_host(hostname: str) -> Tenant | None:
    now = time.monotonic()
    hit = _host_cache.get(hostname)
    if hit and hit[0] > now:
        return hit[1]
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    tenant = domain.tenant if domain else None
    if len(_host_cache) > 10_000:
        _host_cache.clear()
    _host_cache[hostname] = (now + settings.TENANT_HOST_CACHE_SECONDS, tenant)
    return tenant


class TenantMiddleware(TenantMainMiddleware):
    def process_request(self, request):
        connection.set_schema_to_public()
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return self._not_found_json()
        tenant = tenant_for_host(hostname)
        if tenant is None or not tenant.serves_requests:
            return self.no_tenant_found(request, hostname)
        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(tenant)
        self.setup_url_routing(request)

    def process_response(self, request, response):
        # Nothing after the response may run in this tenant's schema by accident.
        connection.set_schema_to_public()
        return response

    def no_tenant_found(self, request, hostname):
        if request.path.startswith("/api/"):
            return self._not_found_json()
        raise Http404(_("There is no company at this address."))

    @staticmethod
    def _not_found_json():
        return JsonResponse({"code": "not_found", "message": _("Not found."), "fields": {}}, status=404)
