"""Custom fields: definitions (admins, audited, validated), values per type on client cards, partial
updates, merge, the settings pages, the card and the new-client form, tenant isolation."""
import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD, api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


@pytest.fixture
def staff_api(tenant_a, make_user, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, make_user(tenant_a)))


def signed_in(handle, email) -> WebClient:
    web = WebClient(HTTP_HOST=handle.host)
    assert web.post("/login/", {"email": email, "password": PASSWORD}).status_code == 302
    return web


def _define(api, **fields):
    body = {"key": "window_count", "label": "Window count", "type": "number", **fields}
    response = api.post("/api/v1/custom-fields/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _client(api, **fields):
    return api.post("/api/v1/clients/", {"surname": "Шевченко", **fields}, format="json")


# Definitions -----------------------------------------------------------------------------------

def test_an_admin_defines_fields_that_every_colleague_reads_in_their_order(tenant_a, owner_api, staff_api):
    _define(owner_api, key="skin_type", label="Skin type", type="choice", choices=["Dry", "Oily"], position=2)
    _define(owner_api, key="visit_date", label="First visit", type="date", position=1, applies_to="person", required=True)
    listed = staff_api.get("/api/v1/custom-fields/")
    assert listed.status_code == 200
    assert [(f["key"], f["type"], f["applies_to"], f["required"]) for f in listed.json()] == [
        ("visit_date", "date", "person", True), ("skin_type", "choice", "all", False),
    ]
    assert listed.json()[1]["choices"] == ["Dry", "Oily"]
    one = staff_api.get(f"/api/v1/custom-fields/{listed.json()[0]['id']}/")
    assert one.status_code == 200 and one.json()["label"] == "First visit"
    with schema_context(tenant_a.slug):
        event = AuditEvent.objects.get(action="custom_field.created", changes__key="skin_type")
        assert event.changes["choices"] == ["Dry", "Oily"]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"key": "Window Count"}, "key", "invalid"),
        ({"key": "1st"}, "key", "invalid"),
        ({"key": "a.b"}, "key", "invalid"),
        ({"key": ""}, "key", "blank"),
        ({"label": "   "}, "label", "blank"),
        ({"type": "money"}, "type", "invalid_choice"),
        ({"type": "choice"}, "choices", "required"),
        ({"type": "choice", "choices": ["Oak", "oak"]}, "choices.1", "duplicate"),
        ({"type": "choice", "choices": ["Oak", " "]}, "choices.1", "blank"),
        ({"type": "text", "choices": ["Oak"]}, "choices", "invalid"),
        ({"applies_to": "robots"}, "applies_to", "invalid_choice"),
        ({"position": -1}, "position", "min_value"),
    ],
)
def test_a_bad_definition_is_a_400_naming_the_field(owner_api, body, field, code):
    response = owner_api.post("/api/v1/custom-fields/", {"key": "window_count", "label": "Windows", "type": "number", **body}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert [e["code"] for e in response.json()["fields"][field]] == [code]


def test_a_taken_key_is_a_400_even_when_that_field_is_hidden(owner_api):
    first = _define(owner_api)
    assert owner_api.delete(f"/api/v1/custom-fields/{first['id']}/").status_code == 204
    again = owner_api.post("/api/v1/custom-fields/", {"key": "WINDOW_COUNT ", "label": "Again", "type": "text"}, format="json")
    assert again.status_code == 400
    assert again.json()["fields"]["key"][0]["code"] == "taken"


def test_the_key_and_type_of_a_field_cannot_change_but_its_label_and_order_can(tenant_a, owner_api):
    field = _define(owner_api)
    url = f"/api/v1/custom-fields/{field['id']}/"
    refused = owner_api.patch(url, {"key": "windows", "type": "text"}, format="json")
    assert refused.status_code == 400
    assert {name: errors[0]["code"] for name, errors in refused.json()["fields"].items()} == {"key": "immutable", "type": "immutable"}
    changed = owner_api.patch(url, {"key": "window_count", "label": "Windows", "position": 7, "required": True}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["key"], changed.json()["label"], changed.json()["position"], changed.json()["required"]) == ("window_count", "Windows", 7, True)
    with schema_context(tenant_a.slug):
        event = AuditEvent.objects.get(action="custom_field.updated")
        assert event.changes == {"label": ["Window count", "Windows"], "position": [0, 7], "required": [False, True]}


def test_choices_can_be_added_and_unused_ones_removed_but_not_one_a_client_holds(owner_api):
    field = _define(owner_api, key="material", label="Material", type="choice", choices=["Oak", "Pine", "Ash"])
    url = f"/api/v1/custom-fields/{field['id']}/"
    assert _client(owner_api, custom={"material": "Oak"}).status_code == 201
    added = owner_api.patch(url, {"choices": ["Oak", "Pine", "Ash", "Birch"]}, format="json")
    assert added.status_code == 200 and added.json()["choices"] == ["Oak", "Pine", "Ash", "Birch"]
    removed_unused = owner_api.patch(url, {"choices": ["Oak", "Birch"]}, format="json")
    assert removed_unused.status_code == 200 and removed_unused.json()["choices"] == ["Oak", "Birch"]
    in_use = owner_api.patch(url, {"choices": ["Oak tree", "Birch"]}, format="json")
    assert in_use.status_code == 400
    assert in_use.json()["fields"]["choices"][0]["code"] == "in_use"
    assert "Oak" in in_use.json()["fields"]["choices"][0]["message"]
    assert owner_api.get(url).json()["choices"] == ["Oak", "Birch"]
    assert owner_api.patch(url, {"choices": []}, format="json").json()["fields"]["choices"][0]["code"] == "required"


def test_deleting_a_field_hides_it_and_keeps_the_values(tenant_a, owner_api):
    field = _define(owner_api)
    created = _client(owner_api, custom={"window_count": 4}).json()
    assert owner_api.delete(f"/api/v1/custom-fields/{field['id']}/").status_code == 204
    assert owner_api.get(f"/api/v1/custom-fields/{field['id']}/").json()["is_active"] is False
    assert [f["key"] for f in owner_api.get("/api/v1/custom-fields/", {"is_active": "true"}).json()] == []
    url = f"/api/v1/clients/{created['id']}/"
    assert owner_api.get(url).json()["custom"] == {"window_count": 4}
    # Sending the card back as it was is fine; a new value for a hidden field is not.
    assert owner_api.patch(url, {"custom": {"window_count": 4}}, format="json").status_code == 200
    refused = owner_api.patch(url, {"custom": {"window_count": 5}}, format="json")
    assert refused.status_code == 400 and refused.json()["fields"]["custom.window_count"][0]["code"] == "inactive"
    with schema_context(tenant_a.slug):
        assert AuditEvent.objects.filter(action="custom_field.deactivated").count() == 1
    # Used again, the values are back on the card.
    assert owner_api.patch(f"/api/v1/custom-fields/{field['id']}/", {"is_active": True}, format="json").json()["is_active"] is True
    assert owner_api.patch(url, {"custom": {"window_count": 5}}, format="json").json()["custom"] == {"window_count": 5}


def test_staff_and_managers_read_definitions_but_cannot_change_them(tenant_a, owner_api, make_user, token_for):
    field = _define(owner_api)
    url = f"/api/v1/custom-fields/{field['id']}/"
    for role in ("staff", "manager"):
        api = api_client(tenant_a.host, token_for(tenant_a, make_user(tenant_a, roles=[role])))
        assert api.get("/api/v1/custom-fields/").status_code == 200
        for response in (
            api.post("/api/v1/custom-fields/", {"key": "x", "label": "X", "type": "text"}, format="json"),
            api.patch(url, {"label": "Mine"}, format="json"),
            api.delete(url),
        ):
            assert response.status_code == 403, (role, response.json())
            assert response.json()["code"] == "permission_denied"
    assert owner_api.get(url).json()["label"] == "Window count"


def test_the_services_refuse_a_non_admin(tenant_a, make_user):
    from apps.clients.custom_fields.services import CustomFieldNotAllowed, custom_field_create

    manager = make_user(tenant_a, roles=["manager"])
    with schema_context(tenant_a.slug), pytest.raises(CustomFieldNotAllowed) as refused:
        custom_field_create(actor=manager, key="x", label="X", type="text")
    assert refused.value.code == "permission_denied" and refused.value.status_code == 403


def test_tenant_b_cannot_see_or_change_tenant_a_definitions(tenant_a, tenant_b, owner_api, owner_of, token_for):
    field = _define(owner_api)
    b_api = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b)))
    assert field["key"] not in [f["key"] for f in b_api.get("/api/v1/custom-fields/").json()]
    url = f"/api/v1/custom-fields/{field['id']}/"
    assert b_api.get(url).status_code == 404
    assert b_api.patch(url, {"label": "Stolen"}, format="json").status_code == 404
    assert b_api.delete(url).status_code == 404
    # A's key is free in B: each company has its own fields.
    assert _define(b_api)["key"] == "window_count"
    # A's token means nothing on B's host.
    a_token = owner_api._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert api_client(tenant_b.host, a_token).get("/api/v1/custom-fields/").status_code == 401
    assert owner_api.get(url).json() == {**field}


