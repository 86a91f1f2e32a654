"""Bulk actions on clients: tags, categories, owner, export; visibility, validation, atomicity, audit."""
from __future__ import annotations

from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.clients.exports.models import ClientExport
from apps.clients.models import Category, Client, ClientCategory, ClientUserObjectPermission
from tests.conftest import PASSWORD, api_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/clients/bulk/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def owner(tenant_a, owner_of):
    return owner_of(tenant_a)


@pytest.fixture
def owner_api(tenant_a, owner, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner))


def make_client(handle, actor, **fields):
    from apps.clients.services import client_create

    fields.setdefault("surname", "Клієнт")
    with schema_context(handle.slug):
        return client_create(actor=actor, allow_duplicate=True, **fields)


def state(handle, *clients) -> list[tuple]:
    with schema_context(handle.slug):
        rows = {c.pk: c for c in Client.objects.filter(pk__in=[c.pk for c in clients])}
        return [(rows[c.pk].tags, rows[c.pk].owner_id, rows[c.pk].search_text) for c in clients]


def categories_of(handle, client) -> dict[str, bool]:
    with schema_context(handle.slug):
        return {link.category.name: link.by_rule for link in ClientCategory.objects.filter(client=client).select_related("category")}


def bulk_events(handle) -> list[dict]:
    with schema_context(handle.slug):
        return list(AuditEvent.objects.filter(action="clients.bulk_updated").order_by("seq").values_list("changes", flat=True))


# Tags -----------------------------------------------------------------------------------------

def test_a_tag_is_added_sorted_and_once_and_removed_again(tenant_a, owner, owner_api):
    one = make_client(tenant_a, owner, surname="Шевченко", tags=["опт", "b2b"])
    two = make_client(tenant_a, owner, surname="Бондар", tags=["vip"])
    before = state(tenant_a, one, two)
    response = owner_api.post(URL, {"action": "tag_add", "client_ids": [one.pk, two.pk], "tag": "  vip "}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"matched": 2, "changed": 1}
    after = state(tenant_a, one, two)
    assert after[0][0] == sorted(["опт", "b2b", "vip"]) == ["b2b", "vip", "опт"] and after[1][0] == ["vip"]
    # Tags are not searched: the folded search text does not change.
    assert [s[2] for s in after] == [s[2] for s in before]
    response = owner_api.post(URL, {"action": "tag_remove", "client_ids": [one.pk, two.pk], "tag": "vip"}, format="json")
    assert response.json() == {"matched": 2, "changed": 2}
    assert [s[0] for s in state(tenant_a, one, two)] == [["b2b", "опт"], []]
    added, removed = bulk_events(tenant_a)
    assert added["action"] == "tag_add" and added["value"] == "vip" and (added["matched"], added["changed"]) == (2, 1)
    assert added["ids"] == [one.pk] and removed["ids"] == sorted([one.pk, two.pk])


def test_a_filter_selects_every_matching_client(tenant_a, owner, owner_api):
    firm = make_client(tenant_a, owner, kind="company", company_name="ТОВ Ромашка")
    person = make_client(tenant_a, owner, surname="Шевченко")
    response = owner_api.post(URL, {"action": "tag_add", "filters": {"kind": "company"}, "tag": "b2b"}, format="json")
    assert response.json() == {"matched": 1, "changed": 1}
    assert [s[0] for s in state(tenant_a, firm, person)] == [["b2b"], []]
    assert bulk_events(tenant_a)[0]["filters"] == {"kind": "company"}


# Categories -----------------------------------------------------------------------------------

