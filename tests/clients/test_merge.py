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
        assert event.changes["moved"] == {"deals": 1, "appeals": 1}


def test_only_managers_merge_and_bad_input_is_a_clear_error(tenant_a, owner_api, make_user, token_for, tenant_b, owner_of):
    staff = make_user(tenant_a)
    staff_api = api_client(tenant_a.host, token_for(tenant_a, staff))
    mine = staff_api.post("/api/v1/clients/", {"surname": "A"}, format="json").json()
    also_mine = staff_api.post("/api/v1/clients/", {"surname": "B"}, format="json").json()
    refused = staff_api.post(f"/api/v1/clients/{mine['id']}/merge/", {"other": also_mine["id"]}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "permission_denied"
    assert owner_api.post(f"/api/v1/clients/{mine['id']}/merge/", {"other": mine["id"]}, format="json").json()["code"] == "merge_invalid"
    assert owner_api.post(f"/api/v1/clients/{mine['id']}/merge/", {"other": "x"}, format="json").status_code == 400
    theirs = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b))).post("/api/v1/clients/", {"surname": "B2"}, format="json").json()
    cross = owner_api.post(f"/api/v1/clients/{mine['id']}/merge/", {"other": theirs["id"]}, format="json")
    assert cross.status_code == 400 and "other" in cross.json()["fields"]
