"""Clients API: validation, phone normalization, duplicates, search, permissions, isolation."""
import pytest
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from tests.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


def _create(client, **fields):
    body = {"surname": "Шевченко", "first_name": "Тарас", "patronymic": "Григорович", "phones": ["+380 67 111 22 33"], **fields}
    return client.post("/api/v1/clients/", body, format="json")


def test_a_client_is_created_with_phones_in_e164_and_emails_lower_cased(owner_api):
    response = _create(owner_api, phones=["+380 (67) 111-22-33", "+38 067 111 22 33"], emails=["Taras@Example.COM"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phones"] == ["+380671112233"]
    assert body["emails"] == ["taras@example.com"]
    assert body["name"] == "Шевченко Тарас Григорович"


def test_bad_input_names_each_field(owner_api):
    response = owner_api.post("/api/v1/clients/", {"phones": ["not a phone", "+380671112233"], "emails": ["nope"], "kind": "alien"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()["fields"]
    response = owner_api.post("/api/v1/clients/", {"phones": ["12"], "emails": ["nope"]}, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert {"phones.0", "emails.0"} <= set(fields)
    assert owner_api.post("/api/v1/clients/", {"kind": "company", "company_name": ""}, format="json").json()["fields"].keys() == {"company_name"}
    assert owner_api.post("/api/v1/clients/", "[1,2", content_type="application/json").status_code == 400


def test_a_known_phone_or_email_offers_the_existing_card(owner_api):
    first = _create(owner_api, emails=["t@example.com"]).json()
    again = _create(owner_api, surname="Інший", phones=["+380671112233"])
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate"
    assert again.json()["duplicates"] == [{"id": first["id"], "name": first["name"]}]
    by_email = owner_api.post("/api/v1/clients/", {"surname": "X", "emails": ["T@example.com"]}, format="json")
    assert by_email.status_code == 409
    confirmed = _create(owner_api, surname="Інший", phones=["+380671112233"], allow_duplicate=True)
    assert confirmed.status_code == 201


@pytest.mark.parametrize(
    "query",
    ["шевч", "ШЕВЧЕНКО", "тарас григ", "2233", "111 22 33", "taras@", "Shev"],
)
def test_search_finds_by_any_part_of_a_name_phone_digits_or_email(owner_api, query):
    _create(owner_api, emails=["taras@example.com"])
    owner_api.post("/api/v1/clients/", {"surname": "Shevchuk", "first_name": "Olena", "phones": ["+380501234567"]}, format="json")
    owner_api.post("/api/v1/clients/", {"surname": "Іваненко", "phones": ["+380931112299"]}, format="json")
    names = [c["name"] for c in owner_api.get("/api/v1/clients/", {"search": query}).json()["results"]]
    expected = {"Shev": ["Shevchuk Olena"]}.get(query, ["Шевченко Тарас Григорович"])
    assert names == expected


def test_search_is_accent_and_yo_insensitive(owner_api):
    owner_api.post("/api/v1/clients/", {"surname": "Ёлкин", "first_name": "José"}, format="json")
    assert owner_api.get("/api/v1/clients/", {"search": "елкин jose"}).json()["count"] == 1


def test_staff_see_their_own_clients_and_those_of_their_deals_others_are_404(tenant_a, owner_api, make_user, token_for, window_pipeline):
    alice = make_user(tenant_a)
    alice_api = api_client(tenant_a.host, token_for(tenant_a, alice))
    hers = alice_api.post("/api/v1/clients/", {"surname": "Alice's client"}, format="json").json()
    others = _create(owner_api).json()
    listed = {c["id"] for c in alice_api.get("/api/v1/clients/").json()["results"]}
    assert listed == {hers["id"]}
    assert alice_api.get(f"/api/v1/clients/{others['id']}/").status_code == 404
    assert alice_api.patch(f"/api/v1/clients/{others['id']}/", {"notes": "x"}, format="json").status_code == 404
    # Linking a client she cannot see to her deal is refused as unknown.
    refused = alice_api.post("/api/v1/deals/", {"pipeline": window_pipeline.pk, "title": "D", "client": others["id"]}, format="json")
    assert refused.status_code == 400 and "client" in refused.json()["fields"]
    # A deal she is responsible for, with that client, shows her the card.
    deal = owner_api.post("/api/v1/deals/", {"pipeline": window_pipeline.pk, "title": "Hers", "client": others["id"]}, format="json").json()
    assert deal["client"] == others["id"] and deal["client_phone"] == "+380671112233"
    with schema_context(tenant_a.slug):
        from apps.deals.models import Deal

        Deal.objects.filter(pk=deal["id"]).update(responsible=alice)
    assert alice_api.get(f"/api/v1/clients/{others['id']}/").status_code == 200


def test_opening_a_card_is_recorded_in_the_access_audit(tenant_a, owner_api, owner_of):
    created = _create(owner_api).json()
    assert owner_api.get(f"/api/v1/clients/{created['id']}/").status_code == 200
    with schema_context(tenant_a.slug):
        viewed = AuditEvent.objects.filter(action="client.viewed", target_id=str(created["id"]))
        assert viewed.count() == 1
        assert viewed.get().actor_id == owner_of(tenant_a).pk


def test_a_user_of_tenant_a_cannot_see_or_change_tenant_b_clients(tenant_a, tenant_b, owner_api, owner_of, token_for):
    b_api = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b)))
    theirs = b_api.post("/api/v1/clients/", {"surname": "Secret", "phones": ["+380671112233"]}, format="json").json()
    assert owner_api.get(f"/api/v1/clients/{theirs['id']}/").status_code == 404
    assert owner_api.get("/api/v1/clients/", {"search": "secret"}).json()["count"] == 0
    # The same phone in tenant A is not a duplicate: each company has its own client base.
    assert _create(owner_api).status_code == 201
    # A's token on B's host is refused.
    assert api_client(tenant_b.host, owner_api._credentials["HTTP_AUTHORIZATION"].split()[1]).get("/api/v1/clients/").status_code == 401


def test_an_update_is_audited_with_its_changes(tenant_a, owner_api):
    created = _create(owner_api).json()
    response = owner_api.patch(f"/api/v1/clients/{created['id']}/", {"phones": ["+380671112233", "+380501112233"], "tags": ["vip", " vip "]}, format="json")
    assert response.status_code == 200
    assert response.json()["tags"] == ["vip"]
    with schema_context(tenant_a.slug):
        event = AuditEvent.objects.get(action="client.updated")
        assert event.changes["phones"] == [["+380671112233"], ["+380671112233", "+380501112233"]]


def test_admins_see_who_opened_a_card_and_staff_do_not(tenant_a, owner_api, make_user):
    from django.test import Client as WebClient

    from tests.conftest import PASSWORD

    created = _create(owner_api).json()
    assert owner_api.get(f"/api/v1/clients/{created['id']}/").status_code == 200
    admin = make_user(tenant_a, roles=["admin"], full_name="Ada Admin")
    web = WebClient(HTTP_HOST=tenant_a.host)
    assert web.post("/login/", {"email": admin.email, "password": PASSWORD}).status_code == 302
    page = web.get(f"/clients/{created['id']}/").content.decode()
    assert page.count('data-testid="client-viewers"') == 1
    assert "Tenant-A Owner" in page and "Ada Admin" in page
    staff = make_user(tenant_a)
    staff_web = WebClient(HTTP_HOST=tenant_a.host)
    assert staff_web.post("/login/", {"email": staff.email, "password": PASSWORD}).status_code == 302
    theirs = staff_web.post("/clients/new/", {"kind": "person", "surname": "Own"})
    assert theirs.status_code == 302
    assert 'data-testid="client-viewers"' not in staff_web.get(theirs["Location"]).content.decode()


def test_staff_see_the_clients_of_tasks_assigned_to_them(tenant_a, owner_api, owner_of, make_user, token_for, window_pipeline):
    from apps.interactions.services import interaction_register
    from apps.tasks.models import Task

    bob = make_user(tenant_a)
    bob_api = api_client(tenant_a.host, token_for(tenant_a, bob))
    through_deal = _create(owner_api, surname="Deal task").json()
    through_appeal = _create(owner_api, surname="Appeal task", phones=["+380671112299"]).json()
    deal = owner_api.post("/api/v1/deals/", {"pipeline": window_pipeline.pk, "title": "D", "client": through_deal["id"]}, format="json").json()
    assert bob_api.get(f"/api/v1/clients/{through_deal['id']}/").status_code == 404
    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        Task.objects.create(title="Call back", assignee=bob, deal_id=deal["id"], created_by=owner)
        from apps.clients.models import Client

        appeal = interaction_register(actor=owner, client=Client.objects.get(pk=through_appeal["id"]), channel="phone", kind="complaint",
                                      subject="Draught", needs_decision=True)
        Task.objects.filter(pk=appeal.task_id).update(assignee=bob)
    listed = {c["id"] for c in bob_api.get("/api/v1/clients/").json()["results"]}
    assert listed == {through_deal["id"], through_appeal["id"]}
    assert bob_api.get(f"/api/v1/clients/{through_appeal['id']}/").status_code == 200
