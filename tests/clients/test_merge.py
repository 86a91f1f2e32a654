"""Merging two client cards: appeals and deals move, contacts unite, audited, managers only."""
import pytest
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from tests.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


def test_merging_moves_deals_and_appeals_and_unites_contacts(tenant_a, owner_api, window_pipeline, make_user, token_for):
    keep = owner_api.post("/api/v1/clients/", {"surname": "Петренко", "phones": ["+380671112233"], "tags": ["vip"]}, format="json").json()
    staff = make_user(tenant_a)
    staff_api = api_client(tenant_a.host, token_for(tenant_a, staff))
    other = staff_api.post(
        "/api/v1/clients/",
        {"surname": "Петренко", "first_name": "Олена", "phones": ["+380501112233"], "emails": ["olena@example.com"], "birthday": "1990-05-04"},
        format="json",
    ).json()
    deal = owner_api.post("/api/v1/deals/", {"pipeline": window_pipeline.pk, "title": "Balcony", "client": other["id"]}, format="json").json()
    appeal = owner_api.post("/api/v1/interactions/", {"client": other["id"], "channel": "phone", "kind": "inquiry", "subject": "Windows"}, format="json")
    assert appeal.status_code == 201, appeal.json()

    merged = owner_api.post(f"/api/v1/clients/{keep['id']}/merge/", {"other": other["id"]}, format="json")
    assert merged.status_code == 200, merged.json()
    body = merged.json()
    assert body["phones"] == ["+380671112233", "+380501112233"]
    assert body["emails"] == ["olena@example.com"]
    assert (body["first_name"], body["birthday"], body["tags"]) == ("Олена", "1990-05-04", ["vip"])
    assert owner_api.get(f"/api/v1/clients/{other['id']}/").status_code == 404
    assert owner_api.get(f"/api/v1/deals/{deal['id']}/").json()["client"] == keep["id"]
    assert owner_api.get("/api/v1/interactions/", {"client": keep["id"]}).json()["count"] == 1
    # The merged card's owner keeps access to the person through the kept card.
    assert staff_api.get(f"/api/v1/clients/{keep['id']}/").status_code == 200
    with schema_context(tenant_a.slug):
        event = AuditEvent.objects.get(action="client.merged")
        assert event.changes["merged"]["id"] == other["id"]
        moved = event.changes["moved"]
        assert (moved["deals"], moved["appeals"], moved["family"], moved["categories"]) == (1, 1, 0, 0)


def test_only_managers_merge_and_bad_input_is_a_clear_error(tenant_a, owner_api, make_user, token_for, tenant_b, owner_of):
    staff = make_user(tenant_a)
    staff_api = api_client(tenant_a.host, token_for(tenant_a, staff))
    mine = staff_api.post("/api/v1/clients/", {"surname": "A"}, format="json").json()
    also_mine = staff_api.post("/api/v1/clients/", {"surname": "B"}, format="json").json()
    refused = staff_api.post(f"/api/v1/clients/{mine['id']}/merge/", {"other": also_mine["id"]}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert owner_api.post(f"/api/v1/clients/{mine['id']}/merge/", {"other": mine["id"]}, format="json").json()["code"] == "merge_invalid"
    assert owner_api.post(f"/api/v1/clients/{mine['id']}/merge/", {"other": "x"}, format="json").status_code == 400
    theirs = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b))).post("/api/v1/clients/", {"surname": "B2"}, format="json").json()
    cross = owner_api.post(f"/api/v1/clients/{mine['id']}/merge/", {"other": theirs["id"]}, format="json")
    assert cross.status_code == 400 and "other" in cross.json()["fields"]


def test_merging_moves_family_company_links_and_categories_without_clashes(tenant_a, owner_of):
    from apps.clients.models import Category, ClientCategory, CompanyContact, FamilyMember
    from apps.clients.people.services import company_contact_set, family_member_add
    from apps.clients.services import client_create, client_merge

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        keep = client_create(actor=owner, surname="Keep")
        twin = client_create(actor=owner, surname="Twin")
        firm = client_create(actor=owner, kind="company", company_name="Firm")
        other_firm = client_create(actor=owner, kind="company", company_name="Other firm")
        family_member_add(client=twin, actor=owner, name="Kid", relation="child")
        company_contact_set(company=firm, person=keep, actor=owner, position="Director")
        company_contact_set(company=firm, person=twin, actor=owner, position="Owner")
        company_contact_set(company=other_firm, person=twin, actor=owner, position="Accountant")
        vip, regular = Category.objects.create(name="VIP"), Category.objects.create(name="Regular")
        ClientCategory.objects.create(client=keep, category=vip)
        ClientCategory.objects.create(client=twin, category=vip, by_rule=True)
        ClientCategory.objects.create(client=twin, category=regular)

        client_merge(keep=keep, merge=twin, actor=owner)

        assert list(FamilyMember.objects.filter(client=keep).values_list("name", flat=True)) == ["Kid"]
        positions = dict(CompanyContact.objects.filter(person=keep).values_list("company__company_name", "position"))
        assert positions == {"Firm": "Director", "Other firm": "Accountant"}
        assert set(ClientCategory.objects.filter(client=keep).values_list("category__name", "by_rule")) == {("VIP", False), ("Regular", False)}