def test_categories_are_added_by_hand_and_removed_whatever_set_them(tenant_a, owner, owner_api):
    one, two, three = (make_client(tenant_a, owner, surname=name) for name in ("Один", "Два", "Три"))
    with schema_context(tenant_a.slug):
        vip = Category.objects.create(name="VIP", rule={"tags": ["vip"]})
        ClientCategory.objects.create(client=two, category=vip, by_rule=True)
    response = owner_api.post(URL, {"action": "category_add", "client_ids": [one.pk, two.pk], "category": vip.pk}, format="json")
    assert response.json() == {"matched": 2, "changed": 1}
    # Both are now members set by hand: the rule's recalculation no longer removes them.
    assert categories_of(tenant_a, one) == {"VIP": False} and categories_of(tenant_a, two) == {"VIP": False}
    assert bulk_events(tenant_a)[0]["now_set_by_hand"] == 1
    with schema_context(tenant_a.slug):
        ClientCategory.objects.create(client=three, category=vip, by_rule=True)
    response = owner_api.post(URL, {"action": "category_remove", "client_ids": [one.pk, two.pk, three.pk], "category": vip.pk}, format="json")
    assert response.json() == {"matched": 3, "changed": 3}
    assert [categories_of(tenant_a, c) for c in (one, two, three)] == [{}, {}, {}]


# Owner ----------------------------------------------------------------------------------------

def test_setting_the_owner_moves_who_sees_the_clients(tenant_a, owner, owner_api, make_user, token_for, window_pipeline):
    from apps.deals.services import deal_create

    alice, bob = make_user(tenant_a), make_user(tenant_a)
    alice_api, bob_api = (api_client(tenant_a.host, token_for(tenant_a, u)) for u in (alice, bob))
    hers = make_client(tenant_a, alice, surname="Її")
    with_deal = make_client(tenant_a, alice, surname="З угодою")
    with schema_context(tenant_a.slug):
        deal_create(pipeline=window_pipeline, actor=owner, title="Вікна", owner=alice, client=with_deal, client_phone="+380671112233")
    response = owner_api.post(URL, {"action": "owner_set", "client_ids": [hers.pk, with_deal.pk], "owner": bob.pk}, format="json")
    assert response.json() == {"matched": 2, "changed": 2}
    assert [s[1] for s in state(tenant_a, hers, with_deal)] == [bob.pk, bob.pk]
    assert bob_api.get(f"/api/v1/clients/{hers.pk}/").status_code == 200
    assert bob_api.get(f"/api/v1/clients/{with_deal.pk}/").status_code == 200
    assert alice_api.get(f"/api/v1/clients/{hers.pk}/").status_code == 404
    # Alice still sees the client of her own deal: that right is not the owner's.
    assert alice_api.get(f"/api/v1/clients/{with_deal.pk}/").status_code == 200
    with schema_context(tenant_a.slug):
        assert not ClientUserObjectPermission.objects.filter(user=alice, content_object_id__in=[hers.pk, with_deal.pk]).exists()
        assert ClientUserObjectPermission.objects.filter(user=bob, content_object_id=hers.pk).count() == 2
    event = bulk_events(tenant_a)[0]
    assert event["previous_owners"] == {str(alice.pk): 2} and event["value"]["id"] == bob.pk


def test_only_managers_set_owners_and_categories(tenant_a, make_user, token_for):
    alice, bob = make_user(tenant_a), make_user(tenant_a)
    alice_api = api_client(tenant_a.host, token_for(tenant_a, alice))
    hers = make_client(tenant_a, alice)
    with schema_context(tenant_a.slug):
        category = Category.objects.create(name="VIP")
    for body in ({"action": "owner_set", "owner": bob.pk}, {"action": "category_add", "category": category.pk},
                 {"action": "category_remove", "category": category.pk}):
        response = alice_api.post(URL, {**body, "client_ids": [hers.pk]}, format="json")
        assert response.status_code == 403 and response.json()["code"] == "permission_denied", body
    assert state(tenant_a, hers)[0][1] == alice.pk and categories_of(tenant_a, hers) == {}


# Visibility -----------------------------------------------------------------------------------

