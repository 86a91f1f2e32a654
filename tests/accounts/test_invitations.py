"""Invitations: by e-mail link, single use, expiring, revocable, audited."""
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import Invitation, Role, User
from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD, api_client


def invite(handle, key, email, roles=("staff",), **kwargs):
    return api_client(handle.host, key).post("/api/v1/invitations/", {"email": email, "roles": list(roles), **kwargs}, format="json")


def link_from_outbox(email):
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    return next(line for line in message.body.splitlines() if "/invite/" in line).strip()


@pytest.mark.django_db
def test_invitation_is_emailed_after_commit_and_accepting_creates_the_user(tenant_a, owner_of, token_for, django_capture_on_commit_callbacks):
    key = token_for(tenant_a, owner_of(tenant_a))
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(tenant_a, key, "new.hire@example.test", roles=["manager"], full_name="New Hire")
    assert response.status_code == 201, response.content
    assert response.json()["roles"] == ["manager"]
    link = link_from_outbox("new.hire@example.test")
    assert link.startswith(f"http://{tenant_a.host}/invite/")
    path = link.split(tenant_a.host, 1)[1]

    from django.test import Client

    client = Client()
    page = client.get(path, HTTP_HOST=tenant_a.host)
    assert page.status_code == 200 and "new.hire@example.test" in page.content.decode()
    accepted = client.post(path, {"full_name": "New Hire", "password": PASSWORD}, HTTP_HOST=tenant_a.host)
    assert accepted.status_code == 302
    with schema_context(tenant_a.slug):
        user = User.objects.get(email="new.hire@example.test")
        assert set(Role.objects.filter(group__user=user).values_list("code", flat=True)) == {"manager"}
        assert Invitation.objects.get(email="new.hire@example.test").status == Invitation.Status.ACCEPTED
        assert AuditEvent.objects.filter(action="invitation.accepted").exists()
    # Single use: the second visit is refused.
    again = Client().get(path, HTTP_HOST=tenant_a.host)
    assert again.status_code == 404


@pytest.mark.django_db
def test_invitation_link_does_not_work_on_another_tenant(tenant_a, tenant_b, owner_of, token_for, django_capture_on_commit_callbacks):
    key = token_for(tenant_a, owner_of(tenant_a))
    with django_capture_on_commit_callbacks(execute=True):
        invite(tenant_a, key, "cross@example.test")
    path = link_from_outbox("cross@example.test").split(tenant_a.host, 1)[1]
    from django.test import Client

    assert Client().get(path, HTTP_HOST=tenant_b.host).status_code == 404


@pytest.mark.django_db
def test_expired_and_forged_links_are_refused(tenant_a, owner_of):
    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        invitation = services.invitation_create(email="late@example.test", actor=owner, base_url="http://x/")
        token = services.invitation_token(invitation)
        with pytest.raises(services.LinkInvalid):
            services.invitation_resolve(token[:-2] + "xx")
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        with pytest.raises(services.LinkInvalid, match="expired"):
            services.invitation_resolve(token)
        assert services.invitations_expire() == 1
        assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.EXPIRED
        assert services.invitations_expire() == 0


@pytest.mark.django_db
def test_revoked_invitation_cannot_be_accepted(tenant_a, owner_of, token_for):
    key = token_for(tenant_a, owner_of(tenant_a))
    created = invite(tenant_a, key, "revoked@example.test").json()
    assert api_client(tenant_a.host, key).post(f"/api/v1/invitations/{created['id']}/revoke/").status_code == 200
    with schema_context(tenant_a.slug):
        token = services.invitation_token(Invitation.objects.get(pk=created["id"]))
        with pytest.raises(services.LinkInvalid):
            services.invitation_accept(token=token, full_name="X", password=PASSWORD)
    again = api_client(tenant_a.host, key).post(f"/api/v1/invitations/{created['id']}/revoke/")
    assert again.status_code == 409


@pytest.mark.django_db
def test_invitation_validation(tenant_a, owner_of, token_for):
    key = token_for(tenant_a, owner_of(tenant_a))
    assert invite(tenant_a, key, "not-an-email").status_code == 400
    duplicate_user = invite(tenant_a, key, tenant_a.owner_email)
    assert duplicate_user.status_code == 409 and duplicate_user.json()["fields"]["email"][0]["code"] == "taken"
    assert invite(tenant_a, key, "twice@example.test").status_code == 201
    assert invite(tenant_a, key, "TWICE@example.test").status_code == 409
    unknown = invite(tenant_a, key, "role@example.test", roles=["astronaut"])
    assert unknown.status_code == 400 and "roles" in unknown.json()["fields"]


@pytest.mark.django_db
def test_staff_cannot_invite(tenant_a, make_user, token_for):
    staff_key = token_for(tenant_a, make_user(tenant_a))
    assert invite(tenant_a, staff_key, "x@example.test").status_code == 403


@pytest.mark.django_db
def test_only_an_owner_may_invite_an_owner(tenant_a, make_user, token_for):
    admin_key = token_for(tenant_a, make_user(tenant_a, roles=["admin"]))
    response = invite(tenant_a, admin_key, "boss2@example.test", roles=["owner"])
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


@pytest.mark.django_db
def test_invitation_email_task_sends_once(tenant_a, owner_of):
    from accounts.tasks import invitation_email_send

    with schema_context(tenant_a.slug):
        invitation = services.invitation_create(email="once@example.test", actor=owner_of(tenant_a), base_url="http://x/")
        before = len(mail.outbox)
        assert invitation_email_send(invitation.pk, "http://x/") is True
        assert invitation_email_send(invitation.pk, "http://x/") is False
        assert len(mail.outbox) == before + 1
