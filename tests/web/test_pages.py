"""Server-rendered pages: sign-in, password reset, team administration, profile and tokens."""
import re

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import ApiToken, Role, User
from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD


def signed_in(handle, email=None, password=PASSWORD) -> Client:
    client = Client(HTTP_HOST=handle.host)
    response = client.post("/login/", {"email": email or handle.owner_email, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.mark.django_db
def test_pages_require_sign_in(tenant_a):
    client = Client(HTTP_HOST=tenant_a.host)
    for path in ["/", "/settings/team/", "/settings/profile/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


@pytest.mark.django_db
def test_password_reset_by_email_sets_a_new_password(tenant_a, make_user):
    user = make_user(tenant_a, email=f"forgetful@{tenant_a.slug}.test")
    client = Client(HTTP_HOST=tenant_a.host)
    assert client.post("/password-reset/", {"email": user.email.upper()}).status_code == 302
    link = re.search(r"http://\S+/password-reset/\S+/", mail.outbox[-1].body).group(0)
    path = link.split(tenant_a.host, 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    response = client.post(form.redirect_chain[-1][0], {"new_password1": "Brand-New-Pass-77", "new_password2": "Brand-New-Pass-77"})
    assert response.status_code == 302
    with schema_context(tenant_a.slug):
        assert User.objects.get(pk=user.pk).check_password("Brand-New-Pass-77")
        assert AuditEvent.objects.filter(action="auth.password_set", target_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_password_reset_for_an_unknown_email_reveals_nothing(tenant_a):
    before = len(mail.outbox)
    response = Client(HTTP_HOST=tenant_a.host).post("/password-reset/", {"email": "nobody@nowhere.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == before


@pytest.mark.django_db
def test_team_page_is_for_admins_only(tenant_a, make_user):
    staff = make_user(tenant_a)
    assert signed_in(tenant_a, staff.email).get("/settings/team/").status_code == 404
    page = signed_in(tenant_a).get("/settings/team/")
    assert page.status_code == 200 and staff.email in page.content.decode()


@pytest.mark.django_db
def test_admin_edits_a_colleague_roles_and_manager_on_the_page(tenant_a, make_user):
    boss = make_user(tenant_a, roles=["manager"])
    worker = make_user(tenant_a)
    client = signed_in(tenant_a)
    response = client.post(
        f"/settings/team/{worker.pk}/",
        {"full_name": "Renamed Worker", "phone": "+380501112233", "manager": boss.pk, "roles": ["staff", "manager"], "is_active": "on"},
    )
    assert response.status_code == 302
    with schema_context(tenant_a.slug):
        worker = User.objects.get(pk=worker.pk)
        assert worker.full_name == "Renamed Worker" and worker.manager_id == boss.pk
        assert set(Role.objects.filter(group__user=worker).values_list("code", flat=True)) == {"staff", "manager"}


@pytest.mark.django_db
def test_admin_adds_and_deletes_a_custom_role_on_the_page(tenant_a):
    client = signed_in(tenant_a)
    client.post("/settings/roles/", {"name": "Measurer", "code": "measurer", "description": "Measures windows"})
    with schema_context(tenant_a.slug):
        role = Role.objects.get(code="measurer")
    assert "Measurer" in client.get("/settings/team/").content.decode()
    client.post(f"/settings/roles/{role.pk}/delete/")
    with schema_context(tenant_a.slug):
        assert not Role.objects.filter(code="measurer").exists()


@pytest.mark.django_db
def test_invite_form_shows_errors_for_a_taken_email(tenant_a):
    response = signed_in(tenant_a).post("/settings/team/", {"email": tenant_a.owner_email, "roles": ["staff"]})
    assert response.status_code == 400
    assert "Already a user here" in response.content.decode()


@pytest.mark.django_db
def test_profile_creates_a_token_shown_once_and_revokes_it(tenant_a):
    client = signed_in(tenant_a)
    client.post("/settings/profile/tokens/", {"name": "Zapier"})
    page = client.get("/settings/profile/").content.decode()
    key = re.search(r'data-testid="new-token">([^<]+)<', page).group(1)
    assert Client(HTTP_HOST=tenant_a.host, HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/users/me/").status_code == 200
    assert key not in client.get("/settings/profile/").content.decode(), "the key is shown once"
    with schema_context(tenant_a.slug):
        token = ApiToken.objects.get(prefix=key.split(".")[0])
    client.post(f"/settings/profile/tokens/{token.pk}/revoke/")
    assert Client(HTTP_HOST=tenant_a.host, HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/users/me/").status_code == 401


@pytest.mark.django_db
def test_profile_language_switches_the_interface(tenant_a, make_user):
    user = make_user(tenant_a)
    client = signed_in(tenant_a, user.email)
    client.post("/settings/profile/", {"full_name": user.full_name, "phone": "", "language": "uk", "time_zone": "Europe/Kyiv"})
    response = client.get("/")
    assert response["Content-Language"] == "uk"


@pytest.mark.django_db
def test_a_user_cannot_revoke_another_users_token_on_the_page(tenant_a, make_user, token_for):
    other = make_user(tenant_a)
    key = token_for(tenant_a, other)
    with schema_context(tenant_a.slug):
        token = ApiToken.objects.get(prefix=key.split(".")[0])
    assert signed_in(tenant_a).post(f"/settings/profile/tokens/{token.pk}/revoke/").status_code == 404


@pytest.mark.django_db
def test_welcome_link_signs_in_once(tenant_a, owner_of):
    from accounts.services import login_link_create

    with schema_context(tenant_a.slug):
        token = login_link_create(user=owner_of(tenant_a))
    client = Client(HTTP_HOST=tenant_a.host)
    assert client.get(f"/welcome/{token}/").status_code == 302
    assert client.get("/").status_code == 200
    second = Client(HTTP_HOST=tenant_a.host)
    response = second.get(f"/welcome/{token}/")
    assert response["Location"] == "/login/"
    assert second.get("/").status_code == 302
