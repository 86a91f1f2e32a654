"""Appeals API: registering with an existing or a new client, decisions, visibility, isolation."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from tests.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


def _client(api, **fields):
    response = api.post("/api/v1/clients/", {"surname": "Коваленко", "phones": ["+380671112233"], **fields}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _appeal(api, **fields):
    return api.post("/api/v1/interactions/", {"channel": "phone", "kind": "inquiry", "subject": "Windows", **fields}, format="json")


def _counts(handle):
    from apps.clients.models import Client
    from apps.interactions.models import Interaction

    with schema_context(handle.slug):
        return Client.objects.count(), Interaction.objects.count()


def test_an_appeal_of_an_existing_client_is_registered_and_audited(tenant_a, owner_api, owner_of):
    client = _client(owner_api)
    response = _appeal(owner_api, client=client["id"], summary="Asks about prices", result="Sent the price list")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["client"] == client["id"] and body["employee"] == owner_of(tenant_a).pk
    assert body["kind"] == "inquiry" and body["result"] == "Sent the price list" and body["task"] is None
    assert owner_api.get(f"/api/v1/interactions/{body['id']}/").json()["summary"] == "Asks about prices"
    with schema_context(tenant_a.slug):
        event = AuditEvent.objects.get(action="interaction.created", target_id=str(body["id"]))
        assert event.changes["client"] == client["id"] and event.changes["new_client"] is False


def test_an_appeal_registers_a_new_client_in_the_same_step(tenant_a, owner_api):
    response = _appeal(owner_api, new_client={"surname": "Бондар", "first_name": "Олена", "phones": ["+380 50 123 45 67"], "emails": ["O@Example.com"]})
    assert response.status_code == 201, response.json()
    created = owner_api.get(f"/api/v1/clients/{response.json()['client']}/").json()
    assert created["name"] == "Бондар Олена" and created["phones"] == ["+380501234567"] and created["emails"] == ["o@example.com"]
    with schema_context(tenant_a.slug):
        assert set(AuditEvent.objects.filter(action__in=["client.created", "interaction.created"]).values_list("action", flat=True)) == {
            "client.created", "interaction.created"
        }


def test_a_new_client_with_a_known_phone_is_a_409_and_nothing_is_saved(tenant_a, owner_api):
    existing = _client(owner_api)
    before = _counts(tenant_a)
    response = _appeal(owner_api, new_client={"surname": "Інший", "phones": ["+380 67 111 22 33"]})
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate"
    assert response.json()["duplicates"] == [{"id": existing["id"], "name": existing["name"]}]
    assert _counts(tenant_a) == before
    # Confirmed, another card is made.
    confirmed = _appeal(owner_api, new_client={"surname": "Інший", "phones": ["+380671112233"]}, allow_duplicate=True)
    assert confirmed.status_code == 201 and confirmed.json()["client"] != existing["id"]


def test_the_card_is_updated_in_the_same_step(tenant_a, owner_api):
    client = _client(owner_api)
    response = _appeal(owner_api, client=client["id"], client_update={"emails": ["new@example.com"], "notes": "Prefers calls after 6"})
    assert response.status_code == 201, response.json()
    card = owner_api.get(f"/api/v1/clients/{client['id']}/").json()
    assert card["emails"] == ["new@example.com"] and card["notes"] == "Prefers calls after 6"
    with schema_context(tenant_a.slug):
        assert AuditEvent.objects.filter(action="client.updated", target_id=str(client["id"])).exists()


def test_a_failed_card_update_saves_no_appeal(tenant_a, owner_api):
    client = _client(owner_api)
    before = _counts(tenant_a)
    response = _appeal(owner_api, client=client["id"], client_update={"phones": ["nope"]})
    assert response.status_code == 400
    assert "client_update.phones.0" in response.json()["fields"]
    assert _counts(tenant_a) == before


def test_a_complaint_needing_a_decision_gives_the_owners_manager_a_task(tenant_a, make_user, token_for):
    from apps.tasks.models import Task

    boss = make_user(tenant_a, roles=("manager",))
    clerk = make_user(tenant_a, manager=boss)
    clerk_api = api_client(tenant_a.host, token_for(tenant_a, clerk))
    client = _client(clerk_api)
    before = timezone.now()
    response = _appeal(clerk_api, client=client["id"], kind="complaint", subject="Broken handle", summary="Handle broke in a week", needs_decision=True)
    assert response.status_code == 201, response.json()
    with schema_context(tenant_a.slug):
        task = Task.objects.get(pk=response.json()["task"])
        assert task.assignee_id == boss.pk and task.created_by_id == clerk.pk
        assert task.title == "Decide on complaint: Broken handle" and task.status == Task.Status.OPEN
        assert before + timedelta(hours=23, minutes=59) < task.due_at < timezone.now() + timedelta(hours=24, minutes=1)
    # An inquiry, or a complaint that needs no decision, makes no task.
    assert _appeal(clerk_api, client=client["id"], kind="complaint").json()["task"] is None


def test_without_managers_of_their_own_a_manager_of_the_company_decides(tenant_a, make_user, token_for):
    from apps.tasks.models import Task

    boss = make_user(tenant_a, roles=("manager",))
    clerk = make_user(tenant_a)
    clerk_api = api_client(tenant_a.host, token_for(tenant_a, clerk))
    client = _client(clerk_api)
    response = _appeal(clerk_api, client=client["id"], kind="complaint", needs_decision=True)
    with schema_context(tenant_a.slug):
        assert Task.objects.get(pk=response.json()["task"]).assignee_id == boss.pk


def test_a_manager_decides_and_the_decision_task_is_done_staff_may_not(tenant_a, make_user, token_for):
    from apps.tasks.models import Task

    boss = make_user(tenant_a, roles=("manager",))
    clerk = make_user(tenant_a, manager=boss)
    clerk_api = api_client(tenant_a.host, token_for(tenant_a, clerk))
    boss_api = api_client(tenant_a.host, token_for(tenant_a, boss))
    appeal = _appeal(clerk_api, client=_client(clerk_api)["id"], kind="complaint", subject="Late", needs_decision=True).json()
    refused = clerk_api.post(f"/api/v1/interactions/{appeal['id']}/decide/", {"decision": "Refund"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert boss_api.post(f"/api/v1/interactions/{appeal['id']}/decide/", {"decision": ""}, format="json").json()["fields"].keys() == {"decision"}
    decided = boss_api.post(f"/api/v1/interactions/{appeal['id']}/decide/", {"decision": "Refund the delivery"}, format="json")
    assert decided.status_code == 200, decided.json()
    body = decided.json()
    assert body["decision"] == "Refund the delivery" and body["decided_by"] == boss.pk and body["decided_at"]
    with schema_context(tenant_a.slug):
        assert Task.objects.get(pk=appeal["task"]).status == Task.Status.DONE
        assert AuditEvent.objects.filter(action="interaction.decided", target_id=str(appeal["id"]), actor_id=boss.pk).exists()


def test_staff_see_their_own_appeals_and_those_of_their_clients_others_are_404(tenant_a, owner_api, make_user, token_for):
    alice = make_user(tenant_a)
    bob = make_user(tenant_a)
    alice_api = api_client(tenant_a.host, token_for(tenant_a, alice))
    bob_api = api_client(tenant_a.host, token_for(tenant_a, bob))
    hers = _appeal(alice_api, new_client={"surname": "Alice's"}).json()
    his = _appeal(bob_api, new_client={"surname": "Bob's"}).json()
    owners = _appeal(owner_api, client=hers["client"], subject="Owner called her client").json()
    assert {a["id"] for a in alice_api.get("/api/v1/interactions/").json()["results"]} == {hers["id"], owners["id"]}
    assert alice_api.get(f"/api/v1/interactions/{his['id']}/").status_code == 404
    assert alice_api.post(f"/api/v1/interactions/{his['id']}/decide/", {"decision": "x"}, format="json").status_code == 404
    # Registering on a client she cannot see is refused as unknown.
    refused = _appeal(alice_api, client=his["client"])
    assert refused.status_code == 400 and "client" in refused.json()["fields"]
    assert alice_api.get(f"/api/v1/clients/{his['client']}/timeline/").status_code == 404
    assert {a["id"] for a in owner_api.get("/api/v1/interactions/").json()["results"]} == {hers["id"], his["id"], owners["id"]}


def test_filters(owner_api):
    client = _client(owner_api)
    other = _client(owner_api, surname="Other", phones=["+380501112233"])
    complaint = _appeal(owner_api, client=client["id"], kind="complaint", channel="email", needs_decision=True).json()
    _appeal(owner_api, client=other["id"], occurred_at="2020-01-01T10:00:00Z")
    ids = lambda **q: {a["id"] for a in owner_api.get("/api/v1/interactions/", q).json()["results"]}  # noqa: E731
    assert ids(client=client["id"]) == ids(kind="complaint") == ids(channel="email") == ids(needs_decision="true") == {complaint["id"]}
    assert len(ids(occurred_before="2021-01-01T00:00:00Z")) == 1 and ids(occurred_after="2021-01-01T00:00:00Z") == {complaint["id"]}
    assert owner_api.get("/api/v1/interactions/", {"needs_decision": "maybe"}).status_code == 400


def test_tenant_a_cannot_see_or_change_tenant_b_appeals(tenant_a, tenant_b, owner_api, owner_of, token_for):
    b_api = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b)))
    theirs = _appeal(b_api, new_client={"surname": "Secret"}, kind="complaint", needs_decision=True).json()
    assert owner_api.get(f"/api/v1/interactions/{theirs['id']}/").status_code == 404
    assert owner_api.post(f"/api/v1/interactions/{theirs['id']}/decide/", {"decision": "x"}, format="json").status_code == 404
    assert owner_api.get(f"/api/v1/clients/{theirs['client']}/timeline/").status_code == 404
    assert owner_api.get("/api/v1/interactions/").json()["count"] == 0
    with schema_context(tenant_b.slug):
        from apps.interactions.models import Interaction

        assert Interaction.objects.get(pk=theirs["id"]).decided_at is None


def test_bad_input_names_each_field(tenant_a, owner_api):
    before = _counts(tenant_a)
    response = owner_api.post("/api/v1/interactions/", {"kind": "rant", "channel": "pigeon"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert {"kind", "channel"} <= set(response.json()["fields"])
    assert "client" in _appeal(owner_api).json()["fields"]
    both = _appeal(owner_api, client=_client(owner_api)["id"], new_client={"surname": "X"})
    assert both.status_code == 400 and "client" in both.json()["fields"]
    bad_phone = _appeal(owner_api, new_client={"surname": "X", "phones": ["12"]})
    assert bad_phone.status_code == 400 and "new_client.phones.0" in bad_phone.json()["fields"]
    nameless = _appeal(owner_api, new_client={"phones": ["+380501112299"]})
    assert nameless.status_code == 400 and "new_client.surname" in nameless.json()["fields"]
    assert owner_api.post("/api/v1/interactions/", "[1,", content_type="application/json").status_code == 400
    assert _counts(tenant_a) == (before[0] + 1, before[1])
