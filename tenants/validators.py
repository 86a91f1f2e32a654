"""Rules for tenant slugs: the first label of the tenant's host name and its schema name."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 40
_SLUG_RE = re.compile(r"^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$")

# Host names the product or its operators may need; never handed to a customer.
RESERVED_SLUGS = frozenset(
    """
    www api admin public operator operators static media assets cdn mail smtp imap pop email
    app apps dashboard billing stripe webhook webhooks support help status docs blog dev test
    staging prod production root system signup login logout auth account accounts oauth sso
    tenant tenants template internal console health metrics ftp ns ns1 ns2 mx vpn
    """.split()
)


def validate_slug(value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(_("Enter a short name for your company's address."), code="required")
    if len(value) < SLUG_MIN_LENGTH or len(value) > SLUG_MAX_LENGTH:
        raise ValidationError(
            _("Use %(min)d to %(max)d characters.") % {"min": SLUG_MIN_LENGTH, "max": SLUG_MAX_LENGTH},
            code="length",
        )
    if not _SLUG_RE.match(value):
        raise ValidationError(
            _("Use lowercase Latin letters, digits and single hyphens; start with a letter and do not end with a hyphen."),
            code="format",
        )
    if value in RESERVED_SLUGS or value.startswith("pg-"):
        raise ValidationError(_("This address is reserved. Choose another."), code="reserved")