# Values ----------------------------------------------------------------------------------------

TYPES = {
    "text": {},
    "number": {},
    "date": {},
    "choice": {"choices": ["Oak", "Pine"]},
    "boolean": {},
}


@pytest.mark.parametrize(
    ("type_", "given", "stored"),
    [
        ("text", "  Kyiv office  ", "Kyiv office"),
        ("number", 5, 5),
        ("number", "2.50", 2.5),
        ("number", "3.0", 3),
        ("number", -1.25, -1.25),
        ("date", "2024-02-29", "2024-02-29"),
        ("choice", "Oak", "Oak"),
        ("choice", " pine ", "Pine"),
        ("boolean", True, True),
        ("boolean", False, False),
    ],
)
def test_a_good_value_is_stored_in_its_type(owner_api, type_, given, stored):
    _define(owner_api, key="f", label="F", type=type_, **TYPES[type_])
    response = _client(owner_api, custom={"f": given})
    assert response.status_code == 201, response.json()
    assert response.json()["custom"] == {"f": stored}
    assert type(response.json()["custom"]["f"]) is type(stored)


@pytest.mark.parametrize(
    ("type_", "given"),
    [
        ("text", 5),
        ("text", "x" * 1001),
        ("text", ["a"]),
        ("number", "abc"),
        ("number", True),
        ("number", "NaN"),
        ("number", "Infinity"),
        ("number", "1e16"),
        ("number", {"value": 1}),
        ("date", "2023-02-29"),
        ("date", "29.02.2024"),
        ("date", "20240229"),
        ("date", 20240229),
        ("choice", "Birch"),
        ("choice", 1),
        ("boolean", "yes"),
        ("boolean", 1),
    ],
)
def test_a_bad_value_is_a_400_naming_the_custom_field(tenant_a, owner_api, type_, given):
    _define(owner_api, key="f", label="F", type=type_, **TYPES[type_])
    response = _client(owner_api, custom={"f": given})
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == ["custom.f"]
    with schema_context(tenant_a.slug):
        from apps.clients.models import Client

        assert not Client.objects.exists()


