"""Pipelines, deals, tasks and notifications over the API: validation, permissions (404 for what a
user may not see), cross-tenant isolation, filters, query counts."""
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.deals.services import deal_create
from tests.conftest import api_client, stages_of
from workflows.blueprints import blueprint_document

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


def make_deal(handle, pipeline, actor, **fields):
    fields.setdefault("client_phone", "+380501234567")
    with schema_context(handle.slug):
        return deal_create(pipeline=pipeline, title=fields.pop("title", "Deal"), actor=actor, **fields)


# ------------------------------------------------------------------------------
# Pipelines
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_admin_installs_a_template_and_everyone_reads_it(tenant_a, owner_api, make_user, token_for):
    templates = owner_api.get("/api/v1/pipelines/templates/").json()
    assert {t["code"] for t in templates} >= {"window-installation", "beauty-salon", "clinic", "b2b-sale"}
    created = owner_api.post("/api/v1/pipelines/install/", {"template": "window-installation"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["current_version"]["number"] == 1 and len(body["current_version"]["stages"]) == 16
    staff_api = api_client(tenant_a.host, token_for(tenant_a, make_user(tenant_a)))
    assert staff_api.get(f"/api/v1/pipelines/{body['id']}/").status_code == 200
    assert staff_api.post("/api/v1/pipelines/install/", {"template": "clinic"}, format="json").status_code == 403
    assert staff_api.post(f"/api/v1/pipelines/{body['id']}/publish/").status_code == 403


@pytest.mark.django_db
def test_import_errors_name_the_field(owner_api):
    doc = {"name": "Bad", "stages": [{"key": "a", "name": "A", "sla": {"minutes": "soon"}}, {"key": "a", "name": "B"}]}
    response = owner_api.post("/api/v1/pipelines/import/", doc, format="json")
    assert response.status_code == 400
    assert "stages.0.sla.minutes" in response.json()["fields"]
    response = owner_api.post("/api/v1/pipelines/import/", [1, 2], format="json")
    assert response.status_code == 400 and response.json()["code"] == "definition_invalid"


@pytest.mark.django_db
def test_draft_edit_publish_versions_export_and_migrate(owner_api):
    pipeline = owner_api.post("/api/v1/pipelines/import/?", blueprint_document("b2b-sale"), format="json").json()
    pid = pipeline["id"]
    assert pipeline["current_version"] is None and pipeline["draft_version"] == 1
    assert owner_api.post(f"/api/v1/pipelines/{pid}/publish/").json()["number"] == 1
    draft = owner_api.get(f"/api/v1/pipelines/{pid}/draft/").json()
    draft["stages"][0]["name"] = "Fresh lead"
    assert owner_api.put(f"/api/v1/pipelines/{pid}/draft/", draft, format="json").json()["stages"][0]["name"] == "Fresh lead"
    assert owner_api.get(f"/api/v1/pipelines/{pid}/export/").json()["stages"][0]["name"] == "New lead"
    owner_api.post(f"/api/v1/pipelines/{pid}/publish/")
    versions = owner_api.get(f"/api/v1/pipelines/{pid}/versions/").json()
    assert [(v["number"], v["status"]) for v in versions] == [(3, "draft"), (2, "published"), (1, "retired")]
    plan = owner_api.post(f"/api/v1/pipelines/{pid}/migrate/", {"dry_run": True}, format="json")
    assert plan.status_code == 200 and plan.json()["dry_run"] is True
    assert owner_api.delete(f"/api/v1/pipelines/{pid}/").status_code == 204
    assert owner_api.get(f"/api/v1/pipelines/{pid}/").status_code == 404


@pytest.mark.django_db
def test_pipelines_of_tenant_b_are_not_found_on_a(tenant_a, tenant_b, owner_of, owner_api):
    from workflows.services.definitions import pipeline_install_blueprint

    with schema_context(tenant_b.slug):
        b_pipeline = pipeline_install_blueprint(code="clinic", actor=owner_of(tenant_b))
    listed = {p["name"] for p in owner_api.get("/api/v1/pipelines/").json()["results"]}
    assert "Patient path" not in listed or owner_api.get(f"/api/v1/pipelines/{b_pipeline.pk}/").json()["name"] != "Patient path"


# ------------------------------------------------------------------------------
# Deals
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_create_move_and_history_through_the_api(tenant_a, window_pipeline, owner_api):
    traveller = time_machine.travel(MONDAY_10, tick=True)
    traveller.start()
    created = owner_api.post(
        "/api/v1/deals/", {"pipeline": window_pipeline.pk, "title": "Balcony", "client_phone": "+380671112233", "amount": "1200.50"}, format="json"
    )
    assert created.status_code == 201, created.content
    deal = created.json()
    assert deal["stage"]["key"] == "clarify" and deal["due_at"].startswith("2026-11-23T14:00:00") and deal["amount"] == "1200.50"
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
    for key in ("assign-measurer", "schedule-measurement"):
        assert owner_api.post(f"/api/v1/deals/{deal['id']}/move/", {"stage": s[key].pk}, format="json").status_code == 200
    refused = owner_api.post(f"/api/v1/deals/{deal['id']}/move/", {"stage": s["measurement"].pk}, format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "required_fields_missing" and body["missing"] == ["data.measurement_date"]
    assert list(body["fields"]) == ["data.measurement_date"]
    moved = owner_api.post(
        f"/api/v1/deals/{deal['id']}/move/", {"stage": s["measurement"].pk, "data.measurement_date": "2026-11-26"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["stage"]["key"] == "measurement"
    history = owner_api.get(f"/api/v1/deals/{deal['id']}/history/").json()
    assert [v["stage"]["key"] for v in history] == ["clarify", "assign-measurer", "schedule-measurement", "measurement"]
    assert history[0]["left_at"] is not None and history[-1]["left_at"] is None
    traveller.stop()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "x", "pipeline": 999999}, "pipeline"),
        ({"title": "x", "amount": "lots"}, "amount"),
        ({"title": "x", "amount": "-5"}, "amount"),
        ({"title": "x", "currency": "dollars"}, "currency"),
        ({"title": "x", "client_email": "nope"}, "client_email"),
        ({"title": "x", "expected_close_date": "tomorrow"}, "expected_close_date"),
        ({"title": "x", "data": {"Bad Key": 1}}, "data"),
        ({"title": "x", "data": {"nested": {"a": 1}}}, "data"),
    ],
)
def test_deal_validation(window_pipeline, owner_api, payload, field):
    payload = {"pipeline": window_pipeline.pk, "client_phone": "+380501234567", **payload}
    response = owner_api.post("/api/v1/deals/", payload, format="json")
    assert response.status_code == 400 and field in response.json()["fields"], response.json()


@pytest.mark.django_db
def test_move_validation_and_unknown_or_foreign_stage(tenant_a, window_pipeline, owner_of, owner_api):
    deal = make_deal(tenant_a, window_pipeline, owner_of(tenant_a))
    assert owner_api.post(f"/api/v1/deals/{deal.pk}/move/", {"stage": "x"}, format="json").status_code == 400
    assert owner_api.post(f"/api/v1/deals/{deal.pk}/move/", {}, format="json").json()["fields"]["stage"]
    assert owner_api.post(f"/api/v1/deals/{deal.pk}/move/", {"stage": 999999}, format="json").json()["fields"]["stage"]
    with schema_context(tenant_a.slug):
        draft_stage = window_pipeline.versions.get(status="draft").stages.first()
    assert owner_api.post(f"/api/v1/deals/{deal.pk}/move/", {"stage": draft_stage.pk}, format="json").status_code == 400
    stale = owner_api.post(f"/api/v1/deals/{deal.pk}/move/", {"stage": deal.stage_id + 1, "expected_stage": deal.stage_id + 5}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale"


@pytest.mark.django_db
def test_staff_see_only_their_deals_and_others_are_404(tenant_a, window_pipeline, owner_of, make_user, token_for):
    alice, bob = make_user(tenant_a), make_user(tenant_a)
    mine = make_deal(tenant_a, window_pipeline, alice, title="Alice's")
    theirs = make_deal(tenant_a, window_pipeline, bob, title="Bob's")
    alice_api = api_client(tenant_a.host, token_for(tenant_a, alice))
    titles = {d["title"] for d in alice_api.get("/api/v1/deals/").json()["results"]}
    assert "Alice's" in titles and "Bob's" not in titles
    assert alice_api.get(f"/api/v1/deals/{mine.pk}/").status_code == 200
    for call in (
        lambda: alice_api.get(f"/api/v1/deals/{theirs.pk}/"),
        lambda: alice_api.patch(f"/api/v1/deals/{theirs.pk}/", {"title": "mine now"}, format="json"),
        lambda: alice_api.post(f"/api/v1/deals/{theirs.pk}/move/", {"stage": theirs.stage_id}, format="json"),
        lambda: alice_api.get(f"/api/v1/deals/{theirs.pk}/history/"),
    ):
        assert call().status_code == 404
    manager_api = api_client(tenant_a.host, token_for(tenant_a, make_user(tenant_a, roles=["manager"])))
    assert manager_api.get(f"/api/v1/deals/{theirs.pk}/").status_code == 200


@pytest.mark.django_db
def test_deals_of_tenant_b_are_invisible_on_a(tenant_a, tenant_b, owner_of, owner_api):
    from workflows.services.definitions import pipeline_install_blueprint

    with schema_context(tenant_b.slug):
        b_pipeline = pipeline_install_blueprint(code="b2b-sale", actor=owner_of(tenant_b))
    b_deal = make_deal(tenant_b, b_pipeline, owner_of(tenant_b), title="B's secret deal")
    assert "B's secret deal" not in {d["title"] for d in owner_api.get("/api/v1/deals/?page_size=500").json()["results"]}
    response = owner_api.get(f"/api/v1/deals/{b_deal.pk}/")
    assert response.status_code == 404 or response.json()["title"] != "B's secret deal"


@pytest.mark.django_db
def test_deal_filters(tenant_a, window_pipeline, owner_of, owner_api, make_user):
    owner = owner_of(tenant_a)
    helper = make_user(tenant_a)
    with time_machine.travel(MONDAY_10 - timedelta(days=7), tick=False):
        late = make_deal(tenant_a, window_pipeline, owner, title="Late one")
    fresh = make_deal(tenant_a, window_pipeline, helper, title="Fresh one")
    base = f"/api/v1/deals/?pipeline={window_pipeline.pk}&page_size=500"
    titles = lambda q: {d["title"] for d in owner_api.get(base + q).json()["results"]}  # noqa: E731
    assert "Late one" in titles("&overdue=true") and "Fresh one" not in titles("&overdue=true")
    assert "Fresh one" in titles("&overdue=false")
    assert titles(f"&responsible={helper.pk}") == {"Fresh one"}
    assert "Late one" in titles("&due_before=2026-11-20T00:00:00Z") and "Fresh one" not in titles("&due_before=2026-11-20T00:00:00Z")
    assert "Fresh one" in titles(f"&due_after={late.current_visit.due_at.isoformat().replace('+00:00', 'Z')}")
    assert titles(f"&stage={fresh.stage_id}") >= {"Late one", "Fresh one"}
    assert titles("&q=late") == {"Late one"}
    assert owner_api.get(base + "&overdue=perhaps").status_code == 400


@pytest.mark.django_db
def test_deal_list_query_count_is_constant(tenant_a, window_pipeline, owner_of, owner_api):
    owner = owner_of(tenant_a)
    make_deal(tenant_a, window_pipeline, owner)
    owner_api.get("/api/v1/deals/")
    with CaptureQueriesContext(connection) as few:
        owner_api.get("/api/v1/deals/")
    for n in range(15):
        make_deal(tenant_a, window_pipeline, owner, title=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(owner_api.get("/api/v1/deals/").json()["results"]) >= 16
    assert len(many) == len(few)


# ------------------------------------------------------------------------------
# Tasks and notifications
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_tasks_mine_overdue_first_complete_and_permissions(tenant_a, owner_of, make_user, token_for):
    worker = make_user(tenant_a)
    other = make_user(tenant_a)
    api = api_client(tenant_a.host, token_for(tenant_a, worker))
    soon = api.post("/api/v1/tasks/", {"title": "Soon", "due_at": "2099-01-01T10:00:00Z"}, format="json")
    assert soon.status_code == 201, soon.content
    late = api.post("/api/v1/tasks/", {"title": "Late", "due_at": "2020-01-01T10:00:00Z"}, format="json").json()
    assert late["overdue"] is True
    assert {t["title"] for t in api.get("/api/v1/tasks/?overdue=true").json()["results"]} == {"Late"}
    assert api.post(f"/api/v1/tasks/{late['id']}/complete/").json()["status"] == "done"
    other_api = api_client(tenant_a.host, token_for(tenant_a, other))
    assert other_api.get(f"/api/v1/tasks/{late['id']}/").status_code == 404
    assert other_api.post(f"/api/v1/tasks/{late['id']}/complete/").status_code == 404
    assigning = api.post("/api/v1/tasks/", {"title": "For you", "assignee": other.pk}, format="json")
    assert assigning.status_code == 403 and assigning.json()["code"] == "permission_denied"
    for bad in ({"title": ""}, {"title": "x", "due_at": "soon"}, {"title": "x", "priority": "asap"}, {"title": "x", "assignee": 999999}):
        assert api.post("/api/v1/tasks/", bad, format="json").status_code == 400


@pytest.mark.django_db
def test_notifications_list_unread_count_and_mark_read_are_per_user(tenant_a, owner_of, make_user, token_for):
    from apps.tasks.services import task_create

    boss = make_user(tenant_a, roles=["manager"])
    worker = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        task_create(title="Call the client", actor=boss, assignee=worker)
    worker_api = api_client(tenant_a.host, token_for(tenant_a, worker))
    boss_api = api_client(tenant_a.host, token_for(tenant_a, boss))
    assert worker_api.get("/api/v1/notifications/unread-count/").json()["unread"] == 1
    assert boss_api.get("/api/v1/notifications/unread-count/").json()["unread"] == 0
    items = worker_api.get("/api/v1/notifications/?unread=1").json()["results"]
    assert items[0]["title"] == "New task: Call the client"
    assert boss_api.post("/api/v1/notifications/mark-read/", {"ids": [items[0]["id"]]}, format="json").json()["marked"] == 0
    assert worker_api.post("/api/v1/notifications/mark-read/", {}, format="json").json()["marked"] == 1
    assert worker_api.get("/api/v1/notifications/unread-count/").json()["unread"] == 0
    assert worker_api.post("/api/v1/notifications/mark-read/", {"ids": "all"}, format="json").status_code == 400


@pytest.mark.django_db
def test_calendar_is_admin_editable_and_validated(tenant_a, owner_api, make_user, token_for):
    calendar = owner_api.get("/api/v1/calendars/").json()[0]
    bad = owner_api.patch(f"/api/v1/calendars/{calendar['id']}/", {"weekly_hours": {"mon": [["18:00", "09:00"]]}}, format="json")
    assert bad.status_code == 400 and "weekly_hours.mon" in bad.json()["fields"]
    assert owner_api.patch(f"/api/v1/calendars/{calendar['id']}/", {"time_zone": "Mars/Olympus"}, format="json").status_code == 400
    good = owner_api.patch(
        f"/api/v1/calendars/{calendar['id']}/",
        {"time_zone": "Europe/Kyiv", "country": "ua", "weekly_hours": {d: [["09:00", "13:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}},
        format="json",
    )
    assert good.status_code == 200 and good.json()["country"] == "UA"
    assert owner_api.post(f"/api/v1/calendars/{calendar['id']}/exceptions/", {"date": "2026-12-31", "hours": [], "note": "Party"}, format="json").status_code == 200
    staff_api = api_client(tenant_a.host, token_for(tenant_a, make_user(tenant_a)))
    assert staff_api.patch(f"/api/v1/calendars/{calendar['id']}/", {"country": "PL"}, format="json").status_code == 403
