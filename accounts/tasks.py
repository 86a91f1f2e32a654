"""Account tasks. Each is safe to run twice (acks_late redelivers after a crash)."""
from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts import services
from accounts.models import Invitation


@shared_task(name="accounts.invitation_email_send")
def invitation_email_send(invitation_id: int, base_url: str) -> bool:
    """E-mail an invitation link once; a second run finds it sent and does nothing."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("invited_by")
            .filter(pk=invitation_id, status=Invitation.Status.PENDING, email_sent_at__isnull=True)
            .first()
        )
        if invitation is None:
            return False
        language = (invitation.invited_by.language if invitation.invited_by else "") or "en"
        with translation.override(language):
            context = {
                "invitation": invitation,
                "link": services.invitation_link(invitation, base_url),
                "inviter": invitation.invited_by,
            }
            subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
            body = render_to_string("accounts/email/invitation_body.txt", context)
        send_mail(subject, body, None, [invitation.email])
        invitation.email_sent_at = timezone.now()
        invitation.save(update_fields=["email_sent_at"])
    return True


@shared_task(name="accounts.invitations_expire")
def invitations_expire() -> int:
    return services.invitations_expire()