def test_every_bad_custom_value_is_named_at_once_unknown_keys_included(owner_api):
    _define(owner_api)
    _define(owner_api, key="since", label="Client since", type="date")
    response = _client(owner_api, custom={"window_count": "many", "since": "yesterday", "colour": "red"})
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"custom.window_count", "custom.since", "custom.colour"}
    assert fields["custom.colour"][0]["code"] == "unknown"
    assert _client(owner_api, custom="not an object").status_code == 400


def test_a_required_field_is_needed_on_creation_for_the_kinds_it_applies_to(owner_api):
    _define(owner_api, key="skin_type", label="Skin type", type="choice", choices=["Dry"], applies_to="person", required=True)
    missing = _client(owner_api)
    assert missing.status_code == 400
    assert missing.json()["fields"]["custom.skin_type"][0]["code"] == "required"
    assert _client(owner_api, custom={"skin_type": ""}).json()["fields"]["custom.skin_type"][0]["code"] == "required"
    company = owner_api.post("/api/v1/clients/", {"kind": "company", "company_name": "Roga LLC"}, format="json")
    assert company.status_code == 201, company.json()
    person = _client(owner_api, custom={"skin_type": "Dry"})
    assert person.status_code == 201
    # Later updates leave it alone, but cannot remove it.
    url = f"/api/v1/clients/{person.json()['id']}/"
    assert owner_api.patch(url, {"notes": "x"}, format="json").status_code == 200
    assert owner_api.patch(url, {"custom": {"skin_type": None}}, format="json").status_code == 400


