from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api import ratelimit
from apps.api.errors import DomainError
from apps.audit.context import client_ip
from tenants import services
from tenants.serializers import SignupResultSerializer, SignupSerializer

SIGNUP_WINDOW = 3600


class SignupThrottled(DomainError):
    code = "throttled"
    status_code = 429


def signup_rate_check(request) -> None:
    """Count a signup attempt from this client address; refuse past the hourly limit."""
    count = ratelimit.hit("signup", client_ip(request) or "unknown", SIGNUP_WINDOW)
    if count > settings.SIGNUPS_PER_ADDRESS_PER_HOUR:
        raise SignupThrottled(
            _("Too many signups from your address. Try again later."),
            extra={"retry_after": ratelimit.retry_after(SIGNUP_WINDOW)},
        )


def tenant_urls(request, result) -> dict:
    """The new tenant's address on the same scheme and port the visitor used."""
    _name, _sep, port = request.get_host().partition(":")
    host = services.tenant_host(result.tenant)
    if port and port != ("443" if request.is_secure() else "80"):
        host = f"{host}:{port}"
    base = f"{request.scheme}://{host}/"
    return {"slug": result.tenant.slug, "url": base, "login_url": f"{base}welcome/{result.login_token}/"}


class SignupView(APIView):
    """Create a company (tenant) and its owner. Answers the new site's address."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=SignupSerializer, responses={201: SignupResultSerializer})
    def post(self, request):
        signup_rate_check(request)
        data = SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.tenant_signup(**data.validated_data)
        return Response(tenant_urls(request, result), status=status.HTTP_201_CREATED)
