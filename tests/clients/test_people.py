"""A client's family and a company's people through the API: validation, visibility, isolation."""
import pytest
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from tests.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


def _post(api, **body):
    response = api.post("/api/v1/clients/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_family_members_are_added_changed_and_removed(tenant_a, owner_api):
    client = _post(owner_api, surname="Коваль", first_name="Олена")
    url = f"/api/v1/clients/{client['id']}/family/"
    added = owner_api.post(url, {"name": "Марко", "relation": "child", "birthday": "2016-09-01"}, format="json")
    assert added.status_code == 201, added.json()
    member = added.json()
    assert owner_api.get(url).json() == [member]
    changed = owner_api.patch(f"{url}{member['id']}/", {"relation": "grandchild"}, format="json")
    assert changed.status_code == 200 and changed.json()["relation"] == "grandchild" and changed.json()["name"] == "Марко"
    assert owner_api.delete(f"{url}{member['id']}/").status_code == 204
    assert owner_api.get(url).json() == []
    with schema_context(tenant_a.slug):
        actions = list(AuditEvent.objects.filter(target_id=str(client["id"]), action__startswith="client.family").values_list("action", flat=True))
    assert sorted(actions) == ["client.family_added", "client.family_removed", "client.family_updated"]


def test_bad_family_input_is_refused_with_field_errors(owner_api):
    client = _post(owner_api, surname="Коваль")
    url = f"/api/v1/clients/{client['id']}/family/"
    assert set(owner_api.post(url, {"name": "", "relation": "cousin"}, format="json").json()["fields"]) == {"name", "relation"}
    future = owner_api.post(url, {"name": "Later", "birthday": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "birthday" in future.json()["fields"]
    assert owner_api.get(url).json() == []


def test_a_company_lists_its_people_with_positions(owner_api):
    company = _post(owner_api, kind="company", company_name="ТОВ Вікна", tax_id="12345678")
    director = _post(owner_api, surname="Бондар", first_name="Ігор", phones=["+380671234567"])
    accountant = _post(owner_api, surname="Лисенко", first_name="Ніна")
    url = f"/api/v1/companies/{company['id']}/people/"
    assert owner_api.post(url, {"person": director["id"], "position": "Director", "is_primary": True}, format="json").status_code == 201
    assert owner_api.post(url, {"person": accountant["id"], "position": "Accountant"}, format="json").status_code == 201
    # Adding again changes the position; a new main contact demotes the old one.
    again = owner_api.post(url, {"person": accountant["id"], "position": "Chief accountant", "is_primary": True}, format="json")
    assert again.status_code == 201
    body = owner_api.get(f"/api/v1/companies/{company['id']}/").json()
    assert body["name"] == "ТОВ Вікна" and body["tax_id"] == "12345678"
    assert [(p["person_name"], p["position"], p["is_primary"]) for p in body["people"]] == [
        ("Лисенко Ніна", "Chief accountant", True),
        ("Бондар Ігор", "Director", False),
    ]
    assert body["people"][1]["phones"] == ["+380671234567"]
    listed = owner_api.get("/api/v1/companies/", {"search": "вікна"}).json()
    assert [c["id"] for c in listed["results"]] == [company["id"]]
    # People are not companies.
    assert owner_api.get(f"/api/v1/companies/{director['id']}/").status_code == 404
    contact_id = body["people"][1]["id"]
    assert owner_api.delete(f"{url}{contact_id}/").status_code == 204
    assert [p["person_name"] for p in owner_api.get(f"/api/v1/companies/{company['id']}/").json()["people"]] == ["Лисенко Ніна"]


def test_only_people_join_companies(owner_api):
    company = _post(owner_api, kind="company", company_name="Firm")
    other = _post(owner_api, kind="company", company_name="Other firm")
    response = owner_api.post(f"/api/v1/companies/{company['id']}/people/", {"person": other["id"]}, format="json")
    assert response.status_code == 400 and "person" in response.json()["fields"]
    assert owner_api.post(f"/api/v1/companies/{company['id']}/people/", {"person": 999999}, format="json").status_code == 400
    assert owner_api.post(f"/api/v1/companies/{company['id']}/people/", {}, format="json").status_code == 400


def test_staff_who_cannot_see_the_client_get_404(tenant_a, make_user, token_for, owner_api):
    client = _post(owner_api, surname="Hidden")
    company = _post(owner_api, kind="company", company_name="Hidden firm")
    staff = make_user(tenant_a)
    staff_api = api_client(tenant_a.host, token_for(tenant_a, staff))
    mine = _post(staff_api, surname="Mine")
    assert staff_api.get(f"/api/v1/clients/{client['id']}/family/").status_code == 404
    assert staff_api.post(f"/api/v1/clients/{client['id']}/family/", {"name": "X"}, format="json").status_code == 404
    assert staff_api.get(f"/api/v1/companies/{company['id']}/").status_code == 404
    assert staff_api.post(f"/api/v1/companies/{company['id']}/people/", {"person": mine["id"]}, format="json").status_code == 404
    assert staff_api.get("/api/v1/companies/").json()["count"] == 0


def test_family_and_companies_do_not_cross_tenants(tenant_b, owner_of, token_for, owner_api):
    client = _post(owner_api, surname="A's client")
    member = owner_api.post(f"/api/v1/clients/{client['id']}/family/", {"name": "Kid"}, format="json").json()
    company = _post(owner_api, kind="company", company_name="A's firm")
    other = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b)))
    assert other.get(f"/api/v1/clients/{client['id']}/family/").status_code == 404
    assert other.patch(f"/api/v1/clients/{client['id']}/family/{member['id']}/", {"name": "Mine"}, format="json").status_code == 404
    assert other.delete(f"/api/v1/clients/{client['id']}/family/{member['id']}/").status_code == 404
    assert other.get(f"/api/v1/companies/{company['id']}/").status_code == 404
    assert other.get("/api/v1/companies/").json()["count"] == 0


