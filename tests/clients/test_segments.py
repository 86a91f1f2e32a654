"""Filters, saved segments and rule-based categories: validation, results, recalculation, isolation."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


def _client(owner, surname, **fields):
    from apps.clients.services import client_create

    return client_create(actor=owner, surname=surname, allow_duplicate=True, **fields)


def _won(client, owner, pipeline, amount: str):
    from apps.deals.models import Deal
    from apps.deals.services import deal_create

    if not client.phones:
        from apps.clients.services import client_update

        client = client_update(client=client, actor=owner, phones=[f"+38067{client.pk:07d}"])
    deal = deal_create(pipeline=pipeline, actor=owner, title="Windows", client=client, amount=Decimal(amount))
    Deal.objects.filter(pk=deal.pk).update(outcome=Deal.Outcome.WON)
    return deal


def _names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(c["surname"] for c in response.json()["results"])


def test_list_filters_by_fields_tags_and_totals(tenant_a, owner_of, owner_api, window_pipeline):
    from apps.interactions.services import interaction_register

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        rich = _client(owner, "Rich", tags=["vip"], birthday="1980-05-04", consent_email=True)
        _won(rich, owner, window_pipeline, "15000")
        _won(rich, owner, window_pipeline, "5000")
        modest = _client(owner, "Modest", tags=["newsletter"], emails=["m@example.com"])
        _won(modest, owner, window_pipeline, "900")
        quiet = _client(owner, "Quiet")
        interaction_register(actor=owner, client=modest, channel="phone", kind="inquiry", subject="Hi", occurred_at=timezone.now() - timedelta(days=200))
        interaction_register(actor=owner, client=rich, channel="phone", kind="inquiry", subject="Hi")
        _client(owner, "Firm", kind="person", tags=["vip", "newsletter"])

    assert _names(owner_api.get("/api/v1/clients/", {"tags": ["vip"]})) == ["Firm", "Rich"]
    assert _names(owner_api.get("/api/v1/clients/", {"tags": ["vip", "newsletter"]})) == ["Firm", "Modest", "Rich"]
    assert _names(owner_api.get("/api/v1/clients/", {"won_amount_gte": "10000"})) == ["Rich"]
    assert _names(owner_api.get("/api/v1/clients/", {"won_amount_lte": "1000", "tags": ["newsletter"]})) == ["Firm", "Modest"]
    assert _names(owner_api.get("/api/v1/clients/", {"deals_won_gte": 2})) == ["Rich"]
    assert _names(owner_api.get("/api/v1/clients/", {"birthday_month": 5})) == ["Rich"]
    assert _names(owner_api.get("/api/v1/clients/", {"consent_email": "true"})) == ["Rich"]
    assert _names(owner_api.get("/api/v1/clients/", {"has_email": "true"})) == ["Modest"]
    # No contact for 90 days: the one contacted 200 days ago and those never contacted.
    assert _names(owner_api.get("/api/v1/clients/", {"no_contact_days": 90})) == ["Firm", "Modest", "Quiet"]
    assert _names(owner_api.get("/api/v1/clients/", {"search": "rich", "tags": ["vip"]})) == ["Rich"]
    assert quiet.pk


def test_bad_filters_answer_400_naming_each(owner_api):
    response = owner_api.get("/api/v1/clients/", {"birthday_month": 13, "won_amount_gte": "lots", "kind": "alien", "custom.nope": "1"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert {"filters.birthday_month", "filters.won_amount_gte", "filters.kind", "filters.custom"} <= set(body["fields"])


def test_custom_field_filters_compare_numbers_dates_choices_and_text(tenant_a, owner_of, owner_api):
    from apps.clients.models import Client, CustomField

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        CustomField.objects.create(key="windows", label="Windows", type="number")
        CustomField.objects.create(key="skin", label="Skin", type="choice", choices=["dry", "oily"])
        CustomField.objects.create(key="visit", label="Visit", type="date")
        CustomField.objects.create(key="note", label="Note", type="text")
        for surname, custom in [
            ("Nine", {"windows": 9, "skin": "dry", "visit": "2026-03-01", "note": "Second floor"}),
            ("Twelve", {"windows": 12, "skin": "oily", "visit": "2026-07-15"}),
            ("Two", {"windows": 2.5, "note": "first FLOOR"}),
        ]:
            client = _client(owner, surname)
            # Values are stored as the custom-field services store them: numbers as JSON numbers, dates as ISO text.
            Client.objects.filter(pk=client.pk).update(custom=custom)

    assert _names(owner_api.get("/api/v1/clients/", {"custom.windows.gte": "3"})) == ["Nine", "Twelve"]
    # Numerically, not as text ("12" < "9" as text).
    assert _names(owner_api.get("/api/v1/clients/", {"custom.windows.gte": "10"})) == ["Twelve"]
    assert _names(owner_api.get("/api/v1/clients/", {"custom.windows.lte": "9"})) == ["Nine", "Two"]
    assert _names(owner_api.get("/api/v1/clients/", {"custom.skin": "dry"})) == ["Nine"]
    assert _names(owner_api.get("/api/v1/clients/", {"custom.visit.gte": "2026-06-01"})) == ["Twelve"]
    assert _names(owner_api.get("/api/v1/clients/", {"custom.note": "floor"})) == ["Nine", "Two"]
    bad = owner_api.get("/api/v1/clients/", {"custom.skin": "wet"})
    assert bad.status_code == 400 and "filters.custom" in bad.json()["fields"]
    assert owner_api.get("/api/v1/clients/", {"custom.skin.gte": "dry"}).status_code == 400


def test_a_saved_segment_lists_its_clients_and_is_private_unless_shared(tenant_a, owner_of, make_user, token_for, owner_api):
    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        _client(owner, "Tagged", tags=["kyiv"])
        _client(owner, "Other")
    created = owner_api.post("/api/v1/segments/", {"name": "Kyiv", "filters": {"tags": ["kyiv"]}}, format="json")
    assert created.status_code == 201, created.json()
    segment_id = created.json()["id"]
    assert _names(owner_api.get("/api/v1/clients/", {"segment": segment_id})) == ["Tagged"]

    manager = make_user(tenant_a, roles=["manager"])
    manager_api = api_client(tenant_a.host, token_for(tenant_a, manager))
    assert manager_api.get(f"/api/v1/segments/{segment_id}/").status_code == 404
    assert manager_api.get("/api/v1/clients/", {"segment": segment_id}).status_code == 400
    owner_api.patch(f"/api/v1/segments/{segment_id}/", {"is_shared": True}, format="json")
    assert _names(manager_api.get("/api/v1/clients/", {"segment": segment_id})) == ["Tagged"]
    # Shared is readable, not writable by colleagues.
    assert manager_api.delete(f"/api/v1/segments/{segment_id}/").status_code == 403
    assert owner_api.delete(f"/api/v1/segments/{segment_id}/").status_code == 204


def test_a_segment_with_bad_filters_is_refused_and_nothing_saved(tenant_a, owner_api):
    from apps.clients.models import Segment

    response = owner_api.post("/api/v1/segments/", {"name": "Bad", "filters": {"birthday_month": 0, "colour": "red"}}, format="json")
    assert response.status_code == 400
    assert "filters.birthday_month" in response.json()["fields"]
    assert owner_api.post("/api/v1/segments/", {"name": " ", "filters": {}}, format="json").status_code == 400
    with schema_context(tenant_a.slug):
        assert not Segment.objects.exists()


def test_a_rule_category_follows_its_rule_and_keeps_hand_made_members(tenant_a, owner_of, window_pipeline, django_capture_on_commit_callbacks):
    from apps.clients.models import ClientCategory
    from apps.clients.segments.services import categories_recalculate_all, category_create
    from apps.deals.models import Deal

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        big = _client(owner, "Big")
        _won(big, owner, window_pipeline, "12000")
        small = _client(owner, "Small")
        deal = _won(small, owner, window_pipeline, "500")
        by_hand = _client(owner, "Friend")
        with django_capture_on_commit_callbacks(execute=True):
            vip = category_create(actor=owner, name="VIP", rule={"won_amount_gte": "10000"})
        ClientCategory.objects.create(client=by_hand, category=vip, by_rule=False)
        members = lambda: set(ClientCategory.objects.filter(category=vip).values_list("client__surname", flat=True))  # noqa: E731
        # The first recalculation ran right after the category was created.
        assert set(ClientCategory.objects.filter(category=vip, by_rule=True).values_list("client__surname", flat=True)) == {"Big"}

        Deal.objects.filter(pk=deal.pk).update(amount=Decimal("20000"))
        Deal.objects.filter(client=big).update(outcome=Deal.Outcome.LOST)
        result = categories_recalculate_all()
        assert result["VIP"] == {"added": 1, "removed": 1}
        assert members() == {"Small", "Friend"}
        # A second run changes nothing.
        assert categories_recalculate_all()["VIP"] == {"added": 0, "removed": 0}


def test_categories_are_changed_by_managers_only_and_rules_are_validated(tenant_a, make_user, token_for, owner_api):
    staff = make_user(tenant_a, roles=["staff"])
    staff_api = api_client(tenant_a.host, token_for(tenant_a, staff))
    assert staff_api.post("/api/v1/client-categories/", {"name": "VIP"}, format="json").status_code == 403
    bad = owner_api.post("/api/v1/client-categories/", {"name": "VIP", "rule": {"won_amount_gte": "many"}}, format="json")
    assert bad.status_code == 400 and "rule.won_amount_gte" in bad.json()["fields"]
    searching = owner_api.post("/api/v1/client-categories/", {"name": "VIP", "rule": {"search": "x"}}, format="json")
    assert searching.status_code == 400 and "rule.search" in searching.json()["fields"]
    created = owner_api.post("/api/v1/client-categories/", {"name": "VIP", "rule": {"won_amount_gte": "10000"}}, format="json")
    assert created.status_code == 201 and created.json()["is_automatic"] is True
    clash = owner_api.post("/api/v1/client-categories/", {"name": "VIP"}, format="json")
    assert clash.status_code == 400 and "name" in clash.json()["fields"]
    assert [c["name"] for c in staff_api.get("/api/v1/client-categories/").json()] == ["VIP"]
    assert staff_api.post(f"/api/v1/client-categories/{created.json()['id']}/recalculate/").status_code == 403
    recalculated = owner_api.post(f"/api/v1/client-categories/{created.json()['id']}/recalculate/")
    assert recalculated.status_code == 200 and recalculated.json()["recalculated_at"]


def test_category_membership_filters_the_list(tenant_a, owner_of, owner_api):
    from apps.clients.models import Category, ClientCategory

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        category = Category.objects.create(name="Wholesale")
        ClientCategory.objects.create(client=_client(owner, "Member"), category=category)
        _client(owner, "Outsider")
    assert _names(owner_api.get("/api/v1/clients/", {"category": [category.pk]})) == ["Member"]


def test_segments_and_categories_do_not_cross_tenants(tenant_a, tenant_b, owner_of, token_for, owner_api):
    segment = owner_api.post("/api/v1/segments/", {"name": "Mine", "filters": {}, "is_shared": True}, format="json").json()
    category = owner_api.post("/api/v1/client-categories/", {"name": "Mine"}, format="json").json()
    other_api = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b)))
    assert other_api.get(f"/api/v1/segments/{segment['id']}/").status_code == 404
    assert other_api.get("/api/v1/segments/").json() == []
    assert other_api.get(f"/api/v1/client-categories/{category['id']}/").status_code == 404
    assert other_api.patch(f"/api/v1/client-categories/{category['id']}/", {"name": "Theirs"}, format="json").status_code == 404
    assert other_api.get("/api/v1/clients/", {"segment": segment["id"]}).status_code == 400
