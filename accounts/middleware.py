"""Language and time zone for each request: the user's own, else the tenant's."""
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers


def _tenant_attr(request, name: str) -> str:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return ""
    return getattr(tenant, name, "") or ""


class UserLocaleMiddleware:
    """Replaces LocaleMiddleware. Order: the user's language, the language cookie (the switcher
    on the sign-in page), the tenant's language, the browser's Accept-Language, English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        available = dict(settings.LANGUAGES)
        user = getattr(request, "user", None)
        candidates = [
            getattr(user, "language", "") if user is not None and user.is_authenticated else "",
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
            _tenant_attr(request, "language"),
            translation.get_language_from_request(request),
        ]
        language = next((c for c in candidates if c in available), settings.LANGUAGE_CODE)
        translation.activate(language)
        request.LANGUAGE_CODE = language

        zone_name = (getattr(user, "time_zone", "") if user is not None and user.is_authenticated else "") or _tenant_attr(
            request, "time_zone"
        )
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone_name or "UTC"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response
