from django import template
from django.conf import settings

from apps.clients.attachments.file_types import accepted_extensions

register = template.Library()


@register.simple_tag
def attachment_limits() -> dict:
    """What the upload form tells the browser and the user: the accepted extensions and the size limit."""
    return {"accept": accepted_extensions(), "max_mb": settings.CLIENT_ATTACHMENT_MAX_MB}