def test_staff_cannot_bulk_change_clients_they_cannot_see_or_may_not_change(tenant_a, owner, make_user, token_for, window_pipeline):
    from apps.deals.services import deal_create

    alice = make_user(tenant_a)
    alice_api = api_client(tenant_a.host, token_for(tenant_a, alice))
    hers = make_client(tenant_a, alice, surname="Її")
    hidden = make_client(tenant_a, owner, surname="Прихований")
    through_deal = make_client(tenant_a, owner, surname="Через угоду")
    with schema_context(tenant_a.slug):
        deal_create(pipeline=window_pipeline, actor=owner, title="D", owner=alice, client=through_deal, client_phone="+380671112233")
    refused = alice_api.post(URL, {"action": "tag_add", "client_ids": [hers.pk, hidden.pk], "tag": "x"}, format="json")
    assert refused.status_code == 400 and refused.json()["fields"]["client_ids"][0]["code"] == "not_found"
    assert str(hidden.pk) in refused.json()["message"] and refused.json()["unknown_ids"] == [hidden.pk]
    refused = alice_api.post(URL, {"action": "tag_add", "client_ids": [hers.pk, through_deal.pk], "tag": "x"}, format="json")
    assert refused.status_code == 403 and refused.json()["fields"]["client_ids"][0]["code"] == "not_allowed"
    assert [s[0] for s in state(tenant_a, hers, hidden, through_deal)] == [[], [], []]
    # A filter touches only what she may change, whatever it matches.
    done = alice_api.post(URL, {"action": "tag_add", "filters": {}, "tag": "x"}, format="json")
    assert done.json() == {"matched": 1, "changed": 1}
    assert [s[0] for s in state(tenant_a, hers, hidden, through_deal)] == [["x"], [], []]


def test_a_client_granted_to_staff_through_their_role_may_be_changed(tenant_a, owner, make_user, token_for):
    from accounts.models import Role
    from accounts.permissions import object_perm_grant

    alice = make_user(tenant_a)
    shared = make_client(tenant_a, owner, surname="Спільний")
    with schema_context(tenant_a.slug):
        staff_role = Role.objects.get(code="staff")
        object_perm_grant("clients.view_client", shared, role=staff_role)
        object_perm_grant("clients.change_client", shared, role=staff_role)
    response = api_client(tenant_a.host, token_for(tenant_a, alice)).post(URL, {"action": "tag_add", "client_ids": [shared.pk], "tag": "x"}, format="json")
    assert response.json() == {"matched": 1, "changed": 1}


def test_another_companys_clients_are_unknown(tenant_a, tenant_b, owner, owner_of, token_for):
    theirs = make_client(tenant_a, owner)
    other_api = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b)))
    response = other_api.post(URL, {"action": "tag_add", "client_ids": [theirs.pk], "tag": "x"}, format="json")
    assert response.status_code == 400 and "client_ids" in response.json()["fields"]
    assert state(tenant_a, theirs)[0][0] == []


# Validation and atomicity ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "body, fields",
    [
        ({"action": "paint", "client_ids": [1], "tag": "x"}, {"action"}),
        ({"action": "tag_add", "client_ids": [1]}, {"tag"}),
        ({"action": "tag_add", "client_ids": [1], "tag": "   "}, {"tag"}),
        ({"action": "tag_add", "client_ids": [1], "tag": "x" * 51}, {"tag"}),
        ({"action": "category_add", "client_ids": [1]}, {"category"}),
        ({"action": "owner_set", "client_ids": [1]}, {"owner"}),
        ({"action": "export", "client_ids": [1]}, {"format"}),
        ({"action": "export", "client_ids": [1], "format": "pdf"}, {"format"}),
        ({"action": "tag_add", "tag": "x"}, {"client_ids", "filters"}),
        ({"action": "tag_add", "tag": "x", "client_ids": [1], "filters": {}}, {"client_ids", "filters"}),
        ({"action": "tag_add", "tag": "x", "client_ids": []}, {"client_ids"}),
        ({"action": "tag_add", "tag": "x", "client_ids": ["one"]}, {"client_ids.0"}),
        ({"action": "tag_add", "tag": "x", "client_ids": list(range(1, 5002))}, {"client_ids"}),
        ({"action": "tag_add", "tag": "x", "filters": {"kind": "alien"}}, {"filters.kind"}),
        ({"action": "tag_add", "tag": "x", "filters": None}, {"filters"}),
    ],
)
def test_bad_requests_are_400_naming_the_fields(owner_api, body, fields):
    response = owner_api.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error" and set(response.json()["fields"]) == fields


