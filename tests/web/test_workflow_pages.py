"""Workflow pages: who may open what, the board's move endpoint, the editor."""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.deals.services import deal_create
from tests.conftest import stages_of
from tests.web.test_pages import signed_in


def deal_for(handle, pipeline, user, title="Deal"):
    with schema_context(handle.slug):
        return deal_create(pipeline=pipeline, title=title, actor=user, client_phone="+380501234567")


@pytest.mark.django_db
def test_staff_cannot_open_or_move_someone_elses_deal(tenant_a, window_pipeline, make_user):
    alice, bob = make_user(tenant_a), make_user(tenant_a)
    deal = deal_for(tenant_a, window_pipeline, bob, "Bob's deal")
    client = signed_in(tenant_a, alice.email)
    assert client.get(f"/deals/{deal.pk}/").status_code == 404
    with schema_context(tenant_a.slug):
        target = stages_of(window_pipeline)["assign-measurer"].pk
    assert client.post(f"/board/move/{deal.pk}/", {"stage": target}).status_code == 404
    assert "Bob&#x27;s deal" not in client.get(f"/board/{window_pipeline.pk}/").content.decode()
    assert "Bob&#x27;s deal" in signed_in(tenant_a, bob.email).get(f"/board/{window_pipeline.pk}/").content.decode()


@pytest.mark.django_db
def test_board_move_answers_a_dialog_for_missing_fields_then_moves(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    deal = deal_for(tenant_a, window_pipeline, owner)
    client = signed_in(tenant_a)
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
    for key in ("assign-measurer", "schedule-measurement"):
        assert client.post(f"/board/move/{deal.pk}/", {"stage": s[key].pk}, HTTP_HX_REQUEST="true").status_code == 200
    dialog = client.post(f"/board/move/{deal.pk}/", {"stage": s["measurement"].pk}, HTTP_HX_REQUEST="true")
    assert dialog["HX-Retarget"] == "#dialog-slot" and 'name="data.measurement_date"' in dialog.content.decode()
    bad = client.post(f"/board/move/{deal.pk}/", {"stage": s["measurement"].pk, "fill": "1", "data.measurement_date": "soon"}, HTTP_HX_REQUEST="true")
    assert bad["HX-Retarget"] == "#dialog-slot"
    done = client.post(f"/board/move/{deal.pk}/", {"stage": s["measurement"].pk, "fill": "1", "data.measurement_date": "2026-12-01"}, HTTP_HX_REQUEST="true")
    assert "HX-Retarget" not in done and f'data-testid="card-{deal.pk}"' in done.content.decode()
    with schema_context(tenant_a.slug):
        deal.refresh_from_db()
        assert deal.stage.key == "measurement"
    refused = client.post(f"/board/move/{deal.pk}/", {"stage": s["clarify"].pk}, HTTP_HX_REQUEST="true")
    assert "only moves forward" in refused.content.decode()


@pytest.mark.django_db
def test_board_query_count_does_not_grow_with_deals(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    deal_for(tenant_a, window_pipeline, owner)
    client = signed_in(tenant_a)
    client.get(f"/board/{window_pipeline.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/board/{window_pipeline.pk}/")
    for n in range(12):
        deal_for(tenant_a, window_pipeline, owner, f"More {n}")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/board/{window_pipeline.pk}/")
    assert len(many) == len(few)


@pytest.mark.django_db
def test_pipeline_pages_are_for_admins_and_the_editor_publishes(tenant_a, window_pipeline, make_user):
    staff = make_user(tenant_a)
    assert signed_in(tenant_a, staff.email).get("/pipelines/").status_code == 404
    admin = signed_in(tenant_a)
    assert admin.get(f"/pipelines/{window_pipeline.pk}/edit/").status_code == 200
    admin.post(f"/pipelines/{window_pipeline.pk}/stages/", {"name": "Quality check", "kind": "open"})
    admin.post(f"/pipelines/{window_pipeline.pk}/stages/quality-check/shift/", {"direction": "up"})
    admin.post(
        f"/pipelines/{window_pipeline.pk}/stages/quality-check/",
        {"quality-check-name": "Quality check", "quality-check-kind": "open", "quality-check-responsible_role": "master",
         "quality-check-assignment": "least_loaded", "quality-check-sla_hours": "3", "quality-check-business_time": "on",
         "quality-check-warn_percent": "75", "quality-check-required_fields": "amount", "quality-check-skippable": ""},
    )
    page = admin.get(f"/pipelines/{window_pipeline.pk}/edit/").content.decode()
    assert "Quality check" in page and "unpublished" in page
    admin.post(f"/pipelines/{window_pipeline.pk}/publish/")
    with schema_context(tenant_a.slug):
        stage = stages_of(window_pipeline)["quality-check"]
        assert stage.sla_minutes == 180 and stage.warn_percent == 75 and stage.required_fields == ["amount"] and not stage.skippable


@pytest.mark.django_db
def test_my_tasks_lists_overdue_first_and_completes(tenant_a, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from apps.tasks.services import task_create

    user = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        task_create(title="Later", actor=user, due_at=timezone.now() + timedelta(days=2))
        late = task_create(title="Overdue", actor=user, due_at=timezone.now() - timedelta(hours=2))
    client = signed_in(tenant_a, user.email)
    page = client.get("/tasks/").content.decode()
    assert page.index("Overdue") < page.index("Later")
    assert client.post(f"/tasks/{late.pk}/complete/", HTTP_HX_REQUEST="true").status_code == 200
    assert "Overdue" not in client.get("/tasks/").content.decode()
    other = signed_in(tenant_a, make_user(tenant_a).email)
    assert other.post(f"/tasks/{late.pk}/complete/").status_code == 404
