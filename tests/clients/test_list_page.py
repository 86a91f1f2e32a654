"""The client list page: filters, saved segments, the card's family, people and notes forms."""
import pytest
from django.test import Client as WebClient
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _web(handle, email) -> WebClient:
    web = WebClient(HTTP_HOST=handle.host)
    assert web.post("/login/", {"email": email, "password": PASSWORD}).status_code == 302
    return web


def _rows(response) -> list[str]:
    import re

    assert response.status_code == 200
    return re.findall(r'data-testid="client-row".*?<a href="/clients/\d+/">([^<]+)</a>', response.content.decode(), re.S)


def test_the_list_filters_and_saves_a_segment(tenant_a, owner_of):
    from apps.clients.models import Segment
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        client_create(actor=owner, surname="Tagged", tags=["kyiv"])
        client_create(actor=owner, surname="Plain")
        client_create(actor=owner, kind="company", company_name="Firm", tags=["kyiv"])
    web = _web(tenant_a, tenant_a.owner_email)
    assert sorted(_rows(web.get("/clients/"))) == ["Firm", "Plain", "Tagged"]
    assert _rows(web.get("/clients/", {"tags": "kyiv", "kind": "person"})) == ["Tagged"]
    bad = web.get("/clients/", {"birthday_month": "13"})
    assert 'data-testid="filter-error"' in bad.content.decode() and len(_rows(bad)) == 3

    saved = web.post("/clients/segments/", {"name": "Kyiv people", "query": "tags=kyiv&kind=person"})
    assert saved.status_code == 302
    with schema_context(tenant_a.slug):
        segment = Segment.objects.get(name="Kyiv people")
    assert segment.filters == {"tags": ["kyiv"], "kind": "person"}
    assert saved["Location"].endswith(f"?segment={segment.pk}")
    assert _rows(web.get("/clients/", {"segment": segment.pk})) == ["Tagged"]
    assert web.post(f"/clients/segments/{segment.pk}/delete/").status_code == 302
    with schema_context(tenant_a.slug):
        assert not Segment.objects.exists()


def test_the_card_records_relatives_company_people_and_notes(tenant_a, owner_of):
    from apps.clients.models import ClientNote, CompanyContact, FamilyMember
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        person = client_create(actor=owner, surname="Бондар", first_name="Ігор", phones=["+380671234567"])
        company = client_create(actor=owner, kind="company", company_name="ТОВ Вікна", tax_id="123")
    web = _web(tenant_a, tenant_a.owner_email)
    assert web.post(f"/clients/{person.pk}/family/", {"name": "Марко", "relation": "child", "birthday": "2016-09-01"}).status_code == 302
    refused = web.post(f"/clients/{person.pk}/family/", {"name": "", "relation": "child"}, follow=True)
    assert refused.status_code == 200
    assert web.post(f"/clients/{person.pk}/notes/", {"text": "Prefers calls after 18:00"}).status_code == 302
    picker = web.get("/clients/people-picker/", {"q": "бонд"}).content.decode()
    assert f'value="{person.pk}"' in picker and "ТОВ" not in picker
    assert web.post(f"/clients/{company.pk}/people/", {"person": person.pk, "position": "Director", "is_primary": "on"}).status_code == 302

    card = web.get(f"/clients/{person.pk}/").content.decode()
    assert "Марко" in card and "Prefers calls after 18:00" in card and "ТОВ Вікна" in card
    company_card = web.get(f"/clients/{company.pk}/").content.decode()
    assert 'data-testid="company-people"' in company_card and "Director" in company_card and "Бондар Ігор" in company_card
    with schema_context(tenant_a.slug):
        assert FamilyMember.objects.filter(client=person).count() == 1
        assert ClientNote.objects.get(client=person).author == owner
        contact = CompanyContact.objects.get(company=company)
    assert web.post(f"/clients/{company.pk}/people/{contact.pk}/delete/").status_code == 302
    with schema_context(tenant_a.slug):
        assert not CompanyContact.objects.exists()


def test_staff_cannot_post_to_cards_they_cannot_see(tenant_a, owner_of, make_user):
    from apps.clients.models import FamilyMember
    from apps.clients.services import client_create

    staff = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        hidden = client_create(actor=owner_of(tenant_a), surname="Hidden")
    web = _web(tenant_a, staff.email)
    assert web.post(f"/clients/{hidden.pk}/family/", {"name": "X", "relation": "child"}).status_code == 404
    assert web.post(f"/clients/{hidden.pk}/notes/", {"text": "X"}).status_code == 404
    assert "Hidden" not in web.get("/clients/people-picker/", {"q": "hidden"}).content.decode()
    with schema_context(tenant_a.slug):
        assert not FamilyMember.objects.exists()
