"""API authentication: `Authorization: Token <key>` (hashed at rest) or the web app's session."""
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.services import token_authenticate
from billing.services import plan_limit_check


class HashedTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        found = token_authenticate(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        # Tokens outlive plan changes: a plan without API access refuses them (402) until upgraded.
        plan_limit_check("api_access")
        return found

    def authenticate_header(self, request):
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """The web app's session, with CSRF checks; answers 401 (not 403) when absent."""

    def authenticate_header(self, request):
        return 'Session realm="api"'