def test_a_field_for_people_refuses_a_value_on_a_company(owner_api):
    _define(owner_api, key="skin_type", label="Skin type", type="choice", choices=["Dry"], applies_to="person")
    response = owner_api.post("/api/v1/clients/", {"kind": "company", "company_name": "Roga", "custom": {"skin_type": "Dry"}}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["custom.skin_type"][0]["code"] == "not_applicable"


def test_updating_one_custom_value_keeps_the_others_and_is_audited_by_key(tenant_a, owner_api):
    _define(owner_api)
    _define(owner_api, key="material", label="Material", type="choice", choices=["Oak", "Pine"])
    _define(owner_api, key="note", label="Note", type="text")
    created = _client(owner_api, custom={"window_count": 3, "material": "Oak", "note": "call first"}).json()
    url = f"/api/v1/clients/{created['id']}/"
    updated = owner_api.patch(url, {"custom": {"window_count": 4, "note": ""}}, format="json")
    assert updated.status_code == 200, updated.json()
    assert updated.json()["custom"] == {"window_count": 4, "material": "Oak"}
    # Other fields of the card leave the custom values alone.
    assert owner_api.patch(url, {"notes": "VIP"}, format="json").json()["custom"] == {"window_count": 4, "material": "Oak"}
    with schema_context(tenant_a.slug):
        event = AuditEvent.objects.filter(action="client.updated").order_by("occurred_at").first()
        assert event.changes == {"custom": {"note": ["call first", None], "window_count": [3, 4]}}
        created_event = AuditEvent.objects.get(action="client.created")
        assert created_event.changes["custom"] == {"window_count": 3, "material": "Oak", "note": "call first"}


def test_custom_values_are_not_part_of_the_search_text(owner_api):
    _define(owner_api, key="note", label="Note", type="text")
    assert _client(owner_api, custom={"note": "zanzibar"}).status_code == 201
    assert owner_api.get("/api/v1/clients/", {"search": "zanzibar"}).json()["count"] == 0


def test_merging_fills_the_custom_values_the_kept_card_lacks(tenant_a, owner_api):
    _define(owner_api)
    _define(owner_api, key="material", label="Material", type="choice", choices=["Oak", "Pine"])
    keep = _client(owner_api, custom={"material": "Oak"}).json()
    other = _client(owner_api, surname="Петренко", custom={"material": "Pine", "window_count": 6}).json()
    merged = owner_api.post(f"/api/v1/clients/{keep['id']}/merge/", {"other": other["id"]}, format="json")
    assert merged.status_code == 200, merged.json()
    assert merged.json()["custom"] == {"material": "Oak", "window_count": 6}
    with schema_context(tenant_a.slug):
        assert "custom.window_count" in AuditEvent.objects.get(action="client.merged").changes["filled"]


# Pages -----------------------------------------------------------------------------------------

def test_the_card_shows_custom_values_with_their_labels(tenant_a, owner_api):
    _define(owner_api, key="since", label="Client since", type="date")
    _define(owner_api, key="has_balcony", label="Has a balcony", type="boolean")
    _define(owner_api, key="material", label="Material", type="choice", choices=["Oak"])
    hidden = _define(owner_api, key="old", label="Old field", type="text")
    created = _client(owner_api, custom={"since": "2024-03-05", "has_balcony": True, "material": "Oak", "old": "gone"}).json()
    owner_api.delete(f"/api/v1/custom-fields/{hidden['id']}/")
    page = signed_in(tenant_a, tenant_a.owner_email).get(f"/clients/{created['id']}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Client since" in html and "March 5, 2024" in html
    assert 'data-testid="custom-has_balcony">Yes<' in html
    assert "Oak" in html
    assert "Old field" not in html and "gone" not in html


def test_the_new_client_form_saves_custom_values_and_shows_their_errors(tenant_a, owner_api, make_user):
    _define(owner_api)
    _define(owner_api, key="since", label="Client since", type="date")
    _define(owner_api, key="material", label="Material", type="choice", choices=["Oak", "Pine"], applies_to="company")
    staff = make_user(tenant_a)
    web = signed_in(tenant_a, staff.email)
    form = web.get("/clients/new/").content.decode()
    assert 'name="custom__window_count"' in form and 'name="custom__material"' in form and "Only for companies." in form
    too_big = web.post("/clients/new/", {"kind": "person", "surname": "Коваль", "custom__window_count": "1e20"})
    assert too_big.status_code == 200
    assert [e.code for e in too_big.context["form"].errors.as_data()["custom__window_count"]] == ["max_value"]
    not_for_people = web.post("/clients/new/", {"kind": "person", "surname": "Коваль", "custom__material": "Oak"})
    assert [e.code for e in not_for_people.context["form"].errors.as_data()["custom__material"]] == ["not_applicable"]
    saved = web.post("/clients/new/", {"kind": "person", "surname": "Коваль", "custom__window_count": "12", "custom__since": "2024-01-31"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    with schema_context(tenant_a.slug):
        from apps.clients.models import Client

        assert Client.objects.get(surname="Коваль").custom == {"window_count": 12, "since": "2024-01-31"}


def test_the_new_client_form_costs_the_same_queries_for_one_field_or_many(tenant_a, owner_api):
    web = signed_in(tenant_a, tenant_a.owner_email)
    _define(owner_api)
    web.get("/clients/new/")
    with CaptureQueriesContext(connection) as one:
        web.get("/clients/new/")
    for index in range(5):
        _define(owner_api, key=f"f{index}", label=f"F{index}", type="choice", choices=["A", "B"])
    with CaptureQueriesContext(connection) as six:
        page = web.get("/clients/new/")
    assert 'name="custom__f4"' in page.content.decode()
    assert len(six) == len(one)


def test_admins_manage_fields_on_the_settings_page_and_others_get_404(tenant_a, make_user):
    from apps.clients.models import CustomField

    staff = make_user(tenant_a, roles=["manager"])
    assert signed_in(tenant_a, staff.email).get("/settings/custom-fields/").status_code == 404
    web = signed_in(tenant_a, tenant_a.owner_email)
    page = web.get("/settings/custom-fields/")
    assert page.status_code == 200 and 'href="/settings/custom-fields/"' in page.content.decode()
    added = web.post("/settings/custom-fields/", {"label": "Material", "key": "material", "type": "choice", "choices": "Oak\nPine\n", "applies_to": "all", "position": 0})
    assert added.status_code == 302
    refused = web.post("/settings/custom-fields/", {"label": "Again", "key": "material", "type": "text", "applies_to": "all", "position": 0})
    assert refused.status_code == 400 and "A field with this key exists" in refused.content.decode()
    with schema_context(tenant_a.slug):
        field = CustomField.objects.get(key="material")
    assert field.choices == ["Oak", "Pine"]
    edit = web.get(f"/settings/custom-fields/{field.pk}/")
    assert edit.status_code == 200 and "material" in edit.content.decode()
    assert web.post(f"/settings/custom-fields/{field.pk}/", {"label": "Wood", "choices": "Oak\nPine\nAsh", "applies_to": "company", "position": 3}).status_code == 302
    assert web.post(f"/settings/custom-fields/{field.pk}/deactivate/").status_code == 302
    with schema_context(tenant_a.slug):
        field.refresh_from_db()
        assert (field.label, field.choices, field.applies_to, field.position, field.is_active) == ("Wood", ["Oak", "Pine", "Ash"], "company", 3, False)
    assert web.post(f"/settings/custom-fields/{field.pk}/activate/").status_code == 302
    staff_web = signed_in(tenant_a, staff.email)
    assert staff_web.post(f"/settings/custom-fields/{field.pk}/deactivate/").status_code == 404
    assert staff_web.get(f"/settings/custom-fields/{field.pk}/").status_code == 404
    with schema_context(tenant_a.slug):
        field.refresh_from_db()
        assert field.is_active


# Import ----------------------------------------------------------------------------------------

def test_an_import_maps_columns_to_custom_fields_by_label_and_reads_them_as_people_type_them(
    tenant_a, owner_api, settings, tmp_path, django_capture_on_commit_callbacks
):
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    _define(owner_api)
    _define(owner_api, key="since", label="Client since", type="date")
    _define(owner_api, key="balcony", label="Балкон", type="boolean")
    _define(owner_api, key="material", label="Material", type="choice", choices=["Oak", "Pine"])
    rows = [
        ["Surname", "Phone", "Window count", "Client since", "балкон", "material"],
        ["Smith", "+380671112233", "2,5", "05.03.2024", "так", "oak"],
        ["Brown", "+380501234567", "3", "", "no", "Pine"],
        ["Green", "+380931112299", "many", "someday", "maybe", "Birch"],
    ]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    uploaded = owner_api.post(
        "/api/v1/client-imports/", {"file": SimpleUploadedFile("c.csv", text.getvalue().encode()), "duplicate_mode": "skip"}, format="multipart"
    )
    assert uploaded.status_code == 201, uploaded.json()
    body = uploaded.json()
    assert body["mapping"] == {"0": "surname", "1": "phones", "2": "custom:window_count", "3": "custom:since", "4": "custom:balcony", "5": "custom:material"}
    assert body["fields"]["custom:since"] == "Client since"
    nonsense = owner_api.patch(f"/api/v1/client-imports/{body['id']}/", {"mapping": {"0": "surname", "1": "custom:nope"}}, format="json")
    assert nonsense.status_code == 400 and "mapping" in nonsense.json()["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_api.post(f"/api/v1/client-imports/{body['id']}/start/").status_code == 202
    job = owner_api.get(f"/api/v1/client-imports/{body['id']}/").json()
    assert (job["status"], job["created_count"], job["error_count"]) == ("done", 2, 1)
    assert set(job["errors"][0]["errors"]) == {"custom:since", "custom:balcony"}
    with schema_context(tenant_a.slug):
        from apps.clients.models import Client

        stored = {c.surname: c.custom for c in Client.objects.all()}
    assert stored == {
        "Smith": {"window_count": 2.5, "since": "2024-03-05", "balcony": True, "material": "Oak"},
        "Brown": {"window_count": 3, "balcony": False, "material": "Pine"},
    }