def test_a_company_card_shows_only_people_the_user_may_see_and_opening_it_is_audited(tenant_a, owner_of, make_user, token_for, owner_api):
    from django.test import Client as WebClient

    from tests.conftest import PASSWORD

    staff = make_user(tenant_a)
    staff_api = api_client(tenant_a.host, token_for(tenant_a, staff))
    company = _post(staff_api, kind="company", company_name="Staff's firm")
    mine = _post(staff_api, surname="Visible")
    hidden = _post(owner_api, surname="Hidden", phones=["+380679990011"], emails=["hidden@example.com"])
    hidden_firm = _post(owner_api, kind="company", company_name="HiddenCorp")
    for person in (mine, hidden):
        assert owner_api.post(f"/api/v1/companies/{company['id']}/people/", {"person": person["id"], "position": "Clerk"}, format="json").status_code == 201
    owner_api.post(f"/api/v1/companies/{hidden_firm['id']}/people/", {"person": mine["id"], "position": "Spy"}, format="json")

    body = staff_api.get(f"/api/v1/companies/{company['id']}/").json()
    assert [p["person_name"] for p in body["people"]] == ["Visible"]
    assert "+380679990011" not in str(body) and "hidden@example.com" not in str(body)
    assert [p["person_name"] for p in owner_api.get(f"/api/v1/companies/{company['id']}/").json()["people"]] == ["Visible", "Hidden"]
    hidden_contact = owner_api.get(f"/api/v1/companies/{company['id']}/").json()["people"][1]["id"]
    assert staff_api.delete(f"/api/v1/companies/{company['id']}/people/{hidden_contact}/").status_code == 404

    web = WebClient(HTTP_HOST=tenant_a.host)
    web.post("/login/", {"email": staff.email, "password": PASSWORD})
    assert "Hidden" not in web.get(f"/clients/{company['id']}/").content.decode()
    assert "HiddenCorp" not in web.get(f"/clients/{mine['id']}/").content.decode()
    with schema_context(tenant_a.slug):
        assert AuditEvent.objects.filter(action="client.viewed", target_id=str(company["id"]), actor_id=staff.pk).count() >= 2