def test_an_unknown_category_or_owner_changes_nothing(tenant_a, owner, owner_api, make_user):
    client = make_client(tenant_a, owner)
    retired = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        from accounts.models import User

        User.objects.filter(pk=retired.pk).update(is_active=False)
    for body, field in (
        ({"action": "category_add", "category": 999999}, "category"),
        ({"action": "owner_set", "owner": 999999}, "owner"),
        ({"action": "owner_set", "owner": retired.pk}, "owner"),
    ):
        response = owner_api.post(URL, {**body, "client_ids": [client.pk]}, format="json")
        assert response.status_code == 400 and field in response.json()["fields"]
    assert state(tenant_a, client)[0][1] == owner.pk and categories_of(tenant_a, client) == {}
    assert bulk_events(tenant_a) == []


def test_a_failure_after_the_writes_rolls_every_change_back(tenant_a, owner, make_user, monkeypatch):
    from apps.clients import bulk

    bob = make_user(tenant_a)
    clients = [make_client(tenant_a, owner, surname=f"Клієнт {n}") for n in range(3)]
    monkeypatch.setattr(bulk, "STATEMENT_IDS", 2)  # several statements

    def audit_down(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(bulk, "audit_record", audit_down)
    with schema_context(tenant_a.slug):
        with pytest.raises(RuntimeError):
            bulk.client_bulk_apply(actor=owner, action="owner_set", client_ids=[c.pk for c in clients], value=bob.pk)
        with pytest.raises(RuntimeError):
            bulk.client_bulk_apply(actor=owner, action="tag_add", client_ids=[c.pk for c in clients], value="vip")
        assert not ClientUserObjectPermission.objects.filter(user=bob).exists()
    assert [s[:2] for s in state(tenant_a, *clients)] == [([], owner.pk)] * 3


def test_work_is_split_into_statements_without_losing_clients(tenant_a, owner, owner_api, monkeypatch):
    from apps.clients import bulk

    monkeypatch.setattr(bulk, "STATEMENT_IDS", 2)
    clients = [make_client(tenant_a, owner, surname=f"Клієнт {n}") for n in range(5)]
    with schema_context(tenant_a.slug):
        category = Category.objects.create(name="Опт")
    ids = [c.pk for c in clients]
    assert owner_api.post(URL, {"action": "tag_add", "client_ids": ids, "tag": "x"}, format="json").json() == {"matched": 5, "changed": 5}
    assert owner_api.post(URL, {"action": "category_add", "client_ids": ids, "category": category.pk}, format="json").json()["changed"] == 5
    with schema_context(tenant_a.slug):
        assert ClientCategory.objects.filter(category=category).count() == 5


# Export ---------------------------------------------------------------------------------------

def test_the_export_action_exports_the_selection(tenant_a, owner, owner_api, django_capture_on_commit_callbacks):
    chosen = make_client(tenant_a, owner, surname="Обраний")
    make_client(tenant_a, owner, surname="Інший")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.post(URL, {"action": "export", "client_ids": [chosen.pk], "format": "csv"}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["matched"], body["changed"]) == (1, 0) and body["export"]["client_count"] == 1
    detail = owner_api.get(f"/api/v1/client-exports/{body['export']['id']}/").json()
    assert detail["status"] == "done" and detail["row_count"] == 1


def test_the_export_action_needs_the_export_right(tenant_a, make_user, token_for):
    alice = make_user(tenant_a)
    hers = make_client(tenant_a, alice)
    response = api_client(tenant_a.host, token_for(tenant_a, alice)).post(URL, {"action": "export", "client_ids": [hers.pk], "format": "csv"}, format="json")
    assert response.status_code == 403
    with schema_context(tenant_a.slug):
        assert not ClientExport.objects.exists()


# The page -------------------------------------------------------------------------------------

def signed_in(handle, email=None):
    from django.test import Client as PageClient

    page = PageClient(HTTP_HOST=handle.host)
    assert page.post("/login/", {"email": email or handle.owner_email, "password": PASSWORD}).status_code == 302
    return page


def test_the_list_has_checkboxes_and_a_bulk_bar_that_tags_and_returns(tenant_a, owner):
    one = make_client(tenant_a, owner, surname="Шевченко")
    two = make_client(tenant_a, owner, surname="Бондар")
    page = signed_in(tenant_a)
    html = page.get("/clients/?q=%D1%88").content.decode()
    assert f'name="client_ids" value="{one.pk}" form="client-bulk"' in html and 'id="client-bulk"' in html
    assert '<option value="owner_set">' in html and '<option value="export">' in html
    response = page.post("/clients/bulk/", {"action": "tag_add", "client_ids": [one.pk], "tag": "vip", "next": "/clients/?q=%D1%88"})
    assert response.status_code == 302 and response["Location"] == "/clients/?q=%D1%88"
    assert "1 of 1 selected client changed." in page.get(response["Location"]).content.decode()
    assert [s[0] for s in state(tenant_a, one, two)] == [["vip"], []]
    # Elsewhere is never a destination.
    response = page.post("/clients/bulk/", {"action": "tag_add", "client_ids": [one.pk], "tag": "x", "next": "https://evil.example/"})
    assert response["Location"] == "/clients/"


def test_the_bulk_bar_reports_a_refusal_and_changes_nothing(tenant_a, owner, make_user):
    alice = make_user(tenant_a)
    hidden = make_client(tenant_a, owner)
    page = signed_in(tenant_a, alice.email)
    html = page.get("/clients/").content.decode()
    assert 'id="client-bulk"' in html and '<option value="owner_set">' not in html and '<option value="category_add">' not in html
    response = page.post("/clients/bulk/", {"action": "tag_add", "client_ids": [hidden.pk], "tag": "x"}, follow=True)
    assert f"Unknown clients: {hidden.pk}." in response.content.decode()
    assert state(tenant_a, hidden)[0][0] == []
    response = page.post("/clients/bulk/", {"action": "tag_add", "tag": "x"}, follow=True)
    assert "Tick the clients to change first." in response.content.decode()


def test_the_bulk_bar_export_goes_to_the_progress_page(tenant_a, owner, django_capture_on_commit_callbacks):
    one = make_client(tenant_a, owner)
    page = signed_in(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post("/clients/bulk/", {"action": "export", "client_ids": [one.pk], "format": "xlsx"})
    assert response.status_code == 302 and response["Location"].startswith("/clients/exports/")
    assert 'data-status="done"' in page.get(response["Location"]).content.decode()


def test_the_bulk_bar_can_act_on_every_client_the_list_matches(tenant_a, owner):
    tagged = [make_client(tenant_a, owner, surname=f"Шевченко {n}", tags=["kyiv"]) for n in range(3)]
    other = make_client(tenant_a, owner, surname="Шевчук")
    company = make_client(tenant_a, owner, kind="company", company_name="Шевченко і партнери", tags=["kyiv"])
    page = signed_in(tenant_a)
    response = page.post("/clients/bulk/", {"action": "tag_add", "all_matching": "1", "tag": "vip", "next": "/clients/?q=шевченко&tags=kyiv&kind=person"})
    assert response.status_code == 302
    assert [s[0] for s in state(tenant_a, *tagged, other, company)] == [["kyiv", "vip"]] * 3 + [[], ["kyiv"]]
    # From the Companies page only companies are selected.
    page.post("/clients/bulk/", {"action": "tag_add", "all_matching": "1", "tag": "firm", "next": "/companies/?q=шевченко"})
    assert [s[0] for s in state(tenant_a, tagged[0], company)] == [["kyiv", "vip"], ["firm", "kyiv"]]
    # A bad filter in the list's address changes nothing and says why.
    refused = page.post("/clients/bulk/", {"action": "tag_add", "all_matching": "1", "tag": "x", "next": "/clients/?birthday_month=13"}, follow=True)
    assert refused.status_code == 200 and "x" not in sum((s[0] for s in state(tenant_a, *tagged, other, company)), [])


def test_a_bulk_tag_leaves_cards_that_already_hold_the_most_tags(tenant_a, owner, owner_api):
    full = make_client(tenant_a, owner, surname="Повна", tags=[f"t{n:02d}" for n in range(30)])
    room = make_client(tenant_a, owner, surname="Вільна", tags=["t00"])
    response = owner_api.post(URL, {"action": "tag_add", "client_ids": [full.pk, room.pk], "tag": "new"}, format="json")
    assert response.json() == {"matched": 2, "changed": 1}
    tags = [s[0] for s in state(tenant_a, full, room)]
    assert len(tags[0]) == 30 and "new" not in tags[0] and tags[1] == ["new", "t00"]
